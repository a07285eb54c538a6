import { describe, expect, it } from 'vitest';
import { GUARD_CLASSES, GUARD_MACROS, guardClass, lockCall, lockCallNames, lockClassFamily, looksLikeRelease, mayBeUnlockHelper, restoresIrqs } from '../../src/model/locks.js';

describe('lockCall', () => {
  it.each<[string, Partial<ReturnType<typeof lockCall>>]>([
    ['spin_lock', { op: 'acquire', atomic: true, reason: 'spinlock', class: 'spinlock', lockArg: 0 }],
    ['spin_unlock', { op: 'release', atomic: true, class: 'spinlock', lockArg: 0 }],
    ['spin_lock_bh', { op: 'acquire', atomic: true, class: 'spinlock_bh' }],
    ['spin_lock_irq', { op: 'acquire', atomic: true, class: 'spinlock_irq' }],
    ['spin_lock_irqsave', { op: 'acquire', atomic: true, class: 'spinlock_irqsave', lockArg: 0 }],
    ['spin_unlock_irqrestore', { op: 'release', class: 'spinlock_irqsave' }],
    ['spin_lock_nested', { op: 'acquire', class: 'spinlock' }],
    ['spin_trylock', { op: 'tryacquire', atomic: true, success: 'nonzero' }],
    ['spin_trylock_irqsave', { op: 'tryacquire', class: 'spinlock_irqsave', success: 'nonzero' }],
    ['raw_spin_lock_irqsave', { op: 'acquire', atomic: true, class: 'raw_spinlock_irqsave' }],
    ['read_lock', { op: 'acquire', atomic: true, reason: 'rwlock', class: 'read_lock' }],
    ['write_unlock_bh', { op: 'release', class: 'write_lock_bh' }],
    ['rcu_read_lock', { op: 'acquire', atomic: true, reason: 'rcu_read_lock', lockArg: null }],
    ['rcu_read_unlock_bh', { op: 'release', class: 'rcu_bh' }],
    ['rcu_read_lock_sched', { op: 'acquire', atomic: true, class: 'rcu_sched' }],
    ['preempt_disable', { op: 'acquire', atomic: true, reason: 'preemption disabled', lockArg: null }],
    ['get_cpu', { op: 'acquire', atomic: true, reason: 'preemption disabled' }],
    ['put_cpu', { op: 'release', class: 'get_cpu' }],
    ['local_irq_disable', { op: 'acquire', atomic: true, reason: 'irqs disabled' }],
    ['local_irq_save', { op: 'acquire', atomic: true, reason: 'irqs disabled', class: 'irqsave' }],
    ['local_bh_disable', { op: 'acquire', atomic: true, reason: 'bh disabled' }],
    ['local_lock', { op: 'acquire', atomic: true, class: 'local_lock', lockArg: 0 }],
    ['local_lock_irqsave', { op: 'acquire', atomic: true, reason: 'irqs disabled' }],
    ['bit_spin_lock', { op: 'acquire', atomic: true, lockArg: 1 }],
    ['mutex_lock', { op: 'acquire', atomic: false, class: 'mutex', lockArg: 0 }],
    ['usb_lock_device', { op: 'acquire', atomic: false, class: 'mutex', lockArg: 0 }],
    ['usb_lock_device_for_reset', { op: 'tryacquire', atomic: false, class: 'mutex', success: 'zero' }],
    ['device_unlock', { op: 'release', atomic: false, class: 'mutex', lockArg: 0 }],
    ['mutex_lock_interruptible', { op: 'tryacquire', atomic: false, success: 'zero' }],
    ['mutex_trylock', { op: 'tryacquire', atomic: false, success: 'nonzero' }],
    ['down_read', { op: 'acquire', atomic: false, class: 'rwsem_read' }],
    ['up_write', { op: 'release', atomic: false, class: 'rwsem_write' }],
    ['down_trylock', { op: 'tryacquire', atomic: false, success: 'zero' }],
    ['srcu_read_lock', { op: 'acquire', atomic: false, class: 'srcu' }],
  ])('%s', (name, expected) => {
    expect(lockCall(name)).toMatchObject(expected as object);
  });

  it('returns undefined for other calls', () => {
    expect(lockCall('kmalloc')).toBeUndefined();
    expect(lockCall('constructor')).toBeUndefined();
  });

  it('every acquired class has a release of the same class', () => {
    const acquired = new Set<string>();
    const released = new Set<string>();
    for (const n of lockCallNames()) {
      const c = lockCall(n)!;
      (c.op === 'release' ? released : acquired).add(c.class);
      if (c.op === 'tryacquire') expect(c.success, n).toBeDefined();
    }
    for (const c of acquired) expect(released.has(c), c).toBe(true);
  });
});

describe('guardClass', () => {
  it.each<[string, boolean, boolean]>([
    ['spinlock', true, false],
    ['spinlock_irqsave', true, false],
    ['spinlock_try', true, true],
    ['raw_spinlock', true, false],
    ['write_lock_irq', true, false],
    ['rcu', true, false],
    ['preempt', true, false],
    ['irqsave', true, false],
    ['mutex', false, false],
    ['mutex_intr', false, true],
    ['rwsem_read', false, false],
    ['rwsem_write', false, false],
    ['srcu', false, false],
    ['migrate', false, false],
  ])('%s: atomic %s, conditional %s', (name, atomic, conditional) => {
    expect(guardClass(name)).toMatchObject({ atomic, conditional });
  });

  it('pairs like the matching lock calls', () => {
    expect(guardClass('spinlock_irqsave')?.class).toBe(lockCall('spin_lock_irqsave')?.class);
    expect(guardClass('mutex')?.class).toBe(lockCall('mutex_lock')?.class);
    expect(guardClass('rcu')?.reason).toBe(lockCall('rcu_read_lock')?.reason);
  });

  it('knows only guard classes whose lock class exists', () => {
    for (const name of Object.keys(GUARD_CLASSES)) expect(guardClass(name), name).toBeDefined();
    expect(guardClass('device')).toBeUndefined();
  });
});

describe('lock naming the analysis relies on', () => {
  it('classes pair by family; irqrestore forms re-enable interrupts', () => {
    expect(lockClassFamily('spinlock_irqsave')).toBe(lockClassFamily('spinlock'));
    expect(lockClassFamily('raw_spinlock_bh')).toBe('raw_spinlock');
    expect(restoresIrqs('spinlock_irqsave')).toBe(true);
    expect(restoresIrqs('spinlock_irq')).toBe(true);
    expect(restoresIrqs('spinlock_bh')).toBe(false);
  });

  it('looksLikeRelease: names that drop a lock, known or not', () => {
    for (const n of ['foo_unlock', 'spin_unlock_irqrestore', 'preempt_enable', 'up', 'up_read', 'local_bh_enable']) expect(looksLikeRelease(n), n).toBe(true);
    for (const n of ['foo_lock', 'upload', 'enable_irq_wake2x']) expect(looksLikeRelease(n), n).toBe(false);
  });
});

it('unlock helpers and guard macros by name', () => {
  expect(mayBeUnlockHelper('wbc_attach_and_unlock_inode')).toBe(true);
  expect(mayBeUnlockHelper('xfs_buf_relse')).toBe(false);
  expect(GUARD_MACROS).toContain('scoped_guard');
});

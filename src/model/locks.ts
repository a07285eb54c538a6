/**
 * Lock and context primitives: which calls acquire or release what, and which make the context
 * atomic (no sleeping allocation allowed). Also the guard()/scoped_guard() classes of
 * include/linux/cleanup.h users (6.12).
 */

/** What a call does to the lock and atomic-context state. */
export interface LockCall {
  op: 'acquire' | 'release' | 'tryacquire';
  /** Holding it makes the context atomic (spinning, preemption/irqs/bh off, RCU). */
  atomic: boolean;
  /** Why the context is atomic, for messages: 'spinlock', 'rcu_read_lock', 'irqs disabled', … */
  reason: string;
  /** Pairing class: an acquire is ended by a release of the same class (and same lock). */
  class: string;
  /** Argument that names the lock (the caller keys it with exprKey()); null for per-CPU/task state. */
  lockArg: number | null;
  /** For tryacquire: which return value means the lock was taken. */
  success?: 'nonzero' | 'zero';
}

type Entry = [op: LockCall['op'], cls: string, lockArg: number | null, success?: 'nonzero' | 'zero'];

interface LockClass {
  atomic: boolean;
  reason: string;
}

/**
 * Lock classes and whether they make the context atomic. Spinlocks, rwlocks and local_lock are
 * the !PREEMPT_RT behaviour (include/linux/spinlock.h, include/linux/local_lock_internal.h);
 * rcu_read_lock() is atomic for sleeping purposes (RCU readers must not block).
 */
export const LOCK_CLASSES: Readonly<Record<string, LockClass>> = {
  spinlock: { atomic: true, reason: 'spinlock' },
  spinlock_bh: { atomic: true, reason: 'spinlock' },
  spinlock_irq: { atomic: true, reason: 'spinlock' },
  spinlock_irqsave: { atomic: true, reason: 'spinlock' },
  raw_spinlock: { atomic: true, reason: 'raw spinlock' },
  raw_spinlock_bh: { atomic: true, reason: 'raw spinlock' },
  raw_spinlock_irq: { atomic: true, reason: 'raw spinlock' },
  raw_spinlock_irqsave: { atomic: true, reason: 'raw spinlock' },
  arch_spinlock: { atomic: true, reason: 'raw spinlock' },
  bit_spinlock: { atomic: true, reason: 'bit spinlock' },
  read_lock: { atomic: true, reason: 'rwlock' },
  read_lock_bh: { atomic: true, reason: 'rwlock' },
  read_lock_irq: { atomic: true, reason: 'rwlock' },
  read_lock_irqsave: { atomic: true, reason: 'rwlock' },
  write_lock: { atomic: true, reason: 'rwlock' },
  write_lock_bh: { atomic: true, reason: 'rwlock' },
  write_lock_irq: { atomic: true, reason: 'rwlock' },
  write_lock_irqsave: { atomic: true, reason: 'rwlock' },
  seqlock_write: { atomic: true, reason: 'spinlock' },
  seqlock_write_bh: { atomic: true, reason: 'spinlock' },
  seqlock_write_irq: { atomic: true, reason: 'spinlock' },
  seqlock_write_irqsave: { atomic: true, reason: 'spinlock' },
  xa_lock: { atomic: true, reason: 'spinlock' },
  xa_lock_bh: { atomic: true, reason: 'spinlock' },
  xa_lock_irq: { atomic: true, reason: 'spinlock' },
  xa_lock_irqsave: { atomic: true, reason: 'spinlock' },
  bh_lock_sock: { atomic: true, reason: 'spinlock' },
  rcu: { atomic: true, reason: 'rcu_read_lock' },
  rcu_bh: { atomic: true, reason: 'rcu_read_lock' },
  rcu_sched: { atomic: true, reason: 'rcu_read_lock' },
  preempt: { atomic: true, reason: 'preemption disabled' },
  get_cpu: { atomic: true, reason: 'preemption disabled' },
  local_lock: { atomic: true, reason: 'preemption disabled' },
  local_lock_nested_bh: { atomic: true, reason: 'bh disabled' },
  local_lock_irq: { atomic: true, reason: 'irqs disabled' },
  local_lock_irqsave: { atomic: true, reason: 'irqs disabled' },
  irq: { atomic: true, reason: 'irqs disabled' },
  irqsave: { atomic: true, reason: 'irqs disabled' },
  bh: { atomic: true, reason: 'bh disabled' },
  mutex: { atomic: false, reason: 'mutex' },
  rt_mutex: { atomic: false, reason: 'rt_mutex' },
  ww_mutex: { atomic: false, reason: 'ww_mutex' },
  rwsem_read: { atomic: false, reason: 'rwsem' },
  rwsem_write: { atomic: false, reason: 'rwsem' },
  percpu_rwsem_read: { atomic: false, reason: 'percpu rwsem' },
  percpu_rwsem_write: { atomic: false, reason: 'percpu rwsem' },
  cpus_read_lock: { atomic: false, reason: 'cpu hotplug lock' },
  semaphore: { atomic: false, reason: 'semaphore' },
  srcu: { atomic: false, reason: 'srcu_read_lock' },
  lock_sock: { atomic: false, reason: 'socket lock' },
  page_lock: { atomic: false, reason: 'page lock' },
  folio_lock: { atomic: false, reason: 'folio lock' },
  migrate: { atomic: false, reason: 'migration disabled' },
};

const LOCK_CALLS: Readonly<Record<string, Entry>> = {
  // include/linux/spinlock.h
  spin_lock: ['acquire', 'spinlock', 0],
  spin_lock_nested: ['acquire', 'spinlock', 0],
  spin_lock_nest_lock: ['acquire', 'spinlock', 0],
  spin_unlock: ['release', 'spinlock', 0],
  spin_trylock: ['tryacquire', 'spinlock', 0, 'nonzero'],
  spin_lock_bh: ['acquire', 'spinlock_bh', 0],
  spin_unlock_bh: ['release', 'spinlock_bh', 0],
  spin_trylock_bh: ['tryacquire', 'spinlock_bh', 0, 'nonzero'],
  spin_lock_irq: ['acquire', 'spinlock_irq', 0],
  spin_unlock_irq: ['release', 'spinlock_irq', 0],
  spin_trylock_irq: ['tryacquire', 'spinlock_irq', 0, 'nonzero'],
  spin_lock_irqsave: ['acquire', 'spinlock_irqsave', 0],
  spin_lock_irqsave_nested: ['acquire', 'spinlock_irqsave', 0],
  spin_unlock_irqrestore: ['release', 'spinlock_irqsave', 0],
  spin_trylock_irqsave: ['tryacquire', 'spinlock_irqsave', 0, 'nonzero'],
  raw_spin_lock: ['acquire', 'raw_spinlock', 0],
  raw_spin_lock_nested: ['acquire', 'raw_spinlock', 0],
  raw_spin_unlock: ['release', 'raw_spinlock', 0],
  raw_spin_trylock: ['tryacquire', 'raw_spinlock', 0, 'nonzero'],
  raw_spin_lock_bh: ['acquire', 'raw_spinlock_bh', 0],
  raw_spin_unlock_bh: ['release', 'raw_spinlock_bh', 0],
  raw_spin_lock_irq: ['acquire', 'raw_spinlock_irq', 0],
  raw_spin_unlock_irq: ['release', 'raw_spinlock_irq', 0],
  raw_spin_lock_irqsave: ['acquire', 'raw_spinlock_irqsave', 0],
  raw_spin_lock_irqsave_nested: ['acquire', 'raw_spinlock_irqsave', 0],
  raw_spin_unlock_irqrestore: ['release', 'raw_spinlock_irqsave', 0],
  raw_spin_trylock_irqsave: ['tryacquire', 'raw_spinlock_irqsave', 0, 'nonzero'],
  arch_spin_lock: ['acquire', 'arch_spinlock', 0],
  arch_spin_unlock: ['release', 'arch_spinlock', 0],
  // include/linux/bit_spinlock.h: bit_spin_lock(bitnum, addr)
  bit_spin_lock: ['acquire', 'bit_spinlock', 1],
  bit_spin_unlock: ['release', 'bit_spinlock', 1],
  __bit_spin_unlock: ['release', 'bit_spinlock', 1],
  bit_spin_trylock: ['tryacquire', 'bit_spinlock', 1, 'nonzero'],
  // include/linux/rwlock.h
  read_lock: ['acquire', 'read_lock', 0],
  read_unlock: ['release', 'read_lock', 0],
  read_trylock: ['tryacquire', 'read_lock', 0, 'nonzero'],
  read_lock_bh: ['acquire', 'read_lock_bh', 0],
  read_unlock_bh: ['release', 'read_lock_bh', 0],
  read_lock_irq: ['acquire', 'read_lock_irq', 0],
  read_unlock_irq: ['release', 'read_lock_irq', 0],
  read_lock_irqsave: ['acquire', 'read_lock_irqsave', 0],
  read_unlock_irqrestore: ['release', 'read_lock_irqsave', 0],
  write_lock: ['acquire', 'write_lock', 0],
  write_unlock: ['release', 'write_lock', 0],
  write_trylock: ['tryacquire', 'write_lock', 0, 'nonzero'],
  write_lock_bh: ['acquire', 'write_lock_bh', 0],
  write_unlock_bh: ['release', 'write_lock_bh', 0],
  write_lock_irq: ['acquire', 'write_lock_irq', 0],
  write_unlock_irq: ['release', 'write_lock_irq', 0],
  write_lock_irqsave: ['acquire', 'write_lock_irqsave', 0],
  write_unlock_irqrestore: ['release', 'write_lock_irqsave', 0],
  // include/linux/seqlock.h: the writer side takes the embedded spinlock
  write_seqlock: ['acquire', 'seqlock_write', 0],
  write_sequnlock: ['release', 'seqlock_write', 0],
  write_seqlock_bh: ['acquire', 'seqlock_write_bh', 0],
  write_sequnlock_bh: ['release', 'seqlock_write_bh', 0],
  write_seqlock_irq: ['acquire', 'seqlock_write_irq', 0],
  write_sequnlock_irq: ['release', 'seqlock_write_irq', 0],
  write_seqlock_irqsave: ['acquire', 'seqlock_write_irqsave', 0],
  write_sequnlock_irqrestore: ['release', 'seqlock_write_irqsave', 0],
  read_seqlock_excl: ['acquire', 'seqlock_write', 0],
  read_sequnlock_excl: ['release', 'seqlock_write', 0],
  // include/linux/xarray.h, include/net/sock.h
  xa_lock: ['acquire', 'xa_lock', 0],
  xa_unlock: ['release', 'xa_lock', 0],
  xa_lock_bh: ['acquire', 'xa_lock_bh', 0],
  xa_unlock_bh: ['release', 'xa_lock_bh', 0],
  xa_lock_irq: ['acquire', 'xa_lock_irq', 0],
  xa_unlock_irq: ['release', 'xa_lock_irq', 0],
  xa_lock_irqsave: ['acquire', 'xa_lock_irqsave', 0],
  xa_unlock_irqrestore: ['release', 'xa_lock_irqsave', 0],
  bh_lock_sock: ['acquire', 'bh_lock_sock', 0],
  bh_lock_sock_nested: ['acquire', 'bh_lock_sock', 0],
  bh_unlock_sock: ['release', 'bh_lock_sock', 0],
  // include/linux/rcupdate.h
  rcu_read_lock: ['acquire', 'rcu', null],
  rcu_read_unlock: ['release', 'rcu', null],
  rcu_read_lock_bh: ['acquire', 'rcu_bh', null],
  rcu_read_unlock_bh: ['release', 'rcu_bh', null],
  rcu_read_lock_sched: ['acquire', 'rcu_sched', null],
  rcu_read_unlock_sched: ['release', 'rcu_sched', null],
  rcu_read_lock_sched_notrace: ['acquire', 'rcu_sched', null],
  rcu_read_unlock_sched_notrace: ['release', 'rcu_sched', null],
  // include/linux/srcu.h: readers may sleep
  srcu_read_lock: ['acquire', 'srcu', 0],
  srcu_read_unlock: ['release', 'srcu', 0],
  // include/linux/preempt.h, include/linux/smp.h, include/linux/percpu-defs.h
  preempt_disable: ['acquire', 'preempt', null],
  preempt_disable_notrace: ['acquire', 'preempt', null],
  preempt_enable: ['release', 'preempt', null],
  preempt_enable_notrace: ['release', 'preempt', null],
  preempt_enable_no_resched: ['release', 'preempt', null],
  // schedule() pairs preempt_disable() with this one (kernel/sched/core.c); without it schedule()
  // looked like a function that returns with preemption disabled.
  sched_preempt_enable_no_resched: ['release', 'preempt', null],
  preempt_enable_no_resched_notrace: ['release', 'preempt', null],
  get_cpu: ['acquire', 'get_cpu', null],
  put_cpu: ['release', 'get_cpu', null],
  get_cpu_var: ['acquire', 'get_cpu', null],
  put_cpu_var: ['release', 'get_cpu', null],
  get_cpu_ptr: ['acquire', 'get_cpu', null],
  put_cpu_ptr: ['release', 'get_cpu', null],
  migrate_disable: ['acquire', 'migrate', null],
  migrate_enable: ['release', 'migrate', null],
  // include/linux/local_lock.h
  local_lock: ['acquire', 'local_lock', 0],
  local_unlock: ['release', 'local_lock', 0],
  local_lock_nested_bh: ['acquire', 'local_lock_nested_bh', 0],
  local_unlock_nested_bh: ['release', 'local_lock_nested_bh', 0],
  local_lock_irq: ['acquire', 'local_lock_irq', 0],
  local_unlock_irq: ['release', 'local_lock_irq', 0],
  local_lock_irqsave: ['acquire', 'local_lock_irqsave', 0],
  local_unlock_irqrestore: ['release', 'local_lock_irqsave', 0],
  // include/linux/irqflags.h, include/linux/bottom_half.h
  local_irq_disable: ['acquire', 'irq', null],
  local_irq_enable: ['release', 'irq', null],
  raw_local_irq_disable: ['acquire', 'irq', null],
  raw_local_irq_enable: ['release', 'irq', null],
  local_irq_save: ['acquire', 'irqsave', null],
  local_irq_restore: ['release', 'irqsave', null],
  raw_local_irq_save: ['acquire', 'irqsave', null],
  raw_local_irq_restore: ['release', 'irqsave', null],
  local_bh_disable: ['acquire', 'bh', null],
  local_bh_enable: ['release', 'bh', null],
  // include/linux/mutex.h: the interruptible/killable forms return 0 when they took the lock
  mutex_lock: ['acquire', 'mutex', 0],
  mutex_lock_nested: ['acquire', 'mutex', 0],
  mutex_lock_nest_lock: ['acquire', 'mutex', 0],
  mutex_lock_io: ['acquire', 'mutex', 0],
  mutex_lock_interruptible: ['tryacquire', 'mutex', 0, 'zero'],
  mutex_lock_interruptible_nested: ['tryacquire', 'mutex', 0, 'zero'],
  mutex_lock_killable: ['tryacquire', 'mutex', 0, 'zero'],
  mutex_lock_killable_nested: ['tryacquire', 'mutex', 0, 'zero'],
  mutex_trylock: ['tryacquire', 'mutex', 0, 'nonzero'],
  mutex_unlock: ['release', 'mutex', 0],
  rt_mutex_lock: ['acquire', 'rt_mutex', 0],
  rt_mutex_trylock: ['tryacquire', 'rt_mutex', 0, 'nonzero'],
  rt_mutex_unlock: ['release', 'rt_mutex', 0],
  ww_mutex_lock: ['tryacquire', 'ww_mutex', 0, 'zero'],
  ww_mutex_lock_interruptible: ['tryacquire', 'ww_mutex', 0, 'zero'],
  ww_mutex_trylock: ['tryacquire', 'ww_mutex', 0, 'nonzero'],
  ww_mutex_unlock: ['release', 'ww_mutex', 0],
  // include/linux/rwsem.h
  down_read: ['acquire', 'rwsem_read', 0],
  down_read_nested: ['acquire', 'rwsem_read', 0],
  down_read_non_owner: ['acquire', 'rwsem_read', 0],
  down_read_interruptible: ['tryacquire', 'rwsem_read', 0, 'zero'],
  down_read_killable: ['tryacquire', 'rwsem_read', 0, 'zero'],
  down_read_trylock: ['tryacquire', 'rwsem_read', 0, 'nonzero'],
  up_read: ['release', 'rwsem_read', 0],
  up_read_non_owner: ['release', 'rwsem_read', 0],
  down_write: ['acquire', 'rwsem_write', 0],
  down_write_nested: ['acquire', 'rwsem_write', 0],
  down_write_killable: ['tryacquire', 'rwsem_write', 0, 'zero'],
  down_write_trylock: ['tryacquire', 'rwsem_write', 0, 'nonzero'],
  up_write: ['release', 'rwsem_write', 0],
  percpu_down_read: ['acquire', 'percpu_rwsem_read', 0],
  percpu_up_read: ['release', 'percpu_rwsem_read', 0],
  percpu_down_write: ['acquire', 'percpu_rwsem_write', 0],
  percpu_up_write: ['release', 'percpu_rwsem_write', 0],
  cpus_read_lock: ['acquire', 'cpus_read_lock', null],
  cpus_read_unlock: ['release', 'cpus_read_lock', null],
  // include/linux/semaphore.h: down_trylock() returns 0 on success
  down: ['acquire', 'semaphore', 0],
  down_interruptible: ['tryacquire', 'semaphore', 0, 'zero'],
  down_killable: ['tryacquire', 'semaphore', 0, 'zero'],
  down_timeout: ['tryacquire', 'semaphore', 0, 'zero'],
  down_trylock: ['tryacquire', 'semaphore', 0, 'zero'],
  up: ['release', 'semaphore', 0],
  // include/net/sock.h, include/linux/pagemap.h
  lock_sock: ['acquire', 'lock_sock', 0],
  lock_sock_nested: ['acquire', 'lock_sock', 0],
  release_sock: ['release', 'lock_sock', 0],
  lock_page: ['acquire', 'page_lock', 0],
  trylock_page: ['tryacquire', 'page_lock', 0, 'nonzero'],
  unlock_page: ['release', 'page_lock', 0],
  lock_buffer: ['acquire', 'page_lock', 0],
  unlock_buffer: ['release', 'page_lock', 0],
  folio_lock: ['acquire', 'folio_lock', 0],
  folio_trylock: ['tryacquire', 'folio_lock', 0, 'nonzero'],
  folio_unlock: ['release', 'folio_lock', 0],
  // Sleeping-lock wrappers of the VFS and mm headers, which a scan of fs/ alone never sees
  // defined (include/linux/fs.h, include/linux/mmap_lock.h, include/linux/pagemap.h,
  // include/linux/buffer_head.h, include/net/sock.h).
  inode_lock: ['acquire', 'rwsem_write', 0],
  inode_lock_nested: ['acquire', 'rwsem_write', 0],
  inode_unlock: ['release', 'rwsem_write', 0],
  inode_lock_shared: ['acquire', 'rwsem_read', 0],
  inode_lock_shared_nested: ['acquire', 'rwsem_read', 0],
  inode_unlock_shared: ['release', 'rwsem_read', 0],
  filemap_invalidate_lock: ['acquire', 'rwsem_write', 0],
  filemap_invalidate_unlock: ['release', 'rwsem_write', 0],
  filemap_invalidate_lock_shared: ['acquire', 'rwsem_read', 0],
  filemap_invalidate_unlock_shared: ['release', 'rwsem_read', 0],
  i_mmap_lock_write: ['acquire', 'rwsem_write', 0],
  i_mmap_unlock_write: ['release', 'rwsem_write', 0],
  i_mmap_lock_read: ['acquire', 'rwsem_read', 0],
  i_mmap_unlock_read: ['release', 'rwsem_read', 0],
  mmap_read_lock: ['acquire', 'rwsem_read', 0],
  mmap_read_unlock: ['release', 'rwsem_read', 0],
  mmap_write_lock: ['acquire', 'rwsem_write', 0],
  mmap_write_unlock: ['release', 'rwsem_write', 0],
  // The device mutex (include/linux/device.h) and its USB spellings, which are macros
  // (include/linux/usb.h: `#define usb_lock_device(udev) device_lock(&(udev)->dev)`), so no
  // definition is there to infer them from. usb_lock_device_for_reset() returns 0 when it locked.
  device_lock: ['acquire', 'mutex', 0],
  device_trylock: ['tryacquire', 'mutex', 0, 'nonzero'],
  device_lock_interruptible: ['tryacquire', 'mutex', 0, 'zero'],
  device_unlock: ['release', 'mutex', 0],
  usb_lock_device: ['acquire', 'mutex', 0],
  usb_trylock_device: ['tryacquire', 'mutex', 0, 'nonzero'],
  usb_lock_device_interruptible: ['tryacquire', 'mutex', 0, 'zero'],
  usb_lock_device_for_reset: ['tryacquire', 'mutex', 0, 'zero'],
  usb_unlock_device: ['release', 'mutex', 0],
  // Page-table locks (include/linux/mm.h): the spinlock is the `ptl` argument.
  pte_offset_map_lock: ['acquire', 'spinlock', 3],
  pte_unmap_unlock: ['release', 'spinlock', 1],
};

/** Classifies a lock/context call; undefined for any other function. */
export function lockCall(name: string): LockCall | undefined {
  if (!Object.hasOwn(LOCK_CALLS, name)) return undefined;
  const [op, cls, lockArg, success] = LOCK_CALLS[name];
  const c = LOCK_CLASSES[cls];
  const out: LockCall = { op, atomic: c.atomic, reason: c.reason, class: cls, lockArg };
  if (success) out.success = success;
  return out;
}

/**
 * True for a name that reads as releasing a lock or re-enabling what an atomic section disabled,
 * known to lockCall() or not: `*_unlock()`, `*_irqrestore()`, `*_enable()`, `up()`, `up_read()`
 * (the kernel's naming, include/linux/spinlock.h, rwsem.h, semaphore.h, bottom_half.h).
 */
export function looksLikeRelease(name: string): boolean {
  return /unlock|_irqrestore$|_enable$|^up(_read|_write)?$|^local_bh_enable/.test(name);
}

/** The family of a lock class: `spinlock_irqsave` and `spinlock` pair as one lock taken and released. */
export function lockClassFamily(cls: string): string {
  return cls.replace(/_(irq|irqsave|bh|nested)$/, '');
}

/** True when releasing a lock of class `cls` also re-enables interrupts (`spin_unlock_irqrestore()`, `_irq` forms). */
export function restoresIrqs(cls: string): boolean {
  return /irqsave|_irq$/.test(cls);
}

/** The scope-based lock macros of include/linux/cleanup.h (:336, :360, :372 in 6.12). */
export const GUARD_MACROS: readonly string[] = ['guard', 'scoped_guard', 'scoped_cond_guard'];

/**
 * True for a name that may be a helper taking over a lock to drop it (`*_unlock*()`, `*release*()`),
 * such as wbc_attach_and_unlock_inode() (include/linux/writeback.h in 6.1).
 */
export function mayBeUnlockHelper(name: string): boolean {
  return /unlock|release/.test(name);
}

/** Every function lockCall() knows (for pre-filters). */
export function lockCallNames(): string[] {
  return Object.keys(LOCK_CALLS).sort();
}

/**
 * guard(NAME)(…) / scoped_guard(NAME, …) classes (DEFINE_GUARD, DEFINE_LOCK_GUARD_0/1 in
 * include/linux/{spinlock,mutex,rwsem,rcupdate,preempt,irqflags,srcu,local_lock,cpu}.h, 6.12).
 * The `_try` and `_intr` variants (DEFINE_*_COND) are conditional: scoped_guard's body runs only
 * when the lock was taken. The value names the lockCall() class the guard pairs as.
 */
export const GUARD_CLASSES: Readonly<Record<string, string>> = {
  spinlock: 'spinlock', spinlock_try: 'spinlock',
  spinlock_irq: 'spinlock_irq', spinlock_irq_try: 'spinlock_irq',
  spinlock_irqsave: 'spinlock_irqsave', spinlock_irqsave_try: 'spinlock_irqsave',
  spinlock_bh: 'spinlock_bh', spinlock_bh_try: 'spinlock_bh',
  raw_spinlock: 'raw_spinlock', raw_spinlock_try: 'raw_spinlock', raw_spinlock_nested: 'raw_spinlock',
  raw_spinlock_irq: 'raw_spinlock_irq', raw_spinlock_irq_try: 'raw_spinlock_irq',
  raw_spinlock_irqsave: 'raw_spinlock_irqsave', raw_spinlock_irqsave_try: 'raw_spinlock_irqsave',
  raw_spinlock_bh: 'raw_spinlock_bh', raw_spinlock_bh_try: 'raw_spinlock_bh',
  read_lock: 'read_lock', read_lock_irq: 'read_lock_irq', read_lock_irqsave: 'read_lock_irqsave',
  write_lock: 'write_lock', write_lock_irq: 'write_lock_irq', write_lock_irqsave: 'write_lock_irqsave',
  rcu: 'rcu', srcu: 'srcu',
  preempt: 'preempt', preempt_notrace: 'preempt', migrate: 'migrate',
  irq: 'irq', irqsave: 'irqsave',
  local_lock: 'local_lock', local_lock_irq: 'local_lock_irq', local_lock_irqsave: 'local_lock_irqsave',
  local_lock_nested_bh: 'local_lock_nested_bh',
  mutex: 'mutex', mutex_try: 'mutex', mutex_intr: 'mutex',
  rwsem_read: 'rwsem_read', rwsem_read_try: 'rwsem_read', rwsem_read_intr: 'rwsem_read',
  rwsem_write: 'rwsem_write', rwsem_write_try: 'rwsem_write',
  cpus_read_lock: 'cpus_read_lock',
};

/** What holding guard(NAME) means for the context; undefined for guards the model does not know. */
export function guardClass(name: string): { atomic: boolean; reason: string; class: string; conditional: boolean } | undefined {
  if (!Object.hasOwn(GUARD_CLASSES, name)) return undefined;
  const cls = GUARD_CLASSES[name];
  const c = LOCK_CLASSES[cls];
  return { atomic: c.atomic, reason: c.reason, class: cls, conditional: /_(try|intr)$/.test(name) };
}

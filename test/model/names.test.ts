import { expect, it } from 'vitest';
import { lookupAllocator } from '../../src/model/allocators.js';
import { KERNEL_MENTIONS, modelCallNames, widenModelNames } from '../../src/model/names.js';

it('the pre-scan names cover every modelled kernel', () => {
  const calls = modelCallNames();
  // A provider of 6.9+ only, one of 6.1 only, an allocator removed in 6.9, a guard macro, a lock.
  for (const n of ['xlog_cil_push_work', 'mddev_suspend', 'kmem_alloc', 'scoped_guard', 'spin_lock', 'memalloc_flags_save']) expect(calls, n).toContain(n);
  expect(calls).not.toContain('kfree');
  expect(widenModelNames().has('xfs_trans_alloc')).toBe(true);
  expect(widenModelNames().has('spin_lock')).toBe(false);
  expect(lookupAllocator('kmem_alloc', { major: 6, minor: 12 })).toBeUndefined();
  expect(KERNEL_MENTIONS.test('current->flags |= PF_MEMALLOC_NOIO')).toBe(true);
  expect(KERNEL_MENTIONS.test('kfree(p);')).toBe(false);
});

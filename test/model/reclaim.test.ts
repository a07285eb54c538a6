import { describe, expect, test } from 'vitest';
import { handleScope, lockClass } from '../../src/model/reclaim.js';

describe('lock classes for comparing held locks with what reclaim takes', () => {
  const local = (n: string) => ['inode', 'bh', 'bi'].includes(n);
  test('a field path is its last field; a generic field name keeps its holder', () => {
    expect(lockClass('&EXT4_I(inode)->i_data_sem', 'down_read', local)).toBe('i_data_sem');
    expect(lockClass('bi->i_map_sem', 'down_write', local)).toBe('i_map_sem');
    expect(lockClass('&node->mutex', 'mutex_lock', local)).toBe('node->mutex');
    expect(lockClass('&sock->mutex', 'mutex_lock', local)).not.toBe(lockClass('&node->mutex', 'mutex_lock', local));
  });
  test('a global is its name; a lock named by a local is the call that took it', () => {
    expect(lockClass('&foo_mutex', 'mutex_lock', local)).toBe('foo_mutex');
    expect(lockClass('bh', 'lock_buffer', local)).toBe('lock_buffer()');
  });
});

describe('handles that carry a scope', () => {
  test('XFS transactions and ocfs2 handles always; ext4 handles only with a journal; btrfs never', () => {
    expect(handleScope('struct xfs_trans *', 'fs/xfs/xfs_bmap.c', { major: 6, minor: 1 })?.onlyWhen).toBeUndefined();
    expect(handleScope('handle_t *', 'fs/ocfs2/alloc.c', { major: 6, minor: 12 })?.kind).toBe('nofs');
    expect(handleScope('handle_t *', 'fs/ext4/inode.c', { major: 6, minor: 12 })?.onlyWhen).toMatch(/journal/);
    expect(handleScope('struct btrfs_trans_handle *', 'fs/btrfs/inode.c', { major: 6, minor: 12 })).toBeUndefined();
    expect(handleScope('struct xfs_trans *', 'fs/xfs/xfs_bmap.c', { major: 4, minor: 9 })).toBeUndefined();
  });
});

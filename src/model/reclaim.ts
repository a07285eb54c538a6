/**
 * What direct reclaim can call back into (../shared/spec/reclaim-reach.md): the entry points into
 * filesystems that an allocation keeping __GFP_FS may run, the code whose I/O reclaim waits for
 * (where GFP_NOIO is the point), and the transaction handles that carry a NOFS scope to whoever
 * receives them (allocator-model.md §5). Data only; the program stage computes what each entry
 * takes (src/program/global-view.ts) and src/program/verdicts.ts applies the decision rule (§5).
 */
import type { ScopeKind } from './memalloc-scopes.js';
import { atLeast, type KernelVersion } from './version.js';

/** Which gfp bit lets reclaim run an entry point. */
export type ReclaimGate = 'fs' | 'io';

export interface ReclaimEntry { structType: string; slot: string; gate: ReclaimGate; why: string }

/**
 * Ops slots reclaim runs (spec §1, §4; 6.12 lines, 6.1 the same code unless noted):
 * super_cache_scan() (fs/super.c:193, needs __GFP_FS; 6.1:76) → prune_dcache_sb()/prune_icache_sb()
 * → iput_final() → ->drop_inode (fs/inode.c:1855) and, for I_DONTCACHE or inactive sbs,
 * write_inode_now() → ->write_inode (:1872); evict() → ->evict_inode (:721), ->destroy_inode
 * (:752); then ->free_cached_objects (fs/super.c:227). shrink_folio_list() →
 * filemap_release_folio(folio, sc->gfp_mask) → ->release_folio (mm/vmscan.c:1455, mm/filemap.c:4227;
 * 6.1:4015): the callee decides by the mask, so it counts as __GFP_FS-gated.
 */
export const RECLAIM_ENTRIES: readonly ReclaimEntry[] = [
  { structType: 'super_operations', slot: 'evict_inode', gate: 'fs', why: 'evict() runs ->evict_inode for inodes the superblock shrinker prunes (fs/inode.c evict(), fs/super.c super_cache_scan())' },
  { structType: 'super_operations', slot: 'destroy_inode', gate: 'fs', why: 'evict() → destroy_inode() runs ->destroy_inode (fs/inode.c)' },
  { structType: 'super_operations', slot: 'drop_inode', gate: 'fs', why: 'iput_final() runs ->drop_inode when the dentry shrinker drops the last reference (fs/inode.c)' },
  { structType: 'super_operations', slot: 'write_inode', gate: 'fs', why: 'iput_final() writes an I_DONTCACHE inode synchronously with write_inode_now() (fs/inode.c)' },
  { structType: 'super_operations', slot: 'free_cached_objects', gate: 'fs', why: 'super_cache_scan() runs ->free_cached_objects (fs/super.c)' },
  { structType: 'address_space_operations', slot: 'release_folio', gate: 'fs', why: 'shrink_folio_list() → filemap_release_folio() runs ->release_folio with the reclaim mask (mm/vmscan.c, mm/filemap.c)' },
  { structType: 'address_space_operations', slot: 'releasepage', gate: 'fs', why: 'reclaim runs ->releasepage with the reclaim mask (mm/vmscan.c, before ->release_folio)' },
  { structType: 'shrinker', slot: 'scan_objects', gate: 'fs', why: 'shrink_slab() runs every registered shrinker (mm/shrinker.c, 6.1 mm/vmscan.c)' },
];

export function reclaimEntry(structType: string | undefined, slot: string | undefined): ReclaimEntry | undefined {
  if (!structType || !slot) return undefined;
  return RECLAIM_ENTRIES.find((e) => e.structType === structType && e.slot === slot);
}

/**
 * Calls that begin a transaction or take freeze protection that a reclaim entry may wait for
 * (spec §4): jbd2/ext4/ocfs2 handle starts wait for a locked transaction (fs/jbd2/transaction.c
 * wait_transaction_locked()), XFS reserves log space, btrfs joins a transaction that may be
 * committing, gfs2 takes sd_log_flush_lock (fs/gfs2/trans.c), reiserfs journal_begin() waits for
 * room in the journal (fs/reiserfs/journal.c; reiserfs_evict_inode() begins one). A task holding one of these and
 * entering reclaim can wait for itself. (f2fs_lock_op() is a read of cp_rwsem: a lock, by class.)
 */
export const TRANSACTION_BEGINS: ReadonlySet<string> = new Set([
  'jbd2__journal_start', 'jbd2_journal_start', 'ext4_journal_start', 'ext4_journal_start_sb', '__ext4_journal_start_sb', '__ext4_journal_start',
  'ext4_journal_start_with_reserve', 'ext4_journal_start_with_revoke', 'ocfs2_start_trans', 'xfs_trans_alloc', 'xfs_trans_alloc_inode',
  'xfs_trans_alloc_icreate', 'xfs_trans_alloc_ichange', 'xfs_trans_alloc_dir', 'btrfs_start_transaction', 'btrfs_join_transaction',
  'btrfs_join_transaction_nostart', 'btrfs_attach_transaction', 'gfs2_trans_begin', 'bch2_trans_get', 'journal_begin',
]);

/**
 * Code whose I/O direct reclaim waits for (spec §3): the block layer and block drivers (inside
 * ->submit_bio new bios only queue on current->bio_list, block/blk-core.c), md/dm, SCSI and the
 * other storage transports, network block transports (libceph for rbd, nbd, drbd in drivers/block),
 * swap (mm/page_io.c, mm/swapfile.c, mm/zswap.c). GFP_NOIO there is what keeps reclaim off I/O this
 * task must issue first.
 */
export const IO_PATH_CODE = /^(?:.*\/)?(block|drivers\/(block|md|scsi|nvme|mmc|mtd|ata|target|usb\/storage|s390\/block)|net\/ceph|mm\/(page_io|swapfile|swap_state|zswap|zsmalloc))(\/|\.c$)/;

/** A handle type whose live holders run inside a memalloc scope (allocator-model §5, rule of thumb (b)). */
export interface HandleScope {
  /** Matches the declared type of a parameter or local. */
  type: RegExp;
  /** Files in which the rule holds (the same `handle_t` is ext4's or ocfs2's). */
  files?: RegExp;
  kind: ScopeKind;
  /** The provider opens the scope only under this condition. */
  onlyWhen?: string;
  since?: [number, number];
  note: string;
}

/**
 * XFS: xfs_trans_alloc() → xfs_trans_set_context() (fs/xfs/xfs_trans.h:271, 6.1 :285) saves the
 * NOFS cookie in tp->t_pflags for the transaction's life; xfs_trans_roll()/xfs_trans_dup() move it
 * (xfs_trans_switch_context()). Since 4.12 ("xfs: abstract PF_FSTRANS to PF_MEMALLOC_NOFS").
 * jbd2: start_this_handle() saves it in handle->saved_alloc_context (fs/jbd2/transaction.c:443,
 * 6.1:455) since 4.12; ocfs2 always runs with a journal (fs/ocfs2/journal.c ocfs2_start_trans());
 * ext4 without a journal hands out ext4_get_nojournal() handles that open no scope
 * (fs/ext4/ext4_jbd2.c __ext4_journal_start_sb()).
 */
const HANDLE_SCOPES: readonly HandleScope[] = [
  { type: /\bstruct\s+xfs_trans\s*\*/, kind: 'nofs', since: [4, 12], note: "an XFS transaction carries the NOFS scope xfs_trans_alloc() opened in 't_pflags' until it is committed or cancelled (fs/xfs/xfs_trans.h xfs_trans_set_context())" },
  { type: /\bhandle_t\s*\*/, files: /(^|\/)fs\/(ocfs2|jbd2)\//, kind: 'nofs', since: [4, 12], note: "a jbd2 handle carries the NOFS scope start_this_handle() saved in 'saved_alloc_context' until it is stopped (fs/jbd2/transaction.c)" },
  { type: /\bhandle_t\s*\*/, files: /(^|\/)fs\/ext4\//, kind: 'nofs', since: [4, 12], onlyWhen: 'when the journal is enabled', note: "an ext4 handle opens the jbd2 NOFS scope only with a journal: without one (and during fast-commit replay) __ext4_journal_start_sb() returns ext4_get_nojournal(), which opens none (fs/ext4/ext4_jbd2.c)" },
];

/** The scope a live handle of declared type `type` carries in `file`, for kernel `v`. */
export function handleScope(type: string, file: string, v: KernelVersion): HandleScope | undefined {
  return HANDLE_SCOPES.find((h) => h.type.test(type) && (!h.files || h.files.test(file)) && (!h.since || atLeast(v, h.since[0], h.since[1])));
}

/**
 * The class of a lock for comparing what a site holds with what reclaim takes: the last field of
 * a field path (`EXT4_I(inode)->i_data_sem` → `i_data_sem`), a global's name, or, for a lock named
 * only by a local or parameter (`lock_buffer(bh)`, `ext4_write_lock_xattr(inode)`), the call that
 * took it. Per-inode locks of a referenced inode conflict with evict by class only (spec §5 rule 5).
 */
const GENERIC_LOCK_FIELD = /^(lock|mutex|mtx|sem|rwsem|rw_sem|lk|m|spinlock|lock_mutex|io_mutex)$/;

export function lockClass(lockText: string, what: string, isLocal: (name: string) => boolean): string {
  const t = lockText.replace(/^&/, '').replace(/\s+/g, '');
  const field = /(?:->|\.)([A-Za-z_]\w*)(?:\[[^\]]*\])?\)?$/.exec(t);
  if (field) {
    // A field named only `lock`, `mutex`, `sem`… says nothing of its structure: keep what holds it
    // (`node->mutex`, `sock->mutex`), so that unrelated structures do not share a class.
    if (!GENERIC_LOCK_FIELD.test(field[1])) return field[1];
    const holder = /([A-Za-z_]\w*)(?:\([^()]*\))?\)?$/.exec(t.slice(0, field.index))?.[1];
    return holder ? `${holder}->${field[1]}` : field[1];
  }
  const bare = /^\*?([A-Za-z_]\w*)$/.exec(t);
  if (bare && !isLocal(bare[1])) return bare[1];
  return `${what}()`;
}

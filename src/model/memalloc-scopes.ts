/**
 * The memalloc scope API and its effect on gfp masks (mirrors current_gfp_context() in
 * include/linux/sched/mm.h), the task flags behind it, and the transaction scope providers of
 * allocator-model.md §5.
 */

import type { Expr } from '../facts/expr.js';
import type { GfpTable } from './gfp-tables.js';
import { atLeast, inRange, type KernelVersion, type VersionRange } from './version.js';

/**
 * What a scope does. `flags` is the generic memalloc_flags_save(PF_…) form (6.9+) whose argument
 * did not resolve to one scope ({@link flagsSaveKind}): it strips nothing.
 */
export type ScopeKind = 'nofs' | 'noio' | 'noreclaim' | 'pin' | 'flags';

/**
 * Bits each scope strips in current_gfp_context() (include/linux/sched/mm.h, 6.1 and 6.12):
 * NOIO clears __GFP_IO|__GFP_FS, NOFS clears __GFP_FS, PIN clears __GFP_MOVABLE. PF_MEMALLOC
 * (noreclaim) changes no mask bit: the page allocator skips direct reclaim for the task instead
 * (__gfp_pfmemalloc_flags(), mm/page_alloc.c). A scope never adds bits (§2.4).
 */
export const SCOPE_CLEARS: Readonly<Record<ScopeKind, readonly string[]>> = {
  nofs: ['__GFP_FS'],
  noio: ['__GFP_IO', '__GFP_FS'],
  pin: ['__GFP_MOVABLE'],
  noreclaim: [],
  flags: [],
};

/**
 * Per-call masks that only repeat what a scope already strips, and the mask to write instead
 * (Documentation/core-api/gfp_mask-from-fs-io.rst: "use GFP_KERNEL … and the scope API"). Which
 * scope makes the rewrite behaviour-preserving is decided by {@link applyScopes}, not here.
 */
export const SCOPED_MASK_REPLACEMENT: Readonly<Record<string, string>> = {
  GFP_NOFS: 'GFP_KERNEL',
  GFP_NOIO: 'GFP_KERNEL',
};

interface ScopeFunction extends VersionRange {
  kind: ScopeKind;
  op: 'save' | 'restore';
}

/**
 * The scope API by function name (§2.1, §2.6). memalloc_noio_* predates 4.12 (3.9) and
 * memalloc_nocma_* was renamed memalloc_pin_* in 5.13 (1a08ae36cf8b).
 */
export const SCOPE_FUNCTIONS: Readonly<Record<string, ScopeFunction>> = {
  memalloc_noio_save: { kind: 'noio', op: 'save' },
  memalloc_noio_restore: { kind: 'noio', op: 'restore' },
  memalloc_nofs_save: { kind: 'nofs', op: 'save' },
  memalloc_nofs_restore: { kind: 'nofs', op: 'restore' },
  memalloc_noreclaim_save: { kind: 'noreclaim', op: 'save' },
  memalloc_noreclaim_restore: { kind: 'noreclaim', op: 'restore' },
  // d7fefcc8de91 (5.1), renamed by 1a08ae36cf8b (5.13)
  memalloc_nocma_save: { kind: 'pin', op: 'save', since: [5, 1], until: [5, 13] },
  memalloc_nocma_restore: { kind: 'pin', op: 'restore', since: [5, 1], until: [5, 13] },
  memalloc_pin_save: { kind: 'pin', op: 'save', since: [5, 13] },
  memalloc_pin_restore: { kind: 'pin', op: 'restore', since: [5, 13] },
  // 3f6d5e6a468d "mm: introduce memalloc_flags_{save,restore}" (6.9)
  memalloc_flags_save: { kind: 'flags', op: 'save', since: [6, 9] },
  memalloc_flags_restore: { kind: 'flags', op: 'restore', since: [6, 9] },
};

/**
 * Classifies a call to the scope API for kernel `v`; undefined for any other name. Given the
 * call's first argument, a generic `memalloc_flags_save(PF_…)` is resolved to the scope it opens
 * ({@link flagsSaveKind}); the op alone needs no argument.
 */
export function scopeCall(name: string, v: KernelVersion, firstArg?: Expr): { kind: ScopeKind; op: 'save' | 'restore' } | undefined {
  const f = Object.hasOwn(SCOPE_FUNCTIONS, name) ? SCOPE_FUNCTIONS[name] : undefined;
  if (!f || !inRange(v, f)) return undefined;
  const kind = f.kind === 'flags' && f.op === 'save' && firstArg ? flagsSaveKind(firstArg, v) : f.kind;
  return { kind, op: f.op };
}

/**
 * The scope `memalloc_flags_save(flags)` opens. It sets the PF_* bits of `flags` on the task
 * (include/linux/sched/mm.h:331 in 6.12), and the kind-specific saves are nothing else:
 * memalloc_noio_save() is memalloc_flags_save(PF_MEMALLOC_NOIO) (mm.h:357), memalloc_nofs_save()
 * PF_MEMALLOC_NOFS (mm.h:387), memalloc_noreclaim_save() PF_MEMALLOC (mm.h:428). bcachefs wraps
 * it as memalloc_flags_do(flags, expr) (fs/bcachefs/fs.c:386). NOIO covers NOFS, so
 * `PF_MEMALLOC_NOFS | PF_MEMALLOC_NOIO` is a NOIO scope; flags naming two different scopes
 * (NOFS and PIN) or that do not resolve stay the generic `flags` kind, which strips nothing.
 */
export function flagsSaveKind(flags: Expr, v: KernelVersion): ScopeKind {
  const { kinds, unresolved } = pfMemallocKinds(flags, v);
  if (unresolved.length) return 'flags';
  const distinct = kinds.includes('noio') ? kinds.filter((k) => k !== 'nofs') : kinds;
  return distinct.length === 1 ? distinct[0] : 'flags';
}

/**
 * The effective mask: `mask` minus what the active scopes strip, exactly current_gfp_context()
 * (include/linux/sched/mm.h). `flags` scopes strip nothing here: resolve them to concrete kinds
 * with {@link pfMemallocKinds} first.
 */
export function applyScopes(mask: number, active: Iterable<ScopeKind>, table: GfpTable): number {
  let out = mask >>> 0;
  for (const kind of active) {
    for (const name of SCOPE_CLEARS[kind]) {
      const b = table.bits.get(name);
      if (b !== undefined) out = (out & ~b) >>> 0;
    }
  }
  return out;
}

/** True when an active `outer` scope already gives what `needed` asks for (NOIO implies NOFS). */
export function scopeCovers(outer: ScopeKind, needed: 'nofs' | 'noio'): boolean {
  if (outer === 'noio') return true;
  return outer === 'nofs' && needed === 'nofs';
}

/**
 * What `X_restore(0)` does (§2.2): before 6.9 the cookie is the previous value of the PF bit, so
 * 0 clears the flag and ends every enclosing scope of that kind; from 6.9 the cookie is the bits
 * the save added and 0 is a no-op.
 */
export function restoreZeroSemantics(v: KernelVersion): 'clears' | 'noop' {
  return atLeast(v, 6, 9) ? 'noop' : 'clears';
}

/**
 * One-line descriptions of the cookie rules of `v` (§2.2, §2.3), for messages. 3f6d5e6a468d (6.9)
 * made every *_restore() the same function, memalloc_flags_restore().
 */
export function cookieSemantics(v: KernelVersion): { restoreZero: string; crossKind: string; nonLifo: string } {
  if (atLeast(v, 6, 9)) {
    return {
      restoreZero: 'restore with 0 is a no-op since 6.9 (3f6d5e6a468d): a scope whose cookie is lost never ends',
      crossKind: 'since 6.9 every restore is memalloc_flags_restore(), so a cookie of another kind clears the bits its own save added',
      nonLifo: 'an out-of-order restore clears the flag early and the later restore does nothing',
    };
  }
  return {
    restoreZero: 'restore with 0 clears the flag before 6.9, ending any enclosing scope of that kind',
    crossKind: 'before 6.9 a restore of another kind writes the wrong PF bit: the scope state is clobbered',
    nonLifo: 'an out-of-order restore re-sets the flag, so the scope leaks past both restores',
  };
}

/** A PF_* task flag that the scope API sets (include/linux/sched.h, values of 6.1 and 6.12). */
export interface PfMemallocFlag extends VersionRange {
  kind: Exclude<ScopeKind, 'flags'>;
  value: number;
}

/** The PF_MEMALLOC* flags and the scope kind each one is (§2.1; include/linux/sched.h:1702-1720 in 6.12). */
export const PF_MEMALLOC_FLAGS: Readonly<Record<string, PfMemallocFlag>> = {
  PF_MEMALLOC: { kind: 'noreclaim', value: 0x800 },
  PF_MEMALLOC_NOFS: { kind: 'nofs', value: 0x40000 },
  PF_MEMALLOC_NOIO: { kind: 'noio', value: 0x80000 },
  PF_MEMALLOC_PIN: { kind: 'pin', value: 0x10000000, since: [5, 13] },
  PF_MEMALLOC_NOCMA: { kind: 'pin', value: 0x10000000, since: [5, 1], until: [5, 13] },
};

/**
 * The scope kinds a PF_* flag expression names, e.g. the argument of memalloc_flags_save() or
 * an open-coded `current->flags |= PF_MEMALLOC_NOIO | PF_LOCAL_THROTTLE` (§2.5). Flags that are
 * not memalloc scopes (PF_LOCAL_THROTTLE, PF_KSWAPD) are ignored; anything else is unresolved.
 */
export function pfMemallocKinds(e: Expr, v?: KernelVersion): { kinds: ScopeKind[]; unresolved: string[] } {
  const kinds = new Set<ScopeKind>();
  const unresolved: string[] = [];
  const walk = (x: Expr): void => {
    switch (x.k) {
      case 'id': {
        const kind = pfMemallocFlagKind(x.name, v);
        if (kind) kinds.add(kind);
        else if (!NON_SCOPE_PF_FLAGS.has(x.name)) unresolved.push(x.name);
        return;
      }
      case 'bin':
        if (x.op === '|') { walk(x.l); walk(x.r); return; }
        break;
      case 'cast':
        walk(x.e);
        return;
      case 'num':
        if (x.value === 0) return;
        for (const [name, f] of Object.entries(PF_MEMALLOC_FLAGS)) {
          if (x.value !== null && (x.value & f.value) !== 0 && name !== 'PF_MEMALLOC_NOCMA') kinds.add(f.kind);
        }
        return;
      default:
        break;
    }
    unresolved.push(x.k === 'call' ? `${x.fn}()` : x.k);
  };
  walk(e);
  return { kinds: [...kinds], unresolved };
}

/**
 * Helpers that put saved task-flag bits back (include/linux/sched.h: current_restore_flags()
 * clears `flags` and ORs in `orig_flags & flags`; fs/xfs/xfs_linux.h: the _nested pair), with the
 * index of the argument that names the bits (the saved copy comes first).
 */
export const TASK_FLAG_RESTORES: Readonly<Record<string, { flagsArg: number }>> = {
  current_restore_flags: { flagsArg: 1 },
  current_restore_flags_nested: { flagsArg: 1 },
};

/** Helpers that save the task flags before setting bits (fs/xfs/xfs_linux.h: current_set_flags_nested()). */
export const TASK_FLAG_SAVES: ReadonlySet<string> = new Set(['current_set_flags_nested']);

/**
 * Since 6.9 memalloc_flags_save(flags) sets any PF_* bits and returns the old ones for
 * memalloc_flags_restore() (include/linux/sched/mm.h in 6.12; absent in 6.1): an open-coded
 * whole-word save/restore of PF_MEMALLOC_* together with other bits (PF_LOCAL_THROTTLE) has an
 * API form only from then.
 */
export const MEMALLOC_FLAGS_SAVE_SINCE: readonly [number, number] = [6, 9];

/** True for a PF_* task flag name that is one of the memalloc scopes. */
export function isPfMemallocFlag(name: string): boolean {
  return Object.hasOwn(PF_MEMALLOC_FLAGS, name);
}

// Task flags that travel with memalloc flags but are not scopes (include/linux/sched.h).
const NON_SCOPE_PF_FLAGS = new Set(['PF_LOCAL_THROTTLE', 'PF_KSWAPD', 'PF_KCOMPACTD']);

/** The scope kind the task flag `name` is on kernel `v` (any modelled kernel without `v`); undefined for other names. */
export function pfMemallocFlagKind(name: string, v?: KernelVersion): PfMemallocFlag['kind'] | undefined {
  const f = Object.hasOwn(PF_MEMALLOC_FLAGS, name) ? PF_MEMALLOC_FLAGS[name] : undefined;
  return f && (!v || inRange(v, f)) ? f.kind : undefined;
}

/**
 * True for a name of the PF_MEMALLOC* task-flag family (include/linux/sched.h), including ones
 * this model does not know: a write of any of them to a task's flags is an open-coded scope.
 */
export function isMemallocTaskFlag(name: string): boolean {
  return name.startsWith('PF_MEMALLOC');
}

/**
 * A function pair that enters and leaves a memalloc scope across function boundaries (§5), with
 * the cookie kept in a handle field. `stop` absent with `wholeBody` means the start function's
 * own body (and everything it calls) runs in the scope; it does not open a scope in its caller.
 */
export interface ScopeProvider {
  start: string;
  stop?: string;
  /** Further functions that also end the scope (e.g. `xfs_trans_cancel` next to `xfs_trans_commit`). */
  altStops?: string[];
  kind: ScopeKind;
  /** The handle type whose holders run in the scope, e.g. `handle_t`, `struct xfs_trans`. */
  handleType?: string;
  cookieField?: string;
  /** The scope covers the start function's body, not its caller (kjournald2, sunrpc workers). */
  wholeBody?: boolean;
  /** Which argument of the start/stop call carries the handle ('return': the start's result); inferred providers set it. */
  handleParam?: number | 'return';
  /** The conditions under which the provider really opens a scope (ext4: only with a journal). */
  onlyWhen?: string;
  /**
   * Returns with the scope open on only some paths (an inferred provider that starts its
   * transaction under a condition, like ocfs2_zero_start_ordered_transaction() in
   * fs/ocfs2/file.c): its caller is inside the scope on some paths, never surely.
   */
  someExits?: boolean;
  /**
   * Opens the scope on success only: its failure exits return NULL or an ERR_PTR before the
   * scope opens (an inferred provider whose handle is its result). A caller is inside the scope
   * only on the branch where it tested the result as a success (`if (IS_ERR(h)) return …;`,
   * `if (!h) goto out;`).
   */
  onSuccess?: ('null' | 'errptr')[];
  /** Set for providers gfplint inferred from the scanned code, with the chain that shows it. */
  inferred?: { file: string; line: number; function: string };
  since?: [number, number];
  until?: [number, number];
  note: string;
}

const JBD2_NOTE = 'start_this_handle() saves memalloc_nofs_save() in handle->saved_alloc_context; nested starts on the same task only bump h_ref (fs/jbd2/transaction.c)';
const EXT4_NOTE = 'via jbd2; no scope in no-journal mode (ext4_get_nojournal() only counts in current->journal_info), so code holding a handle_t may run without NOFS (fs/ext4/ext4_jbd2.c)';
const XFS_NOTE = 'xfs_trans_alloc() → xfs_trans_set_context() saves the cookie in tp->t_pflags; xfs_trans_free() → xfs_trans_clear_context() restores it; xfs_trans_roll() moves it to the new transaction (fs/xfs/xfs_trans.c, fs/xfs/xfs_trans.h)';

const PROVIDERS: readonly ScopeProvider[] = [
  ...['jbd2__journal_start', 'jbd2_journal_start', 'jbd2_journal_start_reserved', 'jbd2__journal_restart', 'jbd2_journal_restart'].map(
    (start): ScopeProvider => ({ start, stop: 'jbd2_journal_stop', kind: 'nofs', handleType: 'handle_t', cookieField: 'saved_alloc_context', handleParam: start.includes('restart') || start.endsWith('_reserved') ? 0 : 'return', note: JBD2_NOTE }),
  ),
  ...['ext4_journal_start', 'ext4_journal_start_sb', 'ext4_journal_start_with_reserve', 'ext4_journal_start_with_revoke', '__ext4_journal_start', '__ext4_journal_start_sb', 'ext4_journal_start_reserved', '__ext4_journal_start_reserved'].map(
    (start): ScopeProvider => ({ start, stop: 'ext4_journal_stop', altStops: ['__ext4_journal_stop'], kind: 'nofs', handleType: 'handle_t', cookieField: 'saved_alloc_context', handleParam: start.includes('reserved') ? 0 : 'return', onlyWhen: 'when the journal is enabled', note: EXT4_NOTE }),
  ),
  { start: 'ext4_writepages_down_read', stop: 'ext4_writepages_up_read', kind: 'nofs', note: 'takes s_writepages_rwsem and returns the memalloc_nofs_save() cookie, which the caller passes back to the up helper (fs/ext4/ext4.h; 6.1.192 has it as a stable backport)' },
  { start: 'ext4_writepages_down_write', stop: 'ext4_writepages_up_write', kind: 'nofs', note: 'as ext4_writepages_down_read(), for the write side (fs/ext4/ext4.h)' },
  { start: 'ocfs2_start_trans', stop: 'ocfs2_commit_trans', kind: 'nofs', handleType: 'handle_t', cookieField: 'saved_alloc_context', handleParam: 'return', note: 'ocfs2_start_trans() → jbd2_journal_start(), ocfs2_commit_trans() → jbd2_journal_stop() (fs/ocfs2/journal.c)' },
  ...['xfs_trans_alloc', 'xfs_trans_alloc_inode', 'xfs_trans_alloc_icreate', 'xfs_trans_alloc_ichange', 'xfs_trans_alloc_dir', 'xfs_trans_alloc_empty'].map(
    (start): ScopeProvider => ({ start, stop: 'xfs_trans_commit', altStops: ['__xfs_trans_commit', 'xfs_trans_cancel'], kind: 'nofs', handleType: 'struct xfs_trans', cookieField: 't_pflags', note: XFS_NOTE }),
  ),
  { start: 'xlog_cil_push_work', kind: 'nofs', wholeBody: true, since: [6, 9], note: 'the whole CIL push runs under memalloc_nofs_save() since the 6.9 GFP_NOFS removal ("xfs: place the CIL under nofs allocation context", fs/xfs/xfs_log_cil.c)' },
  { start: 'xlog_recover_finish', kind: 'nofs', wholeBody: true, since: [6, 9], note: 'intent recovery runs under memalloc_nofs_save() since 6.9 (fs/xfs/xfs_log_recover.c)' },
  { start: 'kjournald2', kind: 'nofs', wholeBody: true, note: 'memalloc_nofs_save() with the cookie discarded: the journal thread is NOFS for its whole life (fs/jbd2/journal.c)' },
  { start: 'fsnotify_group_lock', stop: 'fsnotify_group_unlock', kind: 'nofs', handleType: 'struct fsnotify_group', cookieField: 'owner_flags', note: 'in 6.1 only FSNOTIFY_GROUP_NOFS groups enter the scope, in 6.12 every group does (include/linux/fsnotify_backend.h)' },
  { start: 'cifs_server_lock', stop: 'cifs_server_unlock', kind: 'nofs', handleType: 'struct TCP_Server_Info', cookieField: 'nofs_flag', note: 'saves memalloc_nofs_save() around server->_srv_mutex (fs/smb/client/cifsglob.h)' },
  { start: 'mddev_suspend', stop: 'mddev_resume', kind: 'noio', handleType: 'struct mddev', cookieField: 'noio_flag', until: [6, 7], note: 'cookie in mddev->noio_flag in 6.1 (drivers/md/md.c); 6.12 keeps local cookies inside md.c instead; the release of the change is [unconfirmed]' },
  { start: 'amdgpu_vm_eviction_lock', stop: 'amdgpu_vm_eviction_unlock', kind: 'noreclaim', cookieField: 'saved_flags', note: 'memalloc_noreclaim_save(), not NOFS (drivers/gpu/drm/amd/amdgpu/amdgpu_vm.h)' },
  { start: 'amdgpu_vm_eviction_trylock', stop: 'amdgpu_vm_eviction_unlock', kind: 'noreclaim', cookieField: 'saved_flags', note: 'saves only when the trylock succeeds (drivers/gpu/drm/amd/amdgpu/amdgpu_vm.h)' },
  { start: 'dqm_lock', stop: 'dqm_unlock', kind: 'noreclaim', cookieField: 'saved_flags', note: 'drivers/gpu/drm/amd/amdkfd/kfd_device_queue_manager.h' },
  { start: 'svm_range_lock', stop: 'svm_range_unlock', kind: 'noreclaim', cookieField: 'saved_flags', note: 'drivers/gpu/drm/amd/amdkfd/kfd_svm.h' },
  { start: 'amdgpu_mes_lock', stop: 'amdgpu_mes_unlock', kind: 'noreclaim', cookieField: 'saved_flags', note: 'drivers/gpu/drm/amd/amdgpu/amdgpu_mes.h' },
  ...['rpc_execute', 'rpc_async_schedule', 'rpc_async_release', 'xs_stream_data_receive_workfn', 'xs_udp_data_receive_workfn', 'xprt_autoclose'].map(
    (start): ScopeProvider => ({ start, kind: 'nofs', wholeBody: true, note: 'sunrpc runs RPC execution and socket receive work under memalloc_nofs_save() (net/sunrpc/sched.c, net/sunrpc/xprtsock.c, net/sunrpc/xprt.c)' }),
  ),
];

/**
 * The scope providers of kernel `v` (§5). btrfs is deliberately absent: start_transaction()
 * enters no scope, so GFP_NOFS under a btrfs handle is not redundant.
 */
export function scopeProviders(v: KernelVersion): ScopeProvider[] {
  return PROVIDERS.filter((p) => inRange(v, p)).map((p) => (p.altStops ? { ...p, altStops: [...p.altStops] } : { ...p }));
}

/** Every scope provider row of every modelled kernel (for name pre-filters that must not miss one). */
export function everyScopeProvider(): readonly ScopeProvider[] {
  return PROVIDERS;
}

/**
 * Transaction handle types and whether holding one means running in a NOFS scope (§5 rules of
 * thumb): propagate "in scope" to callees receiving `handle_t *` or `struct xfs_trans *`, never
 * for `struct btrfs_trans_handle *`.
 */
export function transactionHandleTypes(): { type: string; isScope: boolean; note: string }[] {
  return [
    { type: 'handle_t', isScope: true, note: 'jbd2 handle (ext4, ocfs2); ext4 no-journal mode has no scope' },
    { type: 'struct xfs_trans', isScope: true, note: 'XFS transaction, cookie in t_pflags' },
    { type: 'struct btrfs_trans_handle', isScope: false, note: 'btrfs transactions enter no memalloc scope (fs/btrfs/transaction.c start_transaction())' },
  ];
}

/**
 * Tests a caller makes of a handle-returning provider's result (ScopeProvider onSuccess):
 * `IS_ERR()` and `IS_ERR_OR_NULL()` are side-effect-free tests (include/linux/err.h), and
 * `likely()`/`unlikely()` are the value they wrap (include/linux/compiler.h), so a branch on
 * them is a branch on the handle.
 */
const PURE_TESTS = new Set(['IS_ERR', 'IS_ERR_OR_NULL']);
const BRANCH_HINTS = new Set(['likely', 'unlikely']);

export function isPureTest(name: string): boolean {
  return PURE_TESTS.has(name);
}

export function isBranchHint(name: string): boolean {
  return BRANCH_HINTS.has(name);
}

/**
 * How a message names what opened a scope: a call (`'memalloc_nofs_save()'`), or an open-coded
 * write of the task flags (`'current->flags'`, spec §2.5), which is a field, not a function.
 */
export function describeOpener(opener: string): string {
  return /^[A-Za-z_]\w*$/.test(opener) ? `'${opener}()'` : `'${opener}'`;
}

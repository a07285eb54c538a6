import { describe, expect, it } from 'vitest';
import { parseCExpr } from '../../src/facts/c-expr.js';
import { builtinGfpTable } from '../../src/model/gfp-tables.js';
import {
  applyScopes, cookieSemantics, flagsSaveKind, isMemallocTaskFlag, PF_MEMALLOC_FLAGS, pfMemallocFlagKind, pfMemallocKinds, restoreZeroSemantics, scopeCall, scopeCovers,
  scopeProviders, transactionHandleTypes, type ScopeKind,
} from '../../src/model/memalloc-scopes.js';
import type { Expr } from '../../src/facts/expr.js';

const V61 = { major: 6, minor: 1 };
const V612 = { major: 6, minor: 12 };
const t = builtinGfpTable(V612);

function expr(text: string): Expr {
  const e = parseCExpr(text);
  if ('error' in e) throw new Error(e.error);
  return e;
}

describe('applyScopes mirrors current_gfp_context() (§1.5, §2.4)', () => {
  const KERNEL = 0xcc0;
  const NOFS = 0xc40;
  const NOIO = 0xc00;
  it.each<[string, ScopeKind[], number]>([
    ['GFP_KERNEL', [], KERNEL],
    ['GFP_KERNEL', ['nofs'], NOFS],
    ['GFP_KERNEL', ['noio'], NOIO],
    ['GFP_KERNEL', ['nofs', 'noio'], NOIO],
    ['GFP_NOFS', ['nofs'], NOFS],
    ['GFP_NOFS', ['noio'], NOIO],
    ['GFP_KERNEL', ['noreclaim'], KERNEL],
    ['GFP_KERNEL', ['flags'], KERNEL],
    // scopes never add bits: GFP_ATOMIC stays non-blocking
    ['GFP_ATOMIC', ['noio'], 0x820],
    ['GFP_HIGHUSER_MOVABLE', ['pin'], t.masks.get('GFP_HIGHUSER_MOVABLE')! & ~0x8],
  ])('%s in %j', (name, scopes, expected) => {
    expect(applyScopes(t.masks.get(name)!, scopes, t)).toBe(expected >>> 0);
  });

  it('inside a NOFS scope GFP_KERNEL and GFP_NOFS are the same mask (§2.4 consequence 1)', () => {
    expect(applyScopes(t.masks.get('GFP_KERNEL')!, ['nofs'], t)).toBe(applyScopes(t.masks.get('GFP_NOFS')!, ['nofs'], t));
  });
});

describe('scopeCall', () => {
  it.each<[string, { major: number; minor: number }, ReturnType<typeof scopeCall>]>([
    ['memalloc_nofs_save', V61, { kind: 'nofs', op: 'save' }],
    ['memalloc_nofs_restore', V612, { kind: 'nofs', op: 'restore' }],
    ['memalloc_noio_save', { major: 4, minor: 12 }, { kind: 'noio', op: 'save' }],
    ['memalloc_noreclaim_restore', V61, { kind: 'noreclaim', op: 'restore' }],
    ['memalloc_pin_save', V61, { kind: 'pin', op: 'save' }],
    ['memalloc_pin_save', { major: 5, minor: 12 }, undefined],
    ['memalloc_nocma_save', { major: 5, minor: 10 }, { kind: 'pin', op: 'save' }],
    ['memalloc_nocma_save', { major: 5, minor: 13 }, undefined],
    ['memalloc_nocma_restore', { major: 5, minor: 0 }, undefined],
    ['memalloc_flags_save', V61, undefined],
    ['memalloc_flags_save', { major: 6, minor: 9 }, { kind: 'flags', op: 'save' }],
    ['memalloc_flags_restore', V612, { kind: 'flags', op: 'restore' }],
    ['memalloc_retry_wait', V612, undefined],
    ['toString', V612, undefined],
  ])('%s on %j', (name, v, expected) => {
    expect(scopeCall(name, v)).toEqual(expected);
  });
});

describe('scope semantics', () => {
  it('NOIO covers NOFS, not the other way round', () => {
    expect(scopeCovers('noio', 'nofs')).toBe(true);
    expect(scopeCovers('noio', 'noio')).toBe(true);
    expect(scopeCovers('nofs', 'nofs')).toBe(true);
    expect(scopeCovers('nofs', 'noio')).toBe(false);
    expect(scopeCovers('noreclaim', 'nofs')).toBe(false);
    expect(scopeCovers('pin', 'nofs')).toBe(false);
  });

  it('restore(0) clears before 6.9 and is a no-op from 6.9 (§2.2)', () => {
    expect(restoreZeroSemantics(V61)).toBe('clears');
    expect(restoreZeroSemantics({ major: 6, minor: 8 })).toBe('clears');
    expect(restoreZeroSemantics({ major: 6, minor: 9 })).toBe('noop');
    expect(restoreZeroSemantics(V612)).toBe('noop');
    expect(cookieSemantics(V61).restoreZero).toMatch(/clears/);
    expect(cookieSemantics(V612).restoreZero).toMatch(/no-op/);
  });

  it('PF_MEMALLOC* flags have the §2.1 values and kinds', () => {
    expect(PF_MEMALLOC_FLAGS.PF_MEMALLOC).toMatchObject({ kind: 'noreclaim', value: 0x800 });
    expect(PF_MEMALLOC_FLAGS.PF_MEMALLOC_NOFS).toMatchObject({ kind: 'nofs', value: 0x40000 });
    expect(PF_MEMALLOC_FLAGS.PF_MEMALLOC_NOIO).toMatchObject({ kind: 'noio', value: 0x80000 });
    expect(PF_MEMALLOC_FLAGS.PF_MEMALLOC_PIN).toMatchObject({ kind: 'pin', value: 0x10000000 });
  });

  it('pfMemallocKinds resolves PF expressions and ignores non-scope flags (§2.5)', () => {
    expect(pfMemallocKinds(expr('PF_LOCAL_THROTTLE | PF_MEMALLOC_NOIO'))).toEqual({ kinds: ['noio'], unresolved: [] });
    expect(pfMemallocKinds(expr('PF_MEMALLOC | PF_KSWAPD'))).toEqual({ kinds: ['noreclaim'], unresolved: [] });
    expect(pfMemallocKinds(expr('PF_MEMALLOC_NOFS | my_flags')).unresolved).toEqual(['my_flags']);
    expect(pfMemallocKinds(expr('0x40000')).kinds).toEqual(['nofs']);
  });

  it('memalloc_flags_save(PF_…) opens the scope its flags name (include/linux/sched/mm.h, 6.9+)', () => {
    expect(scopeCall('memalloc_flags_save', V612, expr('PF_MEMALLOC_NOFS'))).toEqual({ kind: 'nofs', op: 'save' });
    expect(scopeCall('memalloc_flags_save', V612, expr('PF_MEMALLOC_NOIO'))).toEqual({ kind: 'noio', op: 'save' });
    expect(scopeCall('memalloc_flags_save', V612)).toEqual({ kind: 'flags', op: 'save' });
    expect(scopeCall('memalloc_flags_restore', V612, expr('flags'))).toEqual({ kind: 'flags', op: 'restore' });
    expect(scopeCall('memalloc_flags_save', V61, expr('PF_MEMALLOC_NOFS'))).toBeUndefined();
    expect(flagsSaveKind(expr('PF_MEMALLOC'), V612)).toBe('noreclaim');
    expect(flagsSaveKind(expr('PF_MEMALLOC_NOFS | PF_MEMALLOC_NOIO'), V612)).toBe('noio');
    expect(flagsSaveKind(expr('PF_MEMALLOC_NOFS | PF_LOCAL_THROTTLE'), V612)).toBe('nofs');
    // Two different scopes at once, or flags known only at run time: the generic kind, which strips nothing.
    expect(flagsSaveKind(expr('PF_MEMALLOC_NOFS | PF_MEMALLOC_PIN'), V612)).toBe('flags');
    expect(flagsSaveKind(expr('pf'), V612)).toBe('flags');
  });

  it('task flags by kernel version', () => {
    expect(pfMemallocFlagKind('PF_MEMALLOC_PIN', V612)).toBe('pin');
    expect(pfMemallocFlagKind('PF_MEMALLOC_NOCMA', V612)).toBeUndefined();
    expect(pfMemallocFlagKind('PF_MEMALLOC_NOCMA', { major: 5, minor: 10 })).toBe('pin');
    expect(pfMemallocFlagKind('PF_KSWAPD', V612)).toBeUndefined();
    expect(isMemallocTaskFlag('PF_MEMALLOC_NOWARN')).toBe(true);
    expect(isMemallocTaskFlag('PF_KSWAPD')).toBe(false);
  });
});

describe('scope providers (§5)', () => {
  const byStart = (v: { major: number; minor: number }) => new Map(scopeProviders(v).map((p) => [p.start, p]));

  it('jbd2, ext4 and ocfs2 handles are NOFS scopes with the cookie in the handle', () => {
    const p = byStart(V612);
    for (const s of ['jbd2__journal_start', 'jbd2_journal_start', 'jbd2_journal_start_reserved', 'jbd2__journal_restart']) {
      expect(p.get(s)).toMatchObject({ stop: 'jbd2_journal_stop', kind: 'nofs', handleType: 'handle_t', cookieField: 'saved_alloc_context' });
    }
    expect(p.get('ext4_journal_start')).toMatchObject({ stop: 'ext4_journal_stop', kind: 'nofs' });
    expect(p.get('ext4_journal_start')?.altStops).toContain('__ext4_journal_stop');
    expect(p.get('__ext4_journal_start_sb')?.note).toMatch(/no-journal/);
    expect(p.get('ocfs2_start_trans')).toMatchObject({ stop: 'ocfs2_commit_trans', kind: 'nofs' });
    expect(p.get('ext4_writepages_down_write')).toMatchObject({ stop: 'ext4_writepages_up_write', kind: 'nofs' });
  });

  it('XFS transactions are NOFS scopes ended by commit or cancel', () => {
    const p = byStart(V61);
    for (const s of ['xfs_trans_alloc', 'xfs_trans_alloc_inode', 'xfs_trans_alloc_empty']) {
      const x = p.get(s)!;
      expect(x).toMatchObject({ kind: 'nofs', stop: 'xfs_trans_commit', handleType: 'struct xfs_trans', cookieField: 't_pflags' });
      expect(x.altStops).toContain('xfs_trans_cancel');
    }
  });

  it('has fsnotify and cifs, and version-dependent md and XFS log entries', () => {
    expect(byStart(V612).get('fsnotify_group_lock')).toMatchObject({ stop: 'fsnotify_group_unlock', kind: 'nofs', cookieField: 'owner_flags' });
    expect(byStart(V612).get('cifs_server_lock')).toMatchObject({ stop: 'cifs_server_unlock', kind: 'nofs', cookieField: 'nofs_flag' });
    expect(byStart(V61).get('mddev_suspend')).toMatchObject({ kind: 'noio', cookieField: 'noio_flag' });
    expect(byStart(V612).has('mddev_suspend')).toBe(false);
    expect(byStart(V61).has('xlog_cil_push_work')).toBe(false);
    expect(byStart(V612).get('xlog_cil_push_work')).toMatchObject({ wholeBody: true, kind: 'nofs' });
    expect(byStart(V612).get('dqm_lock')).toMatchObject({ kind: 'noreclaim' });
  });

  it('btrfs is not a provider', () => {
    for (const v of [V61, V612]) {
      for (const p of scopeProviders(v)) expect(p.start).not.toMatch(/btrfs|^start_transaction$/);
    }
    const types = new Map(transactionHandleTypes().map((h) => [h.type, h.isScope]));
    expect(types.get('handle_t')).toBe(true);
    expect(types.get('struct xfs_trans')).toBe(true);
    expect(types.get('struct btrfs_trans_handle')).toBe(false);
  });

  it('every provider either has a stop or covers its whole body', () => {
    for (const p of scopeProviders(V612)) expect(Boolean(p.stop) !== Boolean(p.wholeBody), p.start).toBe(true);
  });

  it('returns copies: callers cannot edit the table', () => {
    scopeProviders(V612)[0].start = 'changed';
    expect(scopeProviders(V612)[0].start).not.toBe('changed');
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCExpr } from '../../src/facts/c-expr.js';
import { builtinGfpTable } from '../../src/model/gfp-tables.js';
import {
  allowsFs, allowsIo, bit, callerConstraintIgnored, evalGfp, isNofsLike, isNoioLike, isNonContextFlag, mayAny, mustAll, storesGfpMask, formatGfpValue, gfpEquals, hasBit, isNonBlocking, joinGfp, known, maskNames,
  mayAllowFs, mayAllowIo, mayBlock, maySleep, mustBlock, mustHaveBit, mustLackFs, mustLackIo, paramValue, unknown,
  MAX_POSSIBLE_MASKS, type GfpEnv, type GfpValue,
} from '../../src/model/gfp.js';
import type { Expr } from '../../src/facts/expr.js';

const t61 = builtinGfpTable({ major: 6, minor: 1 });
const t612 = builtinGfpTable({ major: 6, minor: 12 });

// §1.1 / §1.2 values (config-independent bits only)
const FS = 0x80;
const IO = 0x40;
const ZERO = 0x100;
const NOWARN = 0x2000;
const NOFAIL = 0x8000;
const NORETRY = 0x10000;
const NOMEMALLOC = 0x80000;
const DIRECT = 0x400;
const KERNEL = 0xcc0;
const NOFS = 0xc40;
const NOIO = 0xc00;
const ATOMIC_612 = 0x820;

function expr(text: string): Expr {
  const e = parseCExpr(text);
  if ('error' in e) throw new Error(e.error);
  return e;
}

function ev(text: string, env: Partial<GfpEnv> = {}, table = t612): GfpValue {
  return evalGfp(expr(text), { table, ...env });
}

const params = (...names: string[]) => ({ paramIndex: (n: string) => (names.includes(n) ? names.indexOf(n) : undefined) });

describe('evalGfp', () => {
  it.each([
    ['GFP_NOFS | __GFP_NOFAIL', NOFS | NOFAIL],
    ['GFP_KERNEL | GFP_NOFS', KERNEL],
    ['GFP_KERNEL & ~__GFP_FS', NOFS],
    ['GFP_KERNEL & ~__GFP_RECLAIM', IO | FS],
    ['(__force gfp_t)0x400', DIRECT],
    ['0', 0],
    ['GFP_F2FS_ZERO', NOFS | ZERO],
    ['GFP_ATOMIC | __GFP_NOWARN', ATOMIC_612 | NOWARN],
    ['(GFP_KERNEL | __GFP_ZERO) & ~(__GFP_IO | __GFP_FS)', NOIO | ZERO],
    ['1 ? GFP_NOIO : GFP_KERNEL', NOIO],
    ['gfp_nested_mask(GFP_NOFS)', NOFS | NORETRY | NOMEMALLOC | NOWARN],
    ['default_gfp()', KERNEL],
    ['default_gfp(GFP_NOIO)', NOIO],
  ])('%s = %s', (text, mask) => {
    expect(ev(text)).toEqual({ kind: 'known', masks: [mask] });
  });

  it('GFP_KERNEL | GFP_NOFS is GFP_KERNEL: OR cannot clear __GFP_FS (§1.3)', () => {
    const v = ev('GFP_KERNEL | GFP_NOFS');
    expect(gfpEquals(v, ev('GFP_KERNEL'))).toBe(true);
    expect(mayAllowFs(v, t612)).toBe(true);
  });

  it('reads a gfp_t parameter with bits removed', () => {
    const v = ev('gfp & ~__GFP_FS', params('gfp'));
    expect(v).toEqual({ kind: 'param', param: 0, name: 'gfp', add: 0, remove: FS });
    expect(mustLackFs(v, t612)).toBe(true);
    expect(mayAllowIo(v, t612)).toBe(true);
    expect(mustLackIo(v, t612)).toBe(false);
    expect(mayBlock(v, t612)).toBe(true);
    expect(mustBlock(v, t612)).toBe(false);
  });

  it('reads a gfp_t parameter with bits added and removed in either order', () => {
    expect(ev('(flags | __GFP_ZERO) & ~__GFP_FS', params('size', 'flags'))).toEqual({ kind: 'param', param: 1, name: 'flags', add: ZERO, remove: FS });
    expect(ev('(flags & ~__GFP_FS) | __GFP_ZERO', params('size', 'flags'))).toEqual({ kind: 'param', param: 1, name: 'flags', add: ZERO, remove: FS });
    const v = ev('gfp | __GFP_NOFAIL', params('gfp'));
    expect(mustHaveBit(v, '__GFP_NOFAIL', t612)).toBe(true);
    expect(mustLackFs(v, t612)).toBe(false);
  });

  it('adding back a removed bit cancels the removal', () => {
    expect(ev('(gfp & ~__GFP_FS) | __GFP_FS', params('gfp'))).toEqual({ kind: 'param', param: 0, name: 'gfp', add: FS, remove: 0 });
  });

  it('uses locals; table macros win over locals (macros expand before C scoping)', () => {
    const lookupLocal = (n: string): GfpValue | undefined => (n === 'flags' ? known(NOIO) : n === 'GFP_KERNEL' ? known(0) : undefined);
    expect(ev('flags | __GFP_NOWARN', { lookupLocal })).toEqual({ kind: 'known', masks: [NOIO | NOWARN] });
    expect(ev('GFP_KERNEL', { lookupLocal })).toEqual({ kind: 'known', masks: [KERNEL] });
  });

  it('looks fields up by their expression text', () => {
    const lookupLocal = (n: string): GfpValue | undefined => (n === 'sc->gfp_mask' ? known(NOFS) : undefined);
    expect(ev('sc->gfp_mask & ~__GFP_IO', { lookupLocal })).toEqual({ kind: 'known', masks: [NOIO] });
    expect(ev('ctx->gfp')).toEqual({ kind: 'unknown', unresolved: ['ctx->gfp'] });
  });

  it('joins both arms of a ternary whose condition is not constant', () => {
    const v = ev('in_atomic ? GFP_ATOMIC : GFP_KERNEL');
    expect(v).toEqual({ kind: 'known', masks: [ATOMIC_612, KERNEL] });
    expect(mayBlock(v, t612)).toBe(true);
    expect(mustBlock(v, t612)).toBe(false);
    expect(mayAllowFs(v, t612)).toBe(true);
    expect(mustLackFs(v, t612)).toBe(false);
  });

  it('never treats an unknown name as zero, and lists it', () => {
    const v = ev('GFP_KERNEL | MY_DRIVER_GFP');
    expect(v.kind).toBe('unknown');
    expect((v as { unresolved: string[] }).unresolved).toEqual(['MY_DRIVER_GFP']);
    expect(mayAllowFs(v, t612)).toBe(true);
    expect(mustLackFs(v, t612)).toBe(false);
    expect(mayBlock(v, t612)).toBe(true);
    expect(mustBlock(v, t612)).toBe(false);
    expect((ev('A | B') as { unresolved: string[] }).unresolved.sort()).toEqual(['A', 'B']);
  });

  it('knows the pervasive helpers gfp_any() and nfs_io_gfp_mask() (§1.5)', () => {
    expect(ev('gfp_any()')).toEqual({ kind: 'known', masks: [ATOMIC_612, KERNEL] });
    const nfs = ev('nfs_io_gfp_mask()');
    expect(nfs.kind).toBe('known');
    expect((nfs as { masks: number[] }).masks).toEqual(expect.arrayContaining([KERNEL, NOFS, NOIO, KERNEL | NORETRY | NOWARN]));
    expect(mustBlock(nfs, t612)).toBe(true);
  });

  it('reports calls it cannot model as unknown with the function name', () => {
    const v = ev('my_driver_gfp_mask()');
    expect(v).toMatchObject({ kind: 'unknown', unresolved: ['my_driver_gfp_mask'] });
  });

  it('mapping_gfp_constraint(m, ~__GFP_FS) certainly lacks FS, whatever the mapping (§1.5)', () => {
    const v = ev('mapping_gfp_constraint(mapping, ~__GFP_FS)');
    expect(v.kind).toBe('known');
    expect(mustLackFs(v, t612)).toBe(true);
    expect(mustBlock(v, t612)).toBe(true);
    expect(mayAllowIo(v, t612)).toBe(true);
  });

  it('mapping_gfp_constraint(m, GFP_KERNEL) may or may not allow FS, as the mapping decides', () => {
    const v = ev('mapping_gfp_constraint(inode->i_mapping, GFP_KERNEL)');
    expect(mayAllowFs(v, t612)).toBe(true);
    expect(mustLackFs(v, t612)).toBe(false);
    const hm = t612.masks.get('GFP_HIGHUSER_MOVABLE')!;
    expect(ev('mapping_gfp_constraint(m, GFP_NOFS)', { mappingDefault: hm })).toEqual({ kind: 'known', masks: [(hm & NOFS) >>> 0] });
  });

  it('mapping_gfp_mask() is a hidden gfp source: FS is possible but not certain', () => {
    const v = ev('mapping_gfp_mask(mapping)');
    expect(mayAllowFs(v, t612)).toBe(true);
    expect(mustLackFs(v, t612)).toBe(false);
    expect(mustBlock(v, t612)).toBe(true);
    expect(mustLackFs(ev('mapping_gfp_mask(mapping)', { mappingDefault: NOFS }), t612)).toBe(true);
  });

  it('readahead_gfp_mask() adds __GFP_NORETRY | __GFP_NOWARN to the mapping mask', () => {
    const v = ev('readahead_gfp_mask(mapping)');
    expect(mustHaveBit(v, '__GFP_NORETRY', t612)).toBe(true);
    expect(mustHaveBit(v, '__GFP_NOWARN', t612)).toBe(true);
  });

  it('current_gfp_context(GFP_KERNEL) is at most GFP_KERNEL: any scope may strip FS or IO', () => {
    const v = ev('current_gfp_context(GFP_KERNEL)');
    expect(v.kind).toBe('known');
    const masks = (v as { masks: number[] }).masks;
    expect(masks).toEqual(expect.arrayContaining([KERNEL, NOFS, NOIO]));
    for (const m of masks) expect(m & ~KERNEL).toBe(0);
    expect(mustBlock(v, t612)).toBe(true);
    expect(mayAllowFs(v, t612)).toBe(true);
    expect(mustLackFs(v, t612)).toBe(false);
    expect(ev('current_gfp_context(gfp)', params('gfp')).kind).toBe('unknown');
  });

  it('memalloc_noio_flags() could only strip IO and FS', () => {
    expect(ev('memalloc_noio_flags(GFP_KERNEL)')).toEqual({ kind: 'known', masks: [NOIO, KERNEL] });
  });

  it('evaluates hand-built expressions too', () => {
    const e: Expr = {
      k: 'bin', op: '&',
      l: { k: 'cast', type: '__force gfp_t', e: { k: 'id', name: 'gfp' } },
      r: { k: 'un', op: '~', e: { k: 'id', name: '__GFP_IO' } },
    };
    expect(evalGfp(e, { table: t612, ...params('gfp') })).toEqual({ kind: 'param', param: 0, name: 'gfp', add: 0, remove: IO });
    expect(evalGfp({ k: 'assign', op: '|=', l: { k: 'id', name: 'GFP_NOFS' }, r: { k: 'id', name: '__GFP_ZERO' } }, { table: t612 }))
      .toEqual({ kind: 'known', masks: [NOFS | ZERO] });
    expect(evalGfp({ k: 'num', value: null, text: '0x1zz' }, { table: t612 }).kind).toBe('unknown');
    expect(evalGfp({ k: 'other', text: '({ ... })' }, { table: t612 }).kind).toBe('unknown');
  });

  it('differs between versions where the flags did (GFP_ATOMIC, GFP_NOWAIT)', () => {
    expect(ev('GFP_ATOMIC', {}, t61)).toEqual({ kind: 'known', masks: [0xa20] });
    expect(ev('GFP_NOWAIT', {}, t61)).toEqual({ kind: 'known', masks: [0x800] });
    expect(ev('__GFP_ATOMIC', {}, t612)).toMatchObject({ kind: 'unknown', unresolved: ['__GFP_ATOMIC'] });
  });
});

describe('abstract values', () => {
  it('joinGfp keeps a parameter only when both sides derive it the same way', () => {
    const a = paramValue(0, 'gfp', 0, FS);
    expect(joinGfp(a, paramValue(0, 'gfp', 0, FS))).toEqual(a);
    expect(joinGfp(a, paramValue(0, 'gfp', 0, IO)).kind).toBe('unknown');
    expect(joinGfp(a, known(NOFS)).kind).toBe('unknown');
    expect(joinGfp(known(NOFS), known([KERNEL, NOFS]))).toEqual({ kind: 'known', masks: [NOFS, KERNEL] });
  });

  it('widens to unknown past the possibility cap', () => {
    const many = Array.from({ length: MAX_POSSIBLE_MASKS + 1 }, (_, i) => 1 << i);
    expect(known(many).kind).toBe('unknown');
    expect(known(many.slice(0, MAX_POSSIBLE_MASKS)).kind).toBe('known');
  });

  it('unknown merges unresolved names', () => {
    expect(joinGfp(unknown(['A']), unknown(['B']))).toMatchObject({ kind: 'unknown', unresolved: ['A', 'B'] });
  });

  it('formats values for messages', () => {
    expect(formatGfpValue(known([KERNEL, NOFS]), t612)).toBe('GFP_NOFS or GFP_KERNEL');
    expect(formatGfpValue(paramValue(0, 'gfp', ZERO, FS), t612)).toBe('(gfp | __GFP_ZERO) & ~__GFP_FS');
    expect(formatGfpValue(unknown(['X']), t612)).toContain('X');
  });
});

describe('mask predicates', () => {
  it.each([
    ['GFP_KERNEL', true, true, true],
    ['GFP_NOFS', true, false, true],
    ['GFP_NOIO', true, false, false],
    ['GFP_ATOMIC', false, false, false],
    ['GFP_NOWAIT', false, false, false],
    ['GFP_DMA', false, false, false],
  ])('%s: sleeps %s, FS %s, IO %s (§1.2)', (name, sleeps, fs, io) => {
    for (const t of [t61, t612]) {
      const m = t.masks.get(name)!;
      expect(maySleep(m, t)).toBe(sleeps);
      expect(isNonBlocking(m, t)).toBe(!sleeps);
      expect(allowsFs(m, t)).toBe(fs);
      expect(allowsIo(m, t)).toBe(io);
    }
  });

  it('hasBit and bit know which flags a version has, and reject typos', () => {
    expect(hasBit(0xa20, '__GFP_ATOMIC', t61)).toBe(true);
    expect(hasBit(0xa20, '__GFP_ATOMIC', t612)).toBe(false);
    expect(bit(t612, '__GFP_ATOMIC')).toBe(0);
    expect(bit(t612, '__GFP_NOFAIL')).toBe(NOFAIL);
    expect(() => bit(t612, '__GFP_NOFAL')).toThrow(/not a gfp flag/);
  });
});

describe('maskNames', () => {
  it.each([
    [NOFS | ZERO, 'GFP_NOFS | __GFP_ZERO'],
    [KERNEL, 'GFP_KERNEL'],
    [NOFS | NOFAIL, 'GFP_NOFS | __GFP_NOFAIL'],
    [0x2800, 'GFP_NOWAIT'],
    [ATOMIC_612, 'GFP_ATOMIC'],
    [0, '0'],
  ])('spells mask %d as %s in 6.12', (mask, text) => {
    expect(maskNames(mask, t612)).toBe(text);
  });

  it('spells by version: 0x800 is GFP_NOWAIT only before 6.8', () => {
    expect(maskNames(0x800, t61)).toBe('GFP_NOWAIT');
    expect(maskNames(0x800, t612)).toBe('__GFP_KSWAPD_RECLAIM');
    expect(maskNames(0xa20, t61)).toBe('GFP_ATOMIC');
  });

  it('round-trips: the spelling evaluates back to the mask', () => {
    for (const t of [t61, t612]) {
      const bits = [...t.bits.values()];
      fc.assert(fc.property(fc.subarray(bits), (chosen) => {
        const mask = chosen.reduce((a, b) => (a | b) >>> 0, 0);
        const text = maskNames(mask, t);
        expect(evalGfp(expr(text), { table: t })).toEqual({ kind: 'known', masks: [mask] });
      }), { numRuns: 300 });
    }
  });
});

describe('mask classes rules ask about', () => {
  const g = (name: string) => t612.masks.get(name)!;
  it('NOFS-like and NOIO-like masks block but keep reclaim out of the filesystem / I/O', () => {
    expect(isNofsLike(g('GFP_NOFS'), t612)).toBe(true);
    expect(isNofsLike(g('GFP_NOIO'), t612)).toBe(true);
    expect(isNoioLike(g('GFP_NOIO'), t612)).toBe(true);
    expect(isNoioLike(g('GFP_NOFS'), t612)).toBe(false);
    expect(isNofsLike(g('GFP_KERNEL'), t612)).toBe(false);
    // GFP_NOWAIT lacks __GFP_FS but cannot block: not a NOFS mask.
    expect(isNofsLike(g('GFP_NOWAIT'), t612)).toBe(false);
  });

  it('mustAll / mayAny quantify over known values only', () => {
    expect(mustAll(known([NOFS, KERNEL]), (m) => isNofsLike(m, t612))).toBe(false);
    expect(mayAny(known([NOFS, KERNEL]), (m) => isNofsLike(m, t612))).toBe(true);
    expect(mustAll(known([]), () => true)).toBe(false);
    expect(mustAll(paramValue(0, 'gfp'), () => true)).toBe(false);
    expect(mayAny(unknown(['X']), () => true)).toBe(false);
  });

  it('callerConstraintIgnored: what a constant mask takes away from a caller passing its own', () => {
    expect(callerConstraintIgnored(t612, g('GFP_ATOMIC'), KERNEL, false)).toBe('sleep');
    expect(callerConstraintIgnored(t612, g('GFP_ATOMIC'), KERNEL, true)).toBe('start I/O');
    expect(callerConstraintIgnored(t612, g('GFP_NOIO'), KERNEL, false)).toBe('start I/O');
    expect(callerConstraintIgnored(t612, NOFS, KERNEL, false)).toBe('recurse into the filesystem');
    expect(callerConstraintIgnored(t612, NOFS, NOFS, false)).toBeUndefined();
    expect(callerConstraintIgnored(t612, KERNEL, g('GFP_NOWAIT'), false)).toBeUndefined();
  });
});

it('flags outside the reclaim context, and calls that store a mask', () => {
  expect(isNonContextFlag('__GFP_ZERO')).toBe(true);
  expect(isNonContextFlag('__GFP_FS')).toBe(false);
  expect(storesGfpMask('mapping_set_gfp_mask')).toBe(true);
  expect(storesGfpMask('kmalloc')).toBe(false);
});

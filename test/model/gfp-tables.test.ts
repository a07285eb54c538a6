import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  builtinGfpTable, CONFIG_DEPENDENT_FLAGS, gfpTableFromHeader, loadTreeGfpTable, withAliases, type GfpTable,
} from '../../src/model/gfp-tables.js';
import { parseCExpr } from '../../src/facts/c-expr.js';
import type { Expr } from '../../src/facts/expr.js';

const V61 = { major: 6, minor: 1 };
const V612 = { major: 6, minor: 12 };

function configBits(t: GfpTable): number {
  let m = 0;
  for (const n of CONFIG_DEPENDENT_FLAGS) m |= t.bits.get(n) ?? 0;
  return m >>> 0;
}

/** Value without the config-dependent KASAN/LOCKDEP/OBJ_EXT bits (the spec's hex is "without KASAN_HW_TAGS"). */
function core(t: GfpTable, name: string): number | undefined {
  const m = t.masks.get(name);
  return m === undefined ? undefined : (m & ~configBits(t)) >>> 0;
}

function expr(text: string): Expr {
  const e = parseCExpr(text);
  if ('error' in e) throw new Error(e.error);
  return e;
}

// allocator-model.md §1.1: flag values in 6.1 and 6.12 (config-independent bits)
const BITS: [string, number, number | null][] = [
  ['__GFP_DMA', 0x1, 0x1], ['__GFP_HIGHMEM', 0x2, 0x2], ['__GFP_DMA32', 0x4, 0x4], ['__GFP_MOVABLE', 0x8, 0x8],
  ['__GFP_RECLAIMABLE', 0x10, 0x10], ['__GFP_HIGH', 0x20, 0x20], ['__GFP_IO', 0x40, 0x40], ['__GFP_FS', 0x80, 0x80],
  ['__GFP_ZERO', 0x100, 0x100], ['__GFP_ATOMIC', 0x200, null], ['__GFP_DIRECT_RECLAIM', 0x400, 0x400],
  ['__GFP_KSWAPD_RECLAIM', 0x800, 0x800], ['__GFP_WRITE', 0x1000, 0x1000], ['__GFP_NOWARN', 0x2000, 0x2000],
  ['__GFP_RETRY_MAYFAIL', 0x4000, 0x4000], ['__GFP_NOFAIL', 0x8000, 0x8000], ['__GFP_NORETRY', 0x10000, 0x10000],
  ['__GFP_MEMALLOC', 0x20000, 0x20000], ['__GFP_COMP', 0x40000, 0x40000], ['__GFP_NOMEMALLOC', 0x80000, 0x80000],
  ['__GFP_HARDWALL', 0x100000, 0x100000], ['__GFP_THISNODE', 0x200000, 0x200000], ['__GFP_ACCOUNT', 0x400000, 0x400000],
  ['__GFP_ZEROTAGS', 0x800000, 0x800000],
];

// allocator-model.md §1.2: composite bits "6.1 / 6.12, without KASAN_HW_TAGS"
const COMPOSITES: [string, number, number][] = [
  ['GFP_ATOMIC', 0xa20, 0x820],
  ['GFP_KERNEL', 0xcc0, 0xcc0],
  ['GFP_KERNEL_ACCOUNT', 0x400cc0, 0x400cc0],
  ['GFP_NOWAIT', 0x800, 0x2800],
  ['GFP_NOIO', 0xc00, 0xc00],
  ['GFP_NOFS', 0xc40, 0xc40],
  ['GFP_USER', 0x100cc0, 0x100cc0],
  ['GFP_DMA', 0x1, 0x1],
  ['GFP_DMA32', 0x4, 0x4],
  ['GFP_HIGHUSER', 0x100cc2, 0x100cc2],
  ['GFP_HIGHUSER_MOVABLE', 0x100cca, 0x100cca],
  ['GFP_TRANSHUGE_LIGHT', 0x1c20ca, 0x1c20ca],
  ['GFP_TRANSHUGE', 0x1c24ca, 0x1c24ca],
  ['__GFP_RECLAIM', 0xc00, 0xc00],
  ['GFP_ZONEMASK', 0xf, 0xf],
  // definitions of §1.2 and §1.4 applied to the §1.1 values
  ['GFP_PGTABLE_KERNEL', 0xcc0 | 0x100, 0xcc0 | 0x100],
  ['GFP_PGTABLE_USER', 0xcc0 | 0x100 | 0x400000, 0xcc0 | 0x100 | 0x400000],
  ['GFP_VMALLOC32', 0x4 | 0xcc0, 0x4 | 0xcc0],
  ['GFP_CONSTRAINT_MASK', 0x100000 | 0x200000, 0x100000 | 0x200000],
  // __GFP_RECLAIM|HIGH|IO|FS|NOWARN|RETRY_MAYFAIL|NOFAIL|NORETRY|MEMALLOC|NOMEMALLOC(|ATOMIC in 6.1)
  ['GFP_RECLAIM_MASK', 0xc00 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000 | 0x200,
    0xc00 | 0x20 | 0x40 | 0x80 | 0x2000 | 0x4000 | 0x8000 | 0x10000 | 0x20000 | 0x80000],
  // §1.2 subsystem aliases
  ['GFP_F2FS_ZERO', 0xc40 | 0x100, 0xc40 | 0x100],
  ['XCHK_GFP_FLAGS', 0xcc0 | 0x2000 | 0x4000, 0xcc0 | 0x2000 | 0x4000],
  ['KSMBD_DEFAULT_GFP', 0xcc0 | 0x4000, 0xcc0 | 0x4000],
  ['THREADINFO_GFP', 0x400cc0 | 0x100, 0x400cc0 | 0x100],
  ['GFP_SCS', 0xcc0 | 0x100, 0xcc0 | 0x100],
];

describe('built-in tables', () => {
  it.each(BITS)('%s has the §1.1 value', (name, v61, v612) => {
    expect(builtinGfpTable(V61).bits.get(name)).toBe(v61);
    if (v612 === null) expect(builtinGfpTable(V612).bits.has(name)).toBe(false);
    else expect(builtinGfpTable(V612).bits.get(name)).toBe(v612);
  });

  it.each(COMPOSITES)('%s has the §1.2 value in 6.1 and 6.12', (name, v61, v612) => {
    expect(core(builtinGfpTable(V61), name)).toBe(v61);
    expect(core(builtinGfpTable(V612), name)).toBe(v612);
  });

  it('gives config-dependent flags real, distinct bits', () => {
    for (const v of [V61, V612]) {
      const t = builtinGfpTable(v);
      const seen = new Set<number>();
      for (const [name, b] of t.bits) {
        expect(b, name).toBeGreaterThan(0);
        expect(b & (b - 1), `${name} is one bit`).toBe(0);
        expect(seen.has(b), `${name} shares a bit`).toBe(false);
        seen.add(b);
      }
    }
    expect(builtinGfpTable(V61).bits.has('__GFP_SKIP_KASAN_POISON')).toBe(true);
    expect(builtinGfpTable(V61).bits.has('__GFP_SKIP_KASAN')).toBe(false);
    expect(builtinGfpTable(V612).bits.has('__GFP_SKIP_KASAN')).toBe(true);
    expect(builtinGfpTable(V612).bits.has('__GFP_SKIP_KASAN_UNPOISON')).toBe(false);
    expect(builtinGfpTable(V612).bits.get('__GFP_NOLOCKDEP')).toBeGreaterThan(0);
  });

  it('GFP_HIGHUSER_MOVABLE carries the KASAN skip bits of its version (§1.2)', () => {
    const t61 = builtinGfpTable(V61);
    const t612 = builtinGfpTable(V612);
    const skip61 = t61.bits.get('__GFP_SKIP_KASAN_POISON')! | t61.bits.get('__GFP_SKIP_KASAN_UNPOISON')!;
    expect(t61.masks.get('GFP_HIGHUSER_MOVABLE')! & skip61).toBe(skip61);
    const skip612 = t612.bits.get('__GFP_SKIP_KASAN')!;
    expect(t612.masks.get('GFP_HIGHUSER_MOVABLE')! & skip612).toBe(skip612);
  });

  it('follows the §1.7 history at its release boundaries', () => {
    const ver = (minor: number) => ({ major: 6, minor });
    // 2973d8229b78 (6.3): GFP_ATOMIC lost __GFP_ATOMIC
    expect(core(builtinGfpTable(ver(2)), 'GFP_ATOMIC')).toBe(0xa20);
    expect(core(builtinGfpTable(ver(3)), 'GFP_ATOMIC')).toBe(0x820);
    expect(builtinGfpTable(ver(3)).masks.has('__GFP_ATOMIC')).toBe(false);
    // 16f5dfbc851b (6.8): GFP_NOWAIT gained __GFP_NOWARN
    expect(core(builtinGfpTable(ver(7)), 'GFP_NOWAIT')).toBe(0x800);
    expect(core(builtinGfpTable(ver(8)), 'GFP_NOWAIT')).toBe(0x2800);
    // __GFP_NO_OBJ_EXT: 6.10+
    expect(builtinGfpTable(ver(9)).bits.has('__GFP_NO_OBJ_EXT')).toBe(false);
    expect(builtinGfpTable(ver(10)).bits.has('__GFP_NO_OBJ_EXT')).toBe(true);
  });

  it('has a table for every modelled version, with the core composites', () => {
    for (const [major, last] of [[4, 20], [5, 19], [6, 12]] as const) {
      for (let minor = major === 4 ? 12 : 0; minor <= last; minor++) {
        const t = builtinGfpTable({ major, minor });
        for (const n of ['GFP_KERNEL', 'GFP_NOFS', 'GFP_NOIO', 'GFP_ATOMIC', 'GFP_NOWAIT', 'GFP_RECLAIM_MASK', 'GFP_BOOT_MASK']) {
          expect(t.masks.has(n), `${n} in ${major}.${minor}`).toBe(true);
        }
        expect(core(t, 'GFP_KERNEL')).toBe(0xcc0);
      }
    }
  });

  it('GFP_BOOT_MASK is every flag bit but reclaim, IO and FS (§1.4)', () => {
    const t = builtinGfpTable(V612);
    const boot = t.masks.get('GFP_BOOT_MASK')!;
    for (const [name, b] of t.bits) {
      const stripped = ['__GFP_DIRECT_RECLAIM', '__GFP_KSWAPD_RECLAIM', '__GFP_IO', '__GFP_FS'].includes(name);
      expect((boot & b) !== 0, name).toBe(!stripped);
    }
  });
});

describe('withAliases', () => {
  const t = builtinGfpTable(V612);

  it('evaluates aliases of aliases to a fixpoint, in any order', () => {
    const aliases = new Map<string, Expr>([
      ['MY_OUTER', expr('(MY_INNER | __GFP_NOWARN)')],
      ['MY_INNER', expr('GFP_NOIO')],
    ]);
    const r = withAliases(t, aliases);
    expect(r.unresolved).toEqual([]);
    expect(r.table.masks.get('MY_OUTER')).toBe(0xc00 | 0x2000);
    expect(t.masks.has('MY_OUTER')).toBe(false);
  });

  it('skips aliases that do not evaluate and reports them', () => {
    const aliases = new Map<string, Expr>([
      ['MY_BAD', expr('some_function(x)')],
      ['MY_DEP', expr('MY_BAD | __GFP_ZERO')],
      ['MY_UNKNOWN', expr('NOT_DEFINED_ANYWHERE')],
    ]);
    const r = withAliases(t, aliases);
    expect(r.unresolved.sort()).toEqual(['MY_BAD', 'MY_DEP', 'MY_UNKNOWN']);
    expect(r.table.masks.has('MY_BAD')).toBe(false);
  });

  it('lets scanned code replace a subsystem-alias default but never a kernel composite', () => {
    const aliases = new Map<string, Expr>([
      ['GFP_F2FS_ZERO', expr('(GFP_KERNEL | __GFP_ZERO)')],
      ['GFP_KERNEL', expr('0')],
    ]);
    const r = withAliases(t, aliases);
    expect(r.table.masks.get('GFP_F2FS_ZERO')).toBe(0xcc0 | 0x100);
    expect(r.table.masks.get('GFP_KERNEL')).toBe(0xcc0);
  });
});

describe('gfpTableFromHeader on synthetic text', () => {
  // An older include/linux/gfp.h layout: literal hex with other positions, #ifdef CONFIG_LOCKDEP.
  const OLD = `
#ifndef __LINUX_GFP_H
#define __LINUX_GFP_H
#define ___GFP_DMA		0x01u
#define ___GFP_HIGHMEM		0x02u
#define ___GFP_IO		0x40u
#define ___GFP_FS		0x80u
#define ___GFP_COLD		0x100u
#define ___GFP_NOWARN		0x200u
#define ___GFP_ZERO		0x8000u
#define ___GFP_ATOMIC		0x80000u
#define ___GFP_DIRECT_RECLAIM	0x400000u
#define ___GFP_KSWAPD_RECLAIM	0x1000000u
#ifdef CONFIG_LOCKDEP
#define ___GFP_NOLOCKDEP	0x4000000u
#else
#define ___GFP_NOLOCKDEP	0
#endif
#define __GFP_DMA	((__force gfp_t)___GFP_DMA)
#define __GFP_HIGHMEM	((__force gfp_t)___GFP_HIGHMEM)
#define __GFP_IO	((__force gfp_t)___GFP_IO)
#define __GFP_FS	((__force gfp_t)___GFP_FS)
#define __GFP_COLD	((__force gfp_t)___GFP_COLD)
#define __GFP_NOWARN	((__force gfp_t)___GFP_NOWARN)
#define __GFP_ZERO	((__force gfp_t)___GFP_ZERO)
#define __GFP_ATOMIC	((__force gfp_t)___GFP_ATOMIC)
#define __GFP_DIRECT_RECLAIM	((__force gfp_t)___GFP_DIRECT_RECLAIM) /* Caller can reclaim */
#define __GFP_KSWAPD_RECLAIM	((__force gfp_t)___GFP_KSWAPD_RECLAIM) /* kswapd can wake */
#define __GFP_RECLAIM ((__force gfp_t)(___GFP_DIRECT_RECLAIM|___GFP_KSWAPD_RECLAIM))
#define __GFP_NOLOCKDEP ((__force gfp_t)___GFP_NOLOCKDEP)
#define __GFP_COLD_ALIAS (__GFP_COLD)
#define __GFP_BITS_SHIFT (25 + IS_ENABLED(CONFIG_LOCKDEP))
#define __GFP_BITS_MASK ((__force gfp_t)((1 << __GFP_BITS_SHIFT) - 1))
#define GFP_ATOMIC	(__GFP_HIGH|__GFP_ATOMIC|__GFP_KSWAPD_RECLAIM)
#define GFP_KERNEL	(__GFP_RECLAIM | __GFP_IO | __GFP_FS)
#define GFP_NOFS	(__GFP_RECLAIM | \\
			 __GFP_IO)
#define GFP_MADE_UP	(GFP_KERNEL & ~__GFP_FS)
#endif
`;

  it('reads literal hex, takes the CONFIG branch and evaluates composites with continuations', () => {
    const t = gfpTableFromHeader(OLD, { major: 4, minor: 14 }, 'synthetic/gfp.h');
    if ('error' in t) throw new Error(t.error);
    expect(t.source).toBe('synthetic/gfp.h');
    expect(t.bits.get('__GFP_ZERO')).toBe(0x8000);
    expect(t.bits.get('__GFP_COLD')).toBe(0x100);
    expect(t.bits.has('__GFP_COLD_ALIAS')).toBe(false);
    expect(t.masks.get('__GFP_COLD_ALIAS')).toBe(0x100);
    expect(t.bits.get('__GFP_NOLOCKDEP')).toBe(0x4000000);
    expect(t.masks.get('GFP_KERNEL')).toBe(0x400000 | 0x1000000 | 0x40 | 0x80);
    expect(t.masks.get('GFP_NOFS')).toBe(0x400000 | 0x1000000 | 0x40);
    expect(t.masks.get('GFP_MADE_UP')).toBe(0x400000 | 0x1000000 | 0x40);
    expect(t.masks.get('__GFP_BITS_MASK')).toBe((1 << 26) - 1);
    // __GFP_HIGH is not in this header, so GFP_ATOMIC cannot evaluate from it
    expect(t.masks.has('GFP_ATOMIC')).toBe(false);
  });

  it('refuses a header without the gfp bits', () => {
    const r = gfpTableFromHeader('#include <linux/gfp_types.h>\n#define GFP_MOVABLE_SHIFT 3\n', V61, 'x/gfp.h');
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toMatch(/x\/gfp\.h/);
  });

  it('reports unbalanced conditionals', () => {
    expect(gfpTableFromHeader('#ifdef CONFIG_X\n#define ___GFP_IO 0x40u\n', V61, 'bad.h')).toHaveProperty('error');
  });
});

const KERNELS = join(homedir(), '.cache/kernels');

describe.each([
  ['6.1', V61],
  ['6.12', V612],
])('the real %s gfp_types.h', (name, v) => {
  const root = join(KERNELS, `linux-source-${name}`);
  const header = join(root, 'include/linux/gfp_types.h');
  const present = existsSync(header);
  if (!present) console.warn(`skipping real-header tests: ${header} is absent`);

  describe.skipIf(!present)(`(reads ${header})`, () => {
    const text = present ? readFileSync(header, 'utf8') : '';
    const parsed = present ? gfpTableFromHeader(text, v, header) : { error: 'absent' };

    it('parses', () => {
      expect(parsed).not.toHaveProperty('error');
    });

    it('agrees with the built-in table on every composite the header defines', () => {
      if ('error' in parsed) throw new Error(parsed.error);
      const builtin = builtinGfpTable(v);
      const defined = [...text.matchAll(/^#define\s+(\w+)[ \t]/gm)].map((m) => m[1]);
      const compared: string[] = [];
      for (const n of defined) {
        if (!builtin.masks.has(n) || !parsed.masks.has(n)) continue;
        const mask = ~(configBits(builtin) | configBits(parsed)) >>> 0;
        expect((parsed.masks.get(n)! & mask) >>> 0, n).toBe((builtin.masks.get(n)! & mask) >>> 0);
        compared.push(n);
      }
      for (const n of ['GFP_ATOMIC', 'GFP_KERNEL', 'GFP_NOWAIT', 'GFP_NOFS', 'GFP_NOIO', 'GFP_HIGHUSER_MOVABLE', 'GFP_TRANSHUGE', '__GFP_FS']) {
        expect(compared).toContain(n);
      }
    });

    it('gives every flag the header names a distinct non-zero bit', () => {
      if ('error' in parsed) throw new Error(parsed.error);
      const flags = [...text.matchAll(/^#define\s+(__GFP_[A-Z0-9_]+)\s+\(\(__force gfp_t\)___GFP_\w+\)/gm)].map((m) => m[1]);
      expect(flags.length).toBeGreaterThan(20);
      const values = flags.map((f) => parsed.bits.get(f));
      for (const [i, b] of values.entries()) expect(b, flags[i]).toBeGreaterThan(0);
      expect(new Set(values).size).toBe(values.length);
    });

    it('takes its composites from the header text, not from the built-in table', () => {
      const edited = text.replace(/^#define GFP_NOIO\s.*$/m, '#define GFP_NOIO\t(__GFP_RECLAIM | __GFP_ZERO)');
      expect(edited).not.toBe(text);
      const t = gfpTableFromHeader(edited, v, header);
      if ('error' in t) throw new Error(t.error);
      expect(t.masks.get('GFP_NOIO')).toBe(0xc00 | 0x100);
    });

    it('loadTreeGfpTable reads the same file and adds the composites of other headers', () => {
      const t = loadTreeGfpTable(root, v);
      expect(t?.source).toBe(header);
      expect(t?.masks.get('GFP_PGTABLE_KERNEL')).toBe(0xcc0 | 0x100);
    });

    it('include/linux/gfp.h alone (no bits since the split) is refused', () => {
      const gfpH = join(root, 'include/linux/gfp.h');
      expect(gfpTableFromHeader(readFileSync(gfpH, 'utf8'), v, gfpH)).toHaveProperty('error');
    });
  });
});

describe('loadTreeGfpTable', () => {
  it('returns undefined when the tree has no gfp header', () => {
    expect(loadTreeGfpTable('/nonexistent/linux', V612)).toBeUndefined();
  });
});

/**
 * GFP flag definitions per kernel version: the built-in tables of allocator-model.md §1.1–§1.4,
 * and tables read from a tree's include/linux/gfp_types.h (or an older include/linux/gfp.h).
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Expr } from '../facts/expr.js';
import { mustParseCExpr, parseCExpr } from '../facts/c-expr.js';
import { evalGfp, registerFlagNames, type GfpValue } from './gfp.js';
import { formatVersion, inRange, type KernelVersion, type VersionRange } from './version.js';

/** Names and values of one kernel's gfp flags. */
export interface GfpTable {
  version: KernelVersion;
  /** 'built-in' or the path of the header the table was read from. */
  source: string;
  /** Single-bit `__GFP_*` flags. */
  bits: ReadonlyMap<string, number>;
  /** Every name → value: bits, `___GFP_*` raw values, composites and aliases. */
  masks: ReadonlyMap<string, number>;
}

interface FlagRow extends VersionRange {
  name: string;
  /** Fixed position; absent for config-dependent and historical flags, placed after bit 23. */
  bit?: number;
  /** CONFIG option that makes the flag non-zero in the kernel; the model always gives it a bit. */
  config?: string;
  note?: string;
}

/**
 * The `__GFP_*` bits (include/linux/gfp_types.h, §1.1). Bits 0–23 are fixed in both trees.
 * Config-dependent flags get the positions they have with their CONFIG enabled, in header order
 * from bit 24, which reproduces 6.1 (literal hex) and 6.12 (enum) exactly. Flags of kernels older
 * than 6.1 that the spec does not cover are given free positions above those; their release
 * boundaries come from commit subjects and are marked [unconfirmed] where not in the spec.
 */
export const GFP_FLAG_ROWS: readonly FlagRow[] = [
  { name: '__GFP_DMA', bit: 0 },
  { name: '__GFP_HIGHMEM', bit: 1 },
  { name: '__GFP_DMA32', bit: 2 },
  { name: '__GFP_MOVABLE', bit: 3 },
  { name: '__GFP_RECLAIMABLE', bit: 4 },
  { name: '__GFP_HIGH', bit: 5 },
  { name: '__GFP_IO', bit: 6 },
  { name: '__GFP_FS', bit: 7 },
  { name: '__GFP_ZERO', bit: 8 },
  // 2973d8229b78 "mm: discard __GFP_ATOMIC" (6.3): bit 9 is ___GFP_UNUSED_BIT in 6.12
  { name: '__GFP_ATOMIC', bit: 9, until: [6, 3] },
  { name: '__GFP_DIRECT_RECLAIM', bit: 10 },
  { name: '__GFP_KSWAPD_RECLAIM', bit: 11 },
  { name: '__GFP_WRITE', bit: 12 },
  { name: '__GFP_NOWARN', bit: 13 },
  // dcda9b04713c replaced __GFP_REPEAT by __GFP_RETRY_MAYFAIL in 4.13 [unconfirmed release]
  { name: '__GFP_RETRY_MAYFAIL', bit: 14, since: [4, 13] },
  { name: '__GFP_NOFAIL', bit: 15 },
  { name: '__GFP_NORETRY', bit: 16 },
  { name: '__GFP_MEMALLOC', bit: 17 },
  { name: '__GFP_COMP', bit: 18 },
  { name: '__GFP_NOMEMALLOC', bit: 19 },
  { name: '__GFP_HARDWALL', bit: 20 },
  { name: '__GFP_THISNODE', bit: 21 },
  { name: '__GFP_ACCOUNT', bit: 22 },
  { name: '__GFP_ZEROTAGS', bit: 23 },
  { name: '__GFP_SKIP_ZERO', config: 'CONFIG_KASAN_HW_TAGS' },
  // merged into __GFP_SKIP_KASAN between 6.1 and 6.12 (§1.7); 6.4 [unconfirmed]
  { name: '__GFP_SKIP_KASAN_UNPOISON', config: 'CONFIG_KASAN_HW_TAGS', until: [6, 4] },
  { name: '__GFP_SKIP_KASAN_POISON', config: 'CONFIG_KASAN_HW_TAGS', until: [6, 4] },
  { name: '__GFP_SKIP_KASAN', config: 'CONFIG_KASAN_HW_TAGS', since: [6, 4] },
  { name: '__GFP_NOLOCKDEP', config: 'CONFIG_LOCKDEP' },
  // added with slab object extensions (6.10, §1.7)
  { name: '__GFP_NO_OBJ_EXT', config: 'CONFIG_SLAB_OBJ_EXT', since: [6, 10] },
  { name: '__GFP_REPEAT', until: [4, 13], note: 'renamed __GFP_RETRY_MAYFAIL (dcda9b04713c) [unconfirmed release]' },
  { name: '__GFP_COLD', until: [4, 15], note: 'removed by "mm: remove __GFP_COLD" [unconfirmed release]' },
  { name: '__GFP_NOTRACK', until: [4, 15], note: 'removed with kmemcheck [unconfirmed release]' },
];

/** Flags whose value depends on the kernel configuration (0 when the option is off). */
export const CONFIG_DEPENDENT_FLAGS: readonly string[] = GFP_FLAG_ROWS.filter((r) => r.config).map((r) => r.name);

interface CompositeRow extends VersionRange {
  name: string;
  def: string;
  where: string;
}

/**
 * Composite masks and shorthands (§1.2, §1.4), as C definitions over the bits; later rows may
 * use earlier ones. Version splits: GFP_ATOMIC lost __GFP_ATOMIC in 6.3 (2973d8229b78),
 * GFP_NOWAIT gained __GFP_NOWARN in 6.8 (16f5dfbc851b).
 */
export const GFP_COMPOSITE_ROWS: readonly CompositeRow[] = [
  { name: '__GFP_RECLAIM', def: '__GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_ZONEMASK', def: '__GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_ATOMIC', def: '__GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM', until: [6, 3], where: 'include/linux/gfp_types.h' },
  { name: 'GFP_ATOMIC', def: '__GFP_HIGH | __GFP_KSWAPD_RECLAIM', since: [6, 3], where: 'include/linux/gfp_types.h' },
  { name: 'GFP_KERNEL', def: '__GFP_RECLAIM | __GFP_IO | __GFP_FS', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_KERNEL_ACCOUNT', def: 'GFP_KERNEL | __GFP_ACCOUNT', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_NOWAIT', def: '__GFP_KSWAPD_RECLAIM', until: [6, 8], where: 'include/linux/gfp_types.h' },
  { name: 'GFP_NOWAIT', def: '__GFP_KSWAPD_RECLAIM | __GFP_NOWARN', since: [6, 8], where: 'include/linux/gfp_types.h' },
  { name: 'GFP_NOIO', def: '__GFP_RECLAIM', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_NOFS', def: '__GFP_RECLAIM | __GFP_IO', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_USER', def: '__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_DMA', def: '__GFP_DMA', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_DMA32', def: '__GFP_DMA32', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_HIGHUSER', def: 'GFP_USER | __GFP_HIGHMEM', where: 'include/linux/gfp_types.h' },
  // the KASAN skip bits are config-dependent; older kernels without them only differ in those bits
  { name: 'GFP_HIGHUSER_MOVABLE', def: 'GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN_POISON | __GFP_SKIP_KASAN_UNPOISON', until: [6, 4], where: 'include/linux/gfp_types.h' },
  { name: 'GFP_HIGHUSER_MOVABLE', def: 'GFP_HIGHUSER | __GFP_MOVABLE | __GFP_SKIP_KASAN', since: [6, 4], where: 'include/linux/gfp_types.h' },
  { name: 'GFP_TRANSHUGE_LIGHT', def: '(GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM', where: 'include/linux/gfp_types.h' },
  { name: 'GFP_TRANSHUGE', def: 'GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM', where: 'include/linux/gfp_types.h' },
  // "mm: treewide: remove GFP_TEMPORARY allocation flag" [unconfirmed release]
  { name: 'GFP_TEMPORARY', def: '__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_RECLAIMABLE', until: [4, 14], where: 'include/linux/gfp.h' },
  { name: 'GFP_MOVABLE_MASK', def: '__GFP_RECLAIMABLE | __GFP_MOVABLE', where: 'include/linux/gfp.h' },
  { name: 'GFP_PGTABLE_KERNEL', def: 'GFP_KERNEL | __GFP_ZERO', where: 'include/asm-generic/pgalloc.h' },
  { name: 'GFP_PGTABLE_USER', def: 'GFP_PGTABLE_KERNEL | __GFP_ACCOUNT', where: 'include/asm-generic/pgalloc.h' },
  // 64-bit with ZONE_DMA32; GFP_DMA | GFP_KERNEL on other configurations (mm/vmalloc.c)
  { name: 'GFP_VMALLOC32', def: 'GFP_DMA32 | GFP_KERNEL', where: 'mm/vmalloc.c' },
  {
    name: 'GFP_RECLAIM_MASK', until: [4, 13], where: 'mm/internal.h',
    def: '__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_REPEAT | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_ATOMIC | __GFP_NOLOCKDEP',
  },
  {
    name: 'GFP_RECLAIM_MASK', since: [4, 13], until: [6, 3], where: 'mm/internal.h',
    def: '__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_ATOMIC | __GFP_NOLOCKDEP',
  },
  {
    name: 'GFP_RECLAIM_MASK', since: [6, 3], where: 'mm/internal.h',
    def: '__GFP_RECLAIM | __GFP_HIGH | __GFP_IO | __GFP_FS | __GFP_NOWARN | __GFP_RETRY_MAYFAIL | __GFP_NOFAIL | __GFP_NORETRY | __GFP_MEMALLOC | __GFP_NOMEMALLOC | __GFP_NOLOCKDEP',
  },
  { name: 'GFP_BOOT_MASK', def: '__GFP_BITS_MASK & ~(__GFP_RECLAIM | __GFP_IO | __GFP_FS)', where: 'mm/internal.h' },
  { name: 'GFP_CONSTRAINT_MASK', def: '__GFP_HARDWALL | __GFP_THISNODE', where: 'mm/internal.h' },
  { name: 'GFP_SLAB_BUG_MASK', def: '__GFP_DMA32 | __GFP_HIGHMEM | ~__GFP_BITS_MASK', where: 'mm/internal.h' },
];

/**
 * Subsystem aliases the tables know by default (§1.2). Definitions found in scanned code
 * replace these (withAliases).
 */
export const GFP_ALIAS_DEFAULTS: readonly CompositeRow[] = [
  { name: 'GFP_F2FS_ZERO', def: 'GFP_NOFS | __GFP_ZERO', where: 'include/linux/f2fs_fs.h' },
  { name: 'XCHK_GFP_FLAGS', def: 'GFP_KERNEL | __GFP_NOWARN | __GFP_RETRY_MAYFAIL', where: 'fs/xfs/scrub/scrub.h' },
  { name: 'KSMBD_DEFAULT_GFP', def: 'GFP_KERNEL | __GFP_RETRY_MAYFAIL', where: 'fs/smb/server/glob.h' },
  { name: 'THREADINFO_GFP', def: 'GFP_KERNEL_ACCOUNT | __GFP_ZERO', where: 'include/linux/thread_info.h' },
  { name: 'GFP_SCS', def: 'GFP_KERNEL | __GFP_ZERO', where: 'kernel/scs.c' },
];

const ALIAS_DEFAULT_NAMES = new Set(GFP_ALIAS_DEFAULTS.map((r) => r.name));

registerFlagNames([
  ...GFP_FLAG_ROWS.flatMap((r) => [r.name, `_${r.name}`]),
  ...GFP_COMPOSITE_ROWS.map((r) => r.name),
  ...GFP_ALIAS_DEFAULTS.map((r) => r.name),
  '__GFP_BITS_MASK',
]);

const parsedDefs = new Map<string, Expr>();
function parsedDef(def: string): Expr {
  let e = parsedDefs.get(def);
  if (!e) {
    e = mustParseCExpr(def);
    parsedDefs.set(def, e);
  }
  return e;
}

function singleMask(v: GfpValue): number | undefined {
  return v.kind === 'known' && v.masks.length === 1 ? v.masks[0] : undefined;
}

function makeTable(version: KernelVersion, source: string, bits: Map<string, number>, masks: Map<string, number>): GfpTable {
  return { version, source, bits, masks };
}

/**
 * Evaluates definitions in any order until nothing changes (aliases of aliases). Returns the
 * names that never evaluated to one known mask.
 */
function evaluateToFixpoint(
  version: KernelVersion,
  source: string,
  bits: Map<string, number>,
  masks: Map<string, number>,
  defs: ReadonlyMap<string, Expr>,
  lookupLocal?: (name: string) => GfpValue | undefined,
): string[] {
  const pending = new Map(defs);
  let progress = true;
  while (progress && pending.size > 0) {
    progress = false;
    const table = makeTable(version, source, bits, masks);
    for (const [name, e] of pending) {
      const m = singleMask(evalGfp(e, { table, lookupLocal }));
      if (m === undefined) continue;
      masks.set(name, m);
      pending.delete(name);
      progress = true;
    }
  }
  return [...pending.keys()];
}

function addRawNames(bits: ReadonlyMap<string, number>, masks: Map<string, number>): void {
  for (const [name, b] of bits) {
    masks.set(name, b);
    if (!masks.has(`_${name}`)) masks.set(`_${name}`, b);
  }
}

function bitsMaskOf(bits: ReadonlyMap<string, number>): number {
  let top = 0;
  for (const b of bits.values()) top = Math.max(top, 31 - Math.clz32(b));
  // (1 << __GFP_BITS_SHIFT) - 1, with the shift one past the highest flag
  return top >= 31 ? 0xffffffff : (2 ** (top + 1) - 1) >>> 0;
}

function rowsFor<T extends VersionRange & { name: string }>(rows: readonly T[], v: KernelVersion): T[] {
  return rows.filter((r) => inRange(v, r));
}

function defsOf(rows: readonly CompositeRow[], skip: ReadonlySet<string> | ReadonlyMap<string, unknown>): Map<string, Expr> {
  const out = new Map<string, Expr>();
  for (const r of rows) if (!skip.has(r.name)) out.set(r.name, parsedDef(r.def));
  return out;
}

const builtinCache = new Map<string, GfpTable>();

/** The built-in table of kernel `v`: §1.1 bits, §1.2/§1.4 composites, §1.2 subsystem aliases. */
export function builtinGfpTable(v: KernelVersion): GfpTable {
  const key = formatVersion(v);
  const cached = builtinCache.get(key);
  if (cached) return cached;
  const bits = new Map<string, number>();
  const rows = rowsFor(GFP_FLAG_ROWS, v);
  for (const r of rows) if (r.bit !== undefined) bits.set(r.name, 2 ** r.bit);
  let next = 24;
  for (const r of rows) if (r.bit === undefined && r.config) bits.set(r.name, 2 ** next++);
  for (const r of rows) if (r.bit === undefined && !r.config) bits.set(r.name, 2 ** next++);
  const masks = new Map<string, number>();
  addRawNames(bits, masks);
  masks.set('__GFP_BITS_MASK', bitsMaskOf(bits));
  const failed = evaluateToFixpoint(v, 'built-in', bits, masks, defsOf(rowsFor(GFP_COMPOSITE_ROWS, v), new Set()));
  if (failed.length) throw new Error(`gfp model: built-in ${key} table cannot evaluate ${failed.join(', ')}`);
  evaluateToFixpoint(v, 'built-in', bits, masks, defsOf(GFP_ALIAS_DEFAULTS, new Set()));
  const table = makeTable(v, 'built-in', bits, masks);
  builtinCache.set(key, table);
  return table;
}

interface HeaderScan {
  defines: Map<string, Expr>;
  enumValues: Map<string, Expr>;
}

function stripComments(text: string): string {
  return text
    .replace(/\\\r?\n/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, '');
}

/**
 * A minimal preprocessor pass over one header: object-like #defines and enum members of the
 * active branches. Every CONFIG_* option counts as enabled, so each flag gets a real bit.
 */
function scanHeader(text: string): HeaderScan | { error: string } {
  const defines = new Map<string, Expr>();
  const macroNames = new Set<string>();
  const stack: { active: boolean; taken: boolean }[] = [];
  const active = (): boolean => stack.every((s) => s.active);
  const code: string[] = [];

  const condition = (expr: string): boolean => {
    const replaced = expr
      .replace(/defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g, (_m, a: string | undefined, b: string | undefined) => {
        const n = (a ?? b)!;
        return n.startsWith('CONFIG_') || macroNames.has(n) ? '1' : '0';
      })
      .replace(/\bIS_(ENABLED|BUILTIN|REACHABLE)\s*\(\s*CONFIG_\w+\s*\)/g, '1')
      .replace(/\bIS_MODULE\s*\(\s*CONFIG_\w+\s*\)/g, '0')
      .replace(/\bCONFIG_\w+/g, '1');
    const e = parseCExpr(replaced);
    if ('error' in e) return false;
    return (numericValue(e, (n) => (defines.has(n) ? defines.get(n) : undefined), new Set()) ?? 0) !== 0;
  };

  for (const raw of stripComments(text).split('\n')) {
    const line = raw.trim();
    const d = /^#\s*(\w+)\s*(.*)$/.exec(line);
    if (!d) {
      if (active() && line) code.push(line);
      continue;
    }
    const [, directive, rest] = d;
    switch (directive) {
      case 'ifdef':
      case 'ifndef': {
        const name = rest.trim().split(/\s+/)[0];
        const isDef = name.startsWith('CONFIG_') || macroNames.has(name);
        const c = directive === 'ifdef' ? isDef : !isDef;
        stack.push({ active: c, taken: c });
        break;
      }
      case 'if': {
        const c = active() ? condition(rest) : false;
        stack.push({ active: c, taken: c });
        break;
      }
      case 'elif': {
        const top = stack[stack.length - 1];
        if (!top) return { error: '#elif without #if' };
        stack.pop();
        const c = !top.taken && active() && condition(rest);
        stack.push({ active: c, taken: top.taken || c });
        break;
      }
      case 'else': {
        const top = stack[stack.length - 1];
        if (!top) return { error: '#else without #if' };
        top.active = !top.taken;
        top.taken = true;
        break;
      }
      case 'endif':
        if (!stack.pop()) return { error: '#endif without #if' };
        break;
      case 'define': {
        if (!active()) break;
        const m = /^(\w+)(\()?\s*(.*)$/.exec(rest);
        if (!m) break;
        macroNames.add(m[1]);
        if (m[2]) break; // function-like: BIT(), kernel-internal helpers
        const body = m[3].trim();
        const e = body ? parseCExpr(body) : ({ k: 'other', text: '' } as Expr);
        if (!('error' in e)) defines.set(m[1], e);
        break;
      }
      case 'undef':
        if (active()) { defines.delete(rest.trim()); macroNames.delete(rest.trim()); }
        break;
      default:
        break;
    }
  }
  if (stack.length) return { error: 'unterminated #if' };

  const enumValues = new Map<string, Expr>();
  const joined = code.join('\n');
  for (const m of joined.matchAll(/\benum\s*\w*\s*\{([^}]*)\}/g)) {
    let prev: Expr | undefined;
    let offset = 0;
    for (const part of m[1].split(',')) {
      const item = part.trim();
      if (!item) continue;
      const im = /^(\w+)\s*(?:=\s*(.+))?$/s.exec(item);
      if (!im) continue;
      let value: Expr;
      if (im[2] !== undefined) {
        const e = parseCExpr(im[2]);
        if ('error' in e) continue;
        value = e;
        prev = e;
        offset = 0;
      } else if (prev) {
        offset++;
        value = { k: 'bin', op: '+', l: prev, r: { k: 'num', value: offset, text: String(offset) } };
      } else {
        value = { k: 'num', value: offset, text: String(offset) };
        offset++;
      }
      enumValues.set(im[1], value);
    }
  }
  return { defines, enumValues };
}

/** C integer evaluation of a header expression (casts dropped, BIT(), IS_ENABLED(CONFIG_*)). */
function numericValue(e: Expr, lookup: (name: string) => Expr | undefined, seen: Set<string>): number | undefined {
  const rec = (x: Expr): number | undefined => numericValue(x, lookup, seen);
  switch (e.k) {
    case 'num': return e.value ?? undefined;
    case 'cast': return rec(e.e);
    case 'id': {
      if (seen.has(e.name)) return undefined;
      const d = lookup(e.name);
      if (!d) return undefined;
      seen.add(e.name);
      const v = rec(d);
      seen.delete(e.name);
      return v;
    }
    case 'un': {
      const v = rec(e.e);
      if (v === undefined) return undefined;
      if (e.op === '~') return ~v >>> 0;
      if (e.op === '!') return v ? 0 : 1;
      if (e.op === '-') return -v;
      if (e.op === '+') return v;
      return undefined;
    }
    case 'bin': {
      const l = rec(e.l);
      const r = rec(e.r);
      if (l === undefined || r === undefined) return undefined;
      switch (e.op) {
        case '|': return (l | r) >>> 0;
        case '&': return (l & r) >>> 0;
        case '^': return (l ^ r) >>> 0;
        case '<<': return r >= 0 && r < 32 ? (l << r) >>> 0 : undefined;
        case '>>': return r >= 0 && r < 32 ? l >>> r : undefined;
        case '+': return l + r;
        case '-': return l - r;
        case '*': return l * r;
        case '/': return r ? Math.trunc(l / r) : undefined;
        case '%': return r ? l % r : undefined;
        case '==': return l === r ? 1 : 0;
        case '!=': return l !== r ? 1 : 0;
        case '<': return l < r ? 1 : 0;
        case '>': return l > r ? 1 : 0;
        case '<=': return l <= r ? 1 : 0;
        case '>=': return l >= r ? 1 : 0;
        case '&&': return l && r ? 1 : 0;
        case '||': return l || r ? 1 : 0;
        default: return undefined;
      }
    }
    case 'cond': {
      const c = rec(e.c);
      return c === undefined ? undefined : rec(c ? e.t : e.f);
    }
    case 'call': {
      if ((e.fn === 'BIT' || e.fn === 'BIT_ULL') && e.args.length === 1) {
        const n = rec(e.args[0]);
        return n !== undefined && n >= 0 && n < 32 ? 2 ** n : undefined;
      }
      if (/^IS_(ENABLED|BUILTIN|REACHABLE)$/.test(e.fn)) return 1;
      return undefined;
    }
    default:
      return undefined;
  }
}

// Numeric helpers in gfp headers that are not masks: shift counts and the zone lookup tables.
const NOT_A_MASK = /(_SHIFT|_BIT)$|^GFP_ZONE_(TABLE|BAD)$|^GFP_ZONES_SHIFT$/;

/** The flag names a usable gfp header must define. */
const REQUIRED_FLAGS = ['__GFP_IO', '__GFP_FS', '__GFP_DIRECT_RECLAIM', '__GFP_KSWAPD_RECLAIM'];

/**
 * Reads a gfp header: include/linux/gfp_types.h (6.1 literal hex `#define ___GFP_DMA 0x01u`;
 * 6.12 `enum { ___GFP_DMA_BIT, … }` with `BIT()`), or include/linux/gfp.h of kernels that
 * had no gfp_types.h. CONFIG-dependent flags take the CONFIG-enabled branch. Composite
 * `#define GFP_X (...)` lines are evaluated with evalGfp; composites the header does not define
 * (GFP_PGTABLE_KERNEL, GFP_RECLAIM_MASK, subsystem aliases …) come from the built-in definitions
 * of `v`, evaluated against the header's bits.
 */
export function gfpTableFromHeader(text: string, v: KernelVersion, source: string): GfpTable | { error: string } {
  const scan = scanHeader(text);
  if ('error' in scan) return { error: `${source}: ${scan.error}` };
  const lookupExpr = (n: string): Expr | undefined => scan.defines.get(n) ?? scan.enumValues.get(n);
  const numeric = (n: string): number | undefined => {
    const e = lookupExpr(n);
    return e === undefined ? undefined : numericValue(e, lookupExpr, new Set([n]));
  };

  const bits = new Map<string, number>();
  const zeroFlags: string[] = [];
  for (const [name, body] of scan.defines) {
    if (!/^__GFP_[A-Z0-9_]+$/.test(name) || NOT_A_MASK.test(name)) continue;
    // a flag is defined from its ___GFP_* value or a literal; `__GFP_X (__GFP_Y)` is an alias
    let inner = body;
    while (inner.k === 'cast') inner = inner.e;
    if (!(inner.k === 'num' || (inner.k === 'id' && inner.name.startsWith('___')))) continue;
    const value = numeric(name);
    if (value === undefined) continue;
    if (value === 0) zeroFlags.push(name);
    else if ((value & (value - 1)) === 0) bits.set(name, value);
  }
  for (const r of REQUIRED_FLAGS) {
    if (!bits.has(r)) {
      return { error: `${source}: no value for ${r}: expected include/linux/gfp_types.h (or include/linux/gfp.h of a kernel without it)` };
    }
  }
  // A flag that is 0 in this header (its CONFIG branch missing) still gets a distinct bit.
  let used = 0;
  for (const b of bits.values()) used |= b;
  for (const name of zeroFlags) {
    let b = 1;
    while (b && (used & b)) b = (b << 1) >>> 0;
    if (!b) return { error: `${source}: no free bit left for ${name}` };
    bits.set(name, b);
    used = (used | b) >>> 0;
  }

  const masks = new Map<string, number>();
  addRawNames(bits, masks);
  for (const name of scan.defines.keys()) {
    if (!/^___GFP_[A-Z0-9_]+$/.test(name) || NOT_A_MASK.test(name) || masks.has(name)) continue;
    const value = numeric(name);
    if (value) masks.set(name, value);
  }
  const composites = new Map<string, Expr>();
  for (const [name, e] of scan.defines) {
    if (!/^(__)?GFP_[A-Z0-9_]+$/.test(name) || NOT_A_MASK.test(name) || bits.has(name) || zeroFlags.includes(name)) continue;
    composites.set(name, e);
  }
  const lookupLocal = (n: string): GfpValue | undefined => {
    if (!NOT_A_MASK.test(n) && !/^__GFP_BITS_/.test(n)) return undefined;
    const value = numeric(n);
    return value === undefined ? undefined : { kind: 'known', masks: [value >>> 0] };
  };
  evaluateToFixpoint(v, source, bits, masks, composites, lookupLocal);
  if (!masks.has('GFP_KERNEL')) return { error: `${source}: GFP_KERNEL does not evaluate` };
  if (!masks.has('__GFP_BITS_MASK')) masks.set('__GFP_BITS_MASK', bitsMaskOf(bits));
  evaluateToFixpoint(v, source, bits, masks, defsOf(rowsFor(GFP_COMPOSITE_ROWS, v), masks));
  evaluateToFixpoint(v, source, bits, masks, defsOf(GFP_ALIAS_DEFAULTS, masks));
  return makeTable(v, source, bits, masks);
}

/**
 * The table of the tree at `root`: include/linux/gfp_types.h, else include/linux/gfp.h.
 * Undefined when neither exists or parses.
 */
export function loadTreeGfpTable(root: string, v: KernelVersion): GfpTable | undefined {
  for (const rel of ['include/linux/gfp_types.h', 'include/linux/gfp.h']) {
    const path = join(root, rel);
    if (!existsSync(path)) continue;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      continue;
    }
    const t = gfpTableFromHeader(text, v, path);
    if (!('error' in t)) return t;
  }
  return undefined;
}

/**
 * Adds object-like macro aliases found in scanned code (`#define GFP_F2FS_ZERO (GFP_NOFS |
 * __GFP_ZERO)`), evaluated to a fixpoint so aliases of aliases resolve. A scanned definition
 * replaces a built-in subsystem-alias default but never a flag or a kernel composite
 * (tools/ shims define `GFP_KERNEL 0`). Aliases that do not evaluate to one known mask are
 * returned in `unresolved`.
 */
export function withAliases(table: GfpTable, aliases: ReadonlyMap<string, Expr>): { table: GfpTable; unresolved: string[] } {
  const bits = new Map(table.bits);
  const masks = new Map(table.masks);
  const defs = new Map<string, Expr>();
  for (const [name, e] of aliases) {
    if (masks.has(name) && !ALIAS_DEFAULT_NAMES.has(name)) continue;
    masks.delete(name);
    defs.set(name, e);
  }
  const failed = evaluateToFixpoint(table.version, table.source, bits, masks, defs);
  // A default whose replacement failed keeps its default value.
  for (const name of failed) {
    const dflt = table.masks.get(name);
    if (dflt !== undefined) masks.set(name, dflt);
  }
  return { table: makeTable(table.version, table.source, bits, masks), unresolved: failed };
}

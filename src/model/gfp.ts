/**
 * The gfp flag algebra: abstract gfp values, the evaluator from an expression to a value, mask
 * spelling for messages, and may/must predicates (allocator-model.md §1).
 */

import { exprKey, type Expr } from '../facts/expr.js';
import { mustParseCExpr } from '../facts/c-expr.js';
import type { GfpTable } from './gfp-tables.js';
import { SCOPE_CLEARS } from './memalloc-scopes.js';

/**
 * What an expression may evaluate to.
 * - `known`: one of a few concrete masks (sorted, deduplicated; more than
 *   {@link MAX_POSSIBLE_MASKS} widen to `unknown`).
 * - `param`: the caller's mask in parameter `param`, i.e. `(P & ~remove) | add` (add and remove
 *   are disjoint).
 * - `unknown`: anything; `unresolved` lists the names that could not be resolved.
 */
export type GfpValue =
  | { kind: 'known'; masks: number[] }
  | { kind: 'param'; param: number; name: string; add: number; remove: number; masks?: never }
  | { kind: 'unknown'; unresolved: string[]; why?: string };

/** How many alternative masks a `known` value keeps before it widens to `unknown`. */
export const MAX_POSSIBLE_MASKS = 8;

/** How the evaluator resolves names that are not in the table. */
export interface GfpEnv {
  table: GfpTable;
  /** Value of a local variable or field (called with `exprKey()` text for `a->b`, `a[i]`). */
  lookupLocal?(name: string): GfpValue | undefined;
  /** Index of a `gfp_t` parameter of the enclosing function. */
  paramIndex?(name: string): number | undefined;
  /** The mapping mask when known (e.g. from mapping_set_gfp_mask()); see MAPPING_GFP_MASKS. */
  mappingDefault?: number;
}

/** A `known` value from one mask or a list of possible masks (widened past the cap). */
export function known(m: number | readonly number[]): GfpValue {
  const list = typeof m === 'number' ? [m] : m;
  const masks = [...new Set(list.map((x) => x >>> 0))].sort((a, b) => a - b);
  if (masks.length > MAX_POSSIBLE_MASKS) return unknown([], `more than ${MAX_POSSIBLE_MASKS} possible masks`);
  return { kind: 'known', masks };
}

/** An `unknown` value listing the names that could not be resolved. */
export function unknown(names: readonly string[] = [], why?: string): GfpValue {
  const unresolved = [...new Set(names)];
  return why === undefined ? { kind: 'unknown', unresolved } : { kind: 'unknown', unresolved, why };
}

/** The caller's mask of parameter `index`, with bits OR-ed in (`add`) and cleared (`remove`). */
export function paramValue(index: number, name: string, add = 0, remove = 0): GfpValue {
  const a = add >>> 0;
  return { kind: 'param', param: index, name, add: a, remove: (remove & ~a) >>> 0 };
}

function mergeUnknown(a: GfpValue, b: GfpValue, why?: string): GfpValue {
  const names = [...(a.kind === 'unknown' ? a.unresolved : []), ...(b.kind === 'unknown' ? b.unresolved : [])];
  const reason = why ?? (a.kind === 'unknown' ? a.why : undefined) ?? (b.kind === 'unknown' ? b.why : undefined);
  return unknown(names, reason);
}

/** Union of possibilities (control-flow join, both arms of a ternary). */
export function joinGfp(a: GfpValue, b: GfpValue): GfpValue {
  if (a.kind === 'known' && b.kind === 'known') return known([...a.masks, ...b.masks]);
  if (a.kind === 'param' && b.kind === 'param') {
    if (a.param === b.param && a.add === b.add && a.remove === b.remove) return a;
    return mergeUnknown(a, b, `different masks derived from '${a.name}' and '${b.name}' meet`);
  }
  if (a.kind === 'unknown' || b.kind === 'unknown') return mergeUnknown(a, b);
  const p = a.kind === 'param' ? a : (b as Extract<GfpValue, { kind: 'param' }>);
  return unknown([], `the caller's mask '${p.name}' meets a constant mask`);
}

/** Structural equality (unknowns compare by their unresolved names). */
export function gfpEquals(a: GfpValue, b: GfpValue): boolean {
  if (a.kind === 'known' && b.kind === 'known') {
    return a.masks.length === b.masks.length && a.masks.every((m, i) => m === b.masks[i]);
  }
  if (a.kind === 'param' && b.kind === 'param') return a.param === b.param && a.add === b.add && a.remove === b.remove;
  if (a.kind === 'unknown' && b.kind === 'unknown') {
    return a.unresolved.length === b.unresolved.length && a.unresolved.every((n) => b.unresolved.includes(n));
  }
  return false;
}

/** The value of flag `name` in `table`; 0 when this version lacks the flag. Throws on a typo. */
export function bit(table: GfpTable, name: string): number {
  const b = table.bits.get(name) ?? table.masks.get(name);
  if (b !== undefined) return b;
  if (!ALL_FLAG_NAMES.has(name)) throw new Error(`gfp model: '${name}' is not a gfp flag of any modelled kernel`);
  return 0;
}

// Every flag or composite name of the built-in tables, for bit()'s typo check. Filled once when
// gfp-tables.ts loads (it imports this module, so the list cannot be imported from there).
const ALL_FLAG_NAMES = new Set<string>();
/** Registers the built-in table names for bit()'s typo check; called once by gfp-tables.ts. */
export function registerFlagNames(names: Iterable<string>): void {
  for (const n of names) ALL_FLAG_NAMES.add(n);
}

/** `mask` has every bit of flag or composite `name` (false when this version lacks it). */
export function hasBit(mask: number, name: string, table: GfpTable): boolean {
  const b = bit(table, name);
  return b !== 0 && (mask & b) === b;
}

/** gfpflags_allow_blocking(): __GFP_DIRECT_RECLAIM (include/linux/gfp.h). */
export function maySleep(mask: number, table: GfpTable): boolean {
  return hasBit(mask, '__GFP_DIRECT_RECLAIM', table);
}

/** No __GFP_DIRECT_RECLAIM: GFP_ATOMIC, GFP_NOWAIT, bare zone modifiers. */
export function isNonBlocking(mask: number, table: GfpTable): boolean {
  return !maySleep(mask, table);
}

/** Reclaim may call into filesystems (__GFP_FS). */
export function allowsFs(mask: number, table: GfpTable): boolean {
  return hasBit(mask, '__GFP_FS', table);
}

/** Reclaim may issue I/O (__GFP_IO). */
export function allowsIo(mask: number, table: GfpTable): boolean {
  return hasBit(mask, '__GFP_IO', table);
}

/** Some possibility of `v` has flag `name`. Unknown values may have anything. */
export function mayHaveBit(v: GfpValue, name: string, table: GfpTable): boolean {
  const b = bit(table, name);
  if (b === 0) return false;
  if (v.kind === 'known') return v.masks.some((m) => (m & b) === b);
  if (v.kind === 'param') return (v.add & b) === b || (v.remove & b) !== b;
  return true;
}

/** Every possibility of `v` has flag `name`. Unknown values guarantee nothing. */
export function mustHaveBit(v: GfpValue, name: string, table: GfpTable): boolean {
  const b = bit(table, name);
  if (b === 0) return false;
  if (v.kind === 'known') return v.masks.every((m) => (m & b) === b);
  if (v.kind === 'param') return (v.add & b) === b;
  return false;
}

/** No possibility of `v` has flag `name`. */
export function mustLackBit(v: GfpValue, name: string, table: GfpTable): boolean {
  return !mayHaveBit(v, name, table);
}

/** Some possibility of `v` lacks flag `name`. */
export function mayLackBit(v: GfpValue, name: string, table: GfpTable): boolean {
  return !mustHaveBit(v, name, table);
}

/** A mask that may block but cannot recurse into filesystems: GFP_NOFS and its relatives. */
export function isNofsLike(mask: number, table: GfpTable): boolean {
  return maySleep(mask, table) && !allowsFs(mask, table);
}

/** A mask that may block but cannot start I/O: GFP_NOIO and its relatives. */
export function isNoioLike(mask: number, table: GfpTable): boolean {
  return maySleep(mask, table) && !allowsIo(mask, table);
}

/**
 * True when `v` is known and every possible mask satisfies `pred`. Parameter-dependent and
 * unknown values satisfy nothing, so a check built on it stays quiet where the mask is not known.
 */
export function mustAll(v: GfpValue, pred: (mask: number) => boolean): boolean {
  return v.kind === 'known' && v.masks.length > 0 && v.masks.every(pred);
}

/** True when `v` is known and some possible mask satisfies `pred`. */
export function mayAny(v: GfpValue, pred: (mask: number) => boolean): boolean {
  return v.kind === 'known' && v.masks.some(pred);
}

/**
 * The bits whose absence is what a constrained mask means (GFP_NOFS, GFP_NOIO, GFP_NOWAIT):
 * OR-ing a mask that has more of them into one that has fewer cannot take them away
 * (include/linux/gfp_types.h).
 */
export const RECLAIM_BITS: readonly string[] = ['__GFP_IO', '__GFP_FS', '__GFP_DIRECT_RECLAIM', '__GFP_KSWAPD_RECLAIM'];

/**
 * What a caller's mask asks for that the constant mask `site` ignores (Documentation/core-api/
 * gfp_mask-from-fs-io.rst, memory-allocation.rst): no sleeping at all, no I/O (GFP_NOIO), or no
 * reclaim into the filesystem (GFP_NOFS), in the words a message uses. An allocator that always
 * sleeps (vmalloc) cannot serve a non-blocking caller whatever mask it gets: only the reclaim
 * constraints count there.
 */
export function callerConstraintIgnored(table: GfpTable, caller: number, site: number, alwaysSleeps: boolean): 'sleep' | 'start I/O' | 'recurse into the filesystem' | undefined {
  const lacks = (name: string) => (site & bit(table, name)) !== 0 && (caller & bit(table, name)) === 0;
  // A mask with no reclaim or priority bit at all (`GFP_DMA`, `__GFP_ZERO`) picks a zone or a
  // placement: it says nothing of the caller's context (kernel/dma/swiotlb.c swiotlb_init_late()).
  const context = ['__GFP_DIRECT_RECLAIM', '__GFP_KSWAPD_RECLAIM', '__GFP_IO', '__GFP_FS', '__GFP_HIGH'].reduce((m, n) => m | bit(table, n), 0);
  if ((caller & context) === 0) return undefined;
  if (!alwaysSleeps && lacks('__GFP_DIRECT_RECLAIM')) return 'sleep';
  if (lacks('__GFP_IO')) return 'start I/O';
  if (lacks('__GFP_FS')) return 'recurse into the filesystem';
  return undefined;
}

/**
 * Flags that say nothing about the caller's reclaim context (zone, placement and action bits,
 * include/linux/gfp_types.h): testing them is not inspecting the context.
 */
const NON_CONTEXT_FLAGS = new Set([
  '__GFP_DMA', '__GFP_DMA32', '__GFP_HIGHMEM', '__GFP_MOVABLE', 'GFP_DMA', 'GFP_DMA32', 'GFP_ZONEMASK',
  '__GFP_ZERO', '__GFP_NOWARN', '__GFP_COMP', '__GFP_ACCOUNT', '__GFP_THISNODE', '__GFP_HARDWALL', '__GFP_WRITE',
]);

/** True for a flag name that is no part of the reclaim context (a zone, placement or action bit). */
export function isNonContextFlag(name: string): boolean {
  return NON_CONTEXT_FLAGS.has(name);
}

/**
 * Calls that store a mask for later allocations instead of allocating under it now:
 * mapping_set_gfp_mask() (include/linux/pagemap.h:354 in 6.12), as fs/nilfs2/mdt.c nilfs_mdt_init() uses it.
 */
const GFP_MASK_SETTERS = new Set(['mapping_set_gfp_mask']);

/** True when `callee` stores its gfp argument as a setting rather than allocating under it. */
export function storesGfpMask(callee: string): boolean {
  return GFP_MASK_SETTERS.has(callee);
}

/** Some possibility lets reclaim call into filesystems. */
export function mayAllowFs(v: GfpValue, table: GfpTable): boolean { return mayHaveBit(v, '__GFP_FS', table); }
/** Every possibility lacks __GFP_FS (GFP_NOFS-like whatever the caller passes). */
export function mustLackFs(v: GfpValue, table: GfpTable): boolean { return mustLackBit(v, '__GFP_FS', table); }
/** Some possibility lets reclaim issue I/O. */
export function mayAllowIo(v: GfpValue, table: GfpTable): boolean { return mayHaveBit(v, '__GFP_IO', table); }
/** Every possibility lacks __GFP_IO. */
export function mustLackIo(v: GfpValue, table: GfpTable): boolean { return mustLackBit(v, '__GFP_IO', table); }
/** Some possibility may sleep in the allocator (over-approximation for atomic-context checks). */
export function mayBlock(v: GfpValue, table: GfpTable): boolean { return mayHaveBit(v, '__GFP_DIRECT_RECLAIM', table); }
/** Every possibility may sleep (under-approximation, e.g. "NOFAIL is blockable"). */
export function mustBlock(v: GfpValue, table: GfpTable): boolean { return mustHaveBit(v, '__GFP_DIRECT_RECLAIM', table); }

function mapKnown(a: GfpValue, b: GfpValue, f: (x: number, y: number) => number): GfpValue {
  if (a.kind !== 'known' || b.kind !== 'known') throw new Error('mapKnown on a non-known value');
  const out: number[] = [];
  for (const x of a.masks) for (const y of b.masks) out.push(f(x, y));
  return known(out);
}

function joinAll(values: GfpValue[]): GfpValue {
  return values.reduce((acc, v) => joinGfp(acc, v));
}

/** `a | b` on abstract values. */
export function orGfp(a: GfpValue, b: GfpValue): GfpValue {
  if (a.kind === 'unknown' || b.kind === 'unknown') return mergeUnknown(a, b);
  if (a.kind === 'known' && b.kind === 'known') return mapKnown(a, b, (x, y) => x | y);
  if (a.kind === 'param' && b.kind === 'param') {
    if (a.param !== b.param) return unknown([], `'${a.name} | ${b.name}' mixes two callers' masks`);
    return paramValue(a.param, a.name, a.add | b.add, a.remove & b.remove);
  }
  const p = a.kind === 'param' ? a : (b as Extract<GfpValue, { kind: 'param' }>);
  const k = a.kind === 'known' ? a : (b as Extract<GfpValue, { kind: 'known' }>);
  return joinAll(k.masks.map((m) => paramValue(p.param, p.name, p.add | m, p.remove & ~m)));
}

/** `a & b` on abstract values. */
export function andGfp(a: GfpValue, b: GfpValue): GfpValue {
  if (a.kind === 'unknown' || b.kind === 'unknown') return mergeUnknown(a, b);
  if (a.kind === 'known' && b.kind === 'known') return mapKnown(a, b, (x, y) => x & y);
  if (a.kind === 'param' && b.kind === 'param') {
    if (gfpEquals(a, b)) return a;
    return unknown([], `'${a.name} & ${b.name}' of two different masks`);
  }
  const p = a.kind === 'param' ? a : (b as Extract<GfpValue, { kind: 'param' }>);
  const k = a.kind === 'known' ? a : (b as Extract<GfpValue, { kind: 'known' }>);
  // ((P & ~r) | a) & M == (P & ~(r | ~M)) | (a & M)
  return joinAll(k.masks.map((m) => paramValue(p.param, p.name, p.add & m, p.remove | ~m)));
}

/** `~a`: exact on known masks; the complement of a caller's mask is not a mask. */
export function notGfp(a: GfpValue): GfpValue {
  if (a.kind === 'known') return known(a.masks.map((m) => ~m));
  if (a.kind === 'param') return unknown([], `'~${a.name}' complements the caller's mask`);
  return a;
}

const ARITH: Readonly<Record<string, (x: number, y: number) => number>> = {
  '^': (x, y) => x ^ y,
  '<<': (x, y) => (y >= 0 && y < 32 ? x << y : 0),
  '>>': (x, y) => (y >= 0 && y < 32 ? x >>> y : 0),
  '+': (x, y) => x + y,
  '-': (x, y) => x - y,
  '*': (x, y) => x * y,
  '/': (x, y) => (y === 0 ? 0 : Math.trunc(x / y)),
  '%': (x, y) => (y === 0 ? 0 : x % y),
};

/**
 * The page-cache mask a mapping may have (include/linux/pagemap.h mapping_gfp_mask()): the
 * default GFP_HIGHUSER_MOVABLE set by inode_init_always() (fs/inode.c), the same without
 * __GFP_FS (xfs_setup_inode() in fs/xfs/xfs_iops.c, gfs2, nilfs2) or GFP_NOFS outright for
 * metadata inodes (jfs, nilfs2, reiserfs, gfs2), §1.5. The evaluator returns all of them unless
 * GfpEnv.mappingDefault says which: "may allow FS" is then true and "must lack FS" false, which
 * is what an unknown inode gives.
 */
export const MAPPING_GFP_MASKS: readonly string[] = ['GFP_HIGHUSER_MOVABLE', 'GFP_HIGHUSER_MOVABLE & ~__GFP_FS', 'GFP_NOFS'];

/**
 * Helpers that compute masks (§1.5), as C templates over ARG0, ARG1, … (include/linux/pagemap.h,
 * include/linux/gfp.h, and a few pervasive inline helpers of net/ and fs/nfs/). A condition the
 * evaluator cannot decide joins both arms. current_gfp_context(), memalloc_noio_flags() and
 * mapping_gfp_mask() are handled in code (see evalGfp) because they depend on runtime state.
 */
export const GFP_HELPER_TEMPLATES: Readonly<Record<string, string>> = {
  mapping_gfp_constraint: 'mapping_gfp_mask(ARG0) & ARG1',
  readahead_gfp_mask: 'mapping_gfp_mask(ARG0) | __GFP_NORETRY | __GFP_NOWARN',
  gfp_nested_mask: '(ARG0 & (GFP_KERNEL | GFP_ATOMIC | __GFP_NOLOCKDEP)) | __GFP_NORETRY | __GFP_NOMEMALLOC | __GFP_NOWARN',
  // include/net/sock.h: in_softirq() ? GFP_ATOMIC : GFP_KERNEL
  gfp_any: 'in_softirq() ? GFP_ATOMIC : GFP_KERNEL',
  gfp_memcg_charge: 'in_softirq() ? GFP_ATOMIC : GFP_KERNEL',
  // fs/nfs/internal.h (§1.5): workqueue workers add __GFP_NORETRY | __GFP_NOWARN
  nfs_io_gfp_mask: 'in_wq_worker() ? current_gfp_context(GFP_KERNEL) | __GFP_NORETRY | __GFP_NOWARN : current_gfp_context(GFP_KERNEL)',
  BIT: '1 << ARG0',
  BIT_ULL: '1 << ARG0',
};

const templateCache = new Map<string, Expr>();
function template(name: string): Expr {
  let e = templateCache.get(name);
  if (!e) {
    e = mustParseCExpr(GFP_HELPER_TEMPLATES[name]);
    templateCache.set(name, e);
  }
  return e;
}

function substitute(e: Expr, args: readonly Expr[]): Expr {
  switch (e.k) {
    case 'id': {
      const m = /^ARG(\d)$/.exec(e.name);
      return m ? args[Number(m[1])] ?? { k: 'other', text: `missing argument ${m[1]}` } : e;
    }
    case 'bin': return { ...e, l: substitute(e.l, args), r: substitute(e.r, args) };
    case 'un': return { ...e, e: substitute(e.e, args) };
    case 'cast': return { ...e, e: substitute(e.e, args) };
    case 'call': return { ...e, args: e.args.map((a) => substitute(a, args)) };
    case 'cond': return { ...e, c: substitute(e.c, args), t: substitute(e.t, args), f: substitute(e.f, args) };
    default: return e;
  }
}

let mappingExprs: Expr[] | undefined;
function mappingMask(env: GfpEnv): GfpValue {
  if (env.mappingDefault !== undefined) return known(env.mappingDefault);
  mappingExprs ??= MAPPING_GFP_MASKS.map((s) => mustParseCExpr(s));
  return joinAll(mappingExprs.map((e) => evalGfp(e, { table: env.table })));
}

/**
 * Possible results of current_gfp_context(arg): the argument minus whatever scopes the task may
 * be in at run time (include/linux/sched/mm.h). The evaluator cannot know the task's scopes, so
 * a known argument gives every mask the function can return ("at most the argument"); a caller's
 * mask gives unknown, since the possibilities are not one parameter expression.
 */
function contextPossibilities(arg: GfpValue, table: GfpTable, scopeSets: readonly (readonly ('nofs' | 'noio' | 'pin')[])[], fn: string): GfpValue {
  if (arg.kind === 'unknown') return arg;
  if (arg.kind === 'param') return unknown([], `${fn}('${arg.name}') depends on the task's memalloc scopes`);
  const out: number[] = [];
  for (const m of arg.masks) {
    for (const set of scopeSets) {
      let x = m;
      for (const kind of set) for (const n of SCOPE_CLEARS[kind]) x &= ~(table.bits.get(n) ?? 0);
      out.push(x);
    }
  }
  return known(out);
}

const CURRENT_CONTEXT_SCOPES: readonly (readonly ('nofs' | 'noio' | 'pin')[])[] = [
  [], ['nofs'], ['noio'], ['pin'], ['nofs', 'pin'], ['noio', 'pin'],
];

/**
 * Evaluates a gfp expression. Table names win over locals (they are macros, expanded before C
 * scoping); then locals, then `gfp_t` parameters. A name that resolves to nothing is `unknown`
 * and listed, never zero. `alloc_hooks(...)` wrappers are the caller's business: pass the
 * inner call's arguments.
 */
export function evalGfp(e: Expr, env: GfpEnv): GfpValue {
  switch (e.k) {
    case 'id': {
      const m = env.table.masks.get(e.name);
      if (m !== undefined) return known(m);
      const local = env.lookupLocal?.(e.name);
      if (local) return local;
      const p = env.paramIndex?.(e.name);
      if (p !== undefined) return paramValue(p, e.name);
      return unknown([e.name]);
    }
    case 'num':
      if (e.value === null || !Number.isInteger(e.value) || e.value < 0 || e.value > 0xffffffff) {
        return unknown([], `'${e.text}' is not a 32-bit mask`);
      }
      return known(e.value);
    case 'cast':
      return evalGfp(e.e, env);
    case 'un':
      if (e.op === '~') return notGfp(evalGfp(e.e, env));
      if (e.op === '+') return evalGfp(e.e, env);
      if (e.op === '-' || e.op === '!') {
        const v = evalGfp(e.e, env);
        if (v.kind !== 'known') return v.kind === 'unknown' ? v : unknown([], `'${e.op}${v.name}' is not a mask`);
        return known(v.masks.map((m) => (e.op === '-' ? -m : m === 0 ? 1 : 0)));
      }
      return unknown([...identifierNames(e)], `'${e.op}' is not a mask operator`);
    case 'bin': {
      const l = evalGfp(e.l, env);
      const r = evalGfp(e.r, env);
      if (e.op === '|') return orGfp(l, r);
      if (e.op === '&') return andGfp(l, r);
      const f = ARITH[e.op];
      if (f && l.kind === 'known' && r.kind === 'known') return mapKnown(l, r, f);
      if (l.kind === 'unknown' || r.kind === 'unknown') return mergeUnknown(l, r);
      return unknown([], `'${exprKey(e)}' is not a mask expression`);
    }
    case 'cond': {
      const c = evalGfp(e.c, env);
      if (c.kind === 'known' && c.masks.length === 1) return evalGfp(c.masks[0] !== 0 ? e.t : e.f, env);
      return joinGfp(evalGfp(e.t, env), evalGfp(e.f, env));
    }
    case 'assign': {
      if (e.op === '=') return evalGfp(e.r, env);
      const op = e.op.slice(0, -1);
      return evalGfp({ k: 'bin', op, l: e.l, r: e.r }, env);
    }
    case 'call':
      return evalCall(e, env);
    case 'field':
    case 'index': {
      const key = exprKey(e);
      return env.lookupLocal?.(key) ?? unknown([key]);
    }
    case 'str':
      return unknown([], 'a string is not a mask');
    case 'other':
      return unknown([], `unparsed expression '${e.text}'`);
  }
}

function evalCall(e: Extract<Expr, { k: 'call' }>, env: GfpEnv): GfpValue {
  switch (e.fn) {
    case 'mapping_gfp_mask':
      return mappingMask(env);
    case 'current_gfp_context':
      if (e.args.length !== 1) break;
      return contextPossibilities(evalGfp(e.args[0], env), env.table, CURRENT_CONTEXT_SCOPES, e.fn);
    case 'memalloc_noio_flags':
      // Pre-4.12 name of current_gfp_context() that only knew PF_MEMALLOC_NOIO (§1.5).
      if (e.args.length !== 1) break;
      return contextPossibilities(evalGfp(e.args[0], env), env.table, [[], ['noio']], e.fn);
    case 'default_gfp':
      // include/linux/gfp.h (6.12): the optional argument, else GFP_KERNEL.
      return e.args.length > 0 ? evalGfp(e.args[0], env) : evalGfp({ k: 'id', name: 'GFP_KERNEL' }, env);
    default:
      if (Object.hasOwn(GFP_HELPER_TEMPLATES, e.fn)) return evalGfp(substitute(template(e.fn), e.args), env);
  }
  return unknown([e.fn], `'${e.fn}()' computes the mask`);
}

function identifierNames(e: Expr): string[] {
  const out: string[] = [];
  const walk = (x: Expr): void => {
    if (x.k === 'id') out.push(x.name);
    else if (x.k === 'un' || x.k === 'cast') walk(x.e);
    else if (x.k === 'bin') { walk(x.l); walk(x.r); }
  };
  walk(e);
  return out;
}

// Preferred spellings for maskNames(), most idiomatic first; internal masks and subsystem
// aliases are never used to spell a mask.
const DISPLAY_COMPOSITES = [
  'GFP_KERNEL', 'GFP_NOFS', 'GFP_NOIO', 'GFP_ATOMIC', 'GFP_NOWAIT', 'GFP_KERNEL_ACCOUNT', 'GFP_USER',
  'GFP_HIGHUSER', 'GFP_HIGHUSER_MOVABLE', 'GFP_TRANSHUGE', 'GFP_TRANSHUGE_LIGHT', 'GFP_DMA', 'GFP_DMA32',
];

function bitNames(mask: number, table: GfpTable): string[] {
  const names: string[] = [];
  let rest = mask >>> 0;
  const direct = table.bits.get('__GFP_DIRECT_RECLAIM');
  const kswapd = table.bits.get('__GFP_KSWAPD_RECLAIM');
  if (direct !== undefined && kswapd !== undefined && table.masks.has('__GFP_RECLAIM')) {
    const both = (direct | kswapd) >>> 0;
    if ((rest & both) === both) { names.push('__GFP_RECLAIM'); rest = (rest & ~both) >>> 0; }
  }
  const byValue = [...table.bits.entries()].sort((a, b) => a[1] - b[1]);
  for (const [name, b] of byValue) {
    if ((rest & b) === b) { names.push(name); rest = (rest & ~b) >>> 0; }
  }
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names;
}

/**
 * Spells a mask with the fewest names, preferring a common composite: `GFP_NOFS | __GFP_ZERO`,
 * `GFP_KERNEL & ~__GFP_RECLAIM`, `GFP_ATOMIC`. Used in messages and `gfplint facts`.
 */
export function maskNames(mask: number, table: GfpTable): string {
  const m = mask >>> 0;
  if (m === 0) return '0';
  // a composite of equal length beats raw bits: GFP_NOIO rather than __GFP_RECLAIM
  const raw = bitNames(m, table);
  let best = { cost: raw.length + 0.25, text: raw.join(' | ') };
  if (table.bits.size === 0) best.text = `0x${m.toString(16)}`;
  for (const name of DISPLAY_COMPOSITES) {
    const c = table.masks.get(name);
    if (c === undefined || c === 0) continue;
    const add = (m & ~c) >>> 0;
    const remove = (c & ~m) >>> 0;
    const addNames = add ? bitNames(add, table) : [];
    const removeNames = remove ? bitNames(remove, table) : [];
    const cost = 1 + addNames.length + removeNames.length + (remove ? 0.5 : 0);
    if (cost >= best.cost) continue;
    let text = [name, ...addNames].join(' | ');
    if (removeNames.length) {
      const removed = removeNames.length === 1 ? `~${removeNames[0]}` : `~(${removeNames.join(' | ')})`;
      text = `${addNames.length ? `(${text})` : text} & ${removed}`;
    }
    best = { cost, text };
  }
  return best.text;
}

/** Renders an abstract value for messages: `GFP_NOFS`, `GFP_KERNEL or GFP_NOFS`, `gfp & ~__GFP_FS`. */
export function formatGfpValue(v: GfpValue, table: GfpTable): string {
  if (v.kind === 'known') return v.masks.map((m) => maskNames(m, table)).join(' or ');
  if (v.kind === 'param') {
    let text = v.name;
    if (v.add) text = `${text} | ${maskNames(v.add, table)}`;
    if (v.remove) {
      const removed = maskNames(v.remove, table);
      text = `${v.add ? `(${text})` : text} & ~${removed.includes(' ') ? `(${removed})` : removed}`;
    }
    return text;
  }
  return v.unresolved.length ? `unknown (${v.unresolved.join(', ')})` : `unknown${v.why ? ` (${v.why})` : ''}`;
}

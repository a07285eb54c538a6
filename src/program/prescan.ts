/**
 * The textual pre-scan: before a file is parsed, a fast test decides whether it can matter. A
 * file matters when it mentions a GFP flag or a `gfp` name (`gfp_t`, `mapping_gfp_mask`, …), the
 * memalloc scope API or `PF_MEMALLOC*`, a gfplint directive comment, or CALLS a function the
 * model knows: an allocator, a scope function, a scope provider (jbd2, XFS, …) or a lock or
 * atomic-context primitive (`spin_lock`, `guard(…)`, `rcu_read_lock`, `inode_lock`, …: a file
 * taking locks can define a lock wrapper the program stage infers). Free functions do not count:
 * a free only matters next to its allocation. Anything else cannot produce a finding on its own
 * and is not parsed: it counts as scanned, with empty facts.
 *
 * On the whole 6.12 tree (59,932 .c/.h files, 1.34 GB) the base test keeps about 17k files; see
 * the Performance section of the README for the measured numbers.
 *
 * Widening hook (interprocedural analysis): a file that only CALLS a function known to allocate
 * or to open a scope also matters. For that, every trivial file keeps the set of names it calls
 * (`callHashes`, 32-bit hashes of each identifier written before a `(`), computed during the same
 * scan; `collectFacts()` takes a `widen` callback that, given newly parsed files, returns names
 * of functions that became interesting. Trivial files calling one of them are parsed, their facts
 * handed to `widen` again, until nothing new is found (a fixpoint). Hash collisions can only add
 * files, never drop one. Function names that are only referenced without a call (an ops-table
 * slot `.fn = foo`) do not widen; the caller-side analysis must treat such files as unknown
 * callers. `defaultWiden()` below is a syntactic stand-in until the summaries exist: a function is
 * interesting when it calls an allocator, the scope API, a scope provider or another interesting
 * function.
 */
import { KERNEL_MENTIONS, modelCallNames, widenModelNames } from '../model/names.js';
import type { FileFacts } from '../syntax/facts.js';

/** Mentions that make a file matter wherever they appear (code, macro or comment): the model's, and gfplint directives. */
const MENTIONS = new RegExp(`${KERNEL_MENTIONS.source}|gfplint-`);

export { modelCallNames, widenModelNames };

/** 32-bit FNV-1a of an ASCII identifier: the currency of the widening sets. */
export function nameHash(s: string, from = 0, to = s.length): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

const NOPROF = '_noprof';

/**
 * Calls `visit(start, end)` for each identifier written just before a `(` (spaces and tabs
 * allowed between), a `_noprof` suffix (6.10+ allocation profiling) removed; stops early when
 * `visit` returns true. Works on the latin1 view of the bytes: identifiers are ASCII.
 */
function forEachCallName(s: string, visit: (start: number, end: number) => boolean): boolean {
  for (let i = s.indexOf('('); i !== -1; i = s.indexOf('(', i + 1)) {
    let e = i;
    while (e > 0) {
      const c = s.charCodeAt(e - 1);
      if (c === 32 || c === 9) e--;
      else break;
    }
    let b = e;
    while (b > 0 && isIdentChar(s.charCodeAt(b - 1))) b--;
    if (b === e) continue;
    const c0 = s.charCodeAt(b);
    if (c0 >= 48 && c0 <= 57) continue; // a number, not a name
    if (e - b > NOPROF.length && s.endsWith(NOPROF, e)) e -= NOPROF.length;
    if (visit(b, e)) return true;
  }
  return false;
}

export interface PrescanResult {
  /** The file can matter: parse it. */
  keep: boolean;
  /** For a trivial file: the distinct hashes of the names it calls (for widening). */
  callHashes?: number[];
}

export class Prescanner {
  private readonly hashes: Set<number>;
  private readonly names: Set<string>;
  /** Identifies the test: part of the cache key of remembered "trivial" verdicts. */
  readonly digest: string;

  constructor(names: readonly string[] = modelCallNames()) {
    this.names = new Set(names);
    this.hashes = new Set(names.map((n) => nameHash(n)));
    this.digest = `p1-${nameHash(MENTIONS.source + '\0' + [...names].sort().join(',')).toString(16)}`;
  }

  /** `latin1` is the file's bytes as a one-byte string (`buf.latin1Slice()`): no UTF-8 decoding needed. */
  scan(latin1: string): PrescanResult {
    if (MENTIONS.test(latin1)) return { keep: true };
    const calls = new Set<number>();
    const hit = forEachCallName(latin1, (b, e) => {
      const h = nameHash(latin1, b, e);
      if (this.hashes.has(h) && this.names.has(latin1.slice(b, e))) return true;
      calls.add(h);
      return false;
    });
    if (hit) return { keep: true };
    return { keep: false, callHashes: [...calls].sort((a, b) => a - b) };
  }
}

/** True when a trivial file's call set meets `wanted` (both as name hashes). */
export function callsAny(callHashes: readonly number[] | Uint32Array, wanted: ReadonlySet<number>): boolean {
  for (const h of callHashes) if (wanted.has(h)) return true;
  return false;
}

/**
 * The syntactic widening used until interprocedural summaries exist: the names of functions in
 * `files` that call something the model knows or a name already in `known`, to a fixpoint
 * within the given files. Returns only names not already in `known` (and adds them to it).
 */
export function defaultWiden(files: readonly { path?: string; facts: FileFacts }[], known: Set<string>, modelNames: ReadonlySet<string> = widenModelNames()): string[] {
  const fresh: string[] = [];
  // A static function of a .c file is called only from its own file, which is parsed already:
  // its name is no reason to parse another file (kernel code has hundreds of static `probe`s).
  const shared = new Set<string>();
  for (const f of files) for (const fn of f.facts.functions) if (!fn.isStatic || f.path === undefined || f.path.endsWith('.h')) shared.add(fn.name);
  let changed = true;
  while (changed) {
    changed = false;
    for (const f of files) {
      for (const fn of f.facts.functions) {
        if (known.has(fn.name)) continue;
        if (fn.calls.some((c) => !c.indirect && (modelNames.has(c.callee) || known.has(c.callee)))) {
          known.add(fn.name);
          if (shared.has(fn.name)) fresh.push(fn.name);
          changed = true;
        }
      }
    }
  }
  return fresh;
}

/**
 * Flow-sensitive analysis of one function over its instruction list: a forward dataflow whose
 * state holds the active memalloc scopes, the locks and atomic reasons held, the abstract value
 * of each gfp_t local and the allocator each pointer came from. "Must" facts hold on every path,
 * "may" facts on some; a fact that differs between two joined paths remembers the branch
 * condition it came with, so `if (c) save(); … if (c) restore();` pairs up (drivers/md/dm-ima.c).
 */
import type { Model } from '../model/context.js';
import { allocatorGfp, impliedGfpText, pointerTest, type AllocFamily } from '../model/allocators.js';
import { evalGfp, joinGfp, unknown as unknownGfp, type GfpValue } from '../model/gfp.js';
import { lockClassFamily, restoresIrqs } from '../model/locks.js';
import { applyScopes, isBranchHint, isMemallocTaskFlag, isPureTest, type ScopeKind } from '../model/memalloc-scopes.js';
import { exprKey, identifiersOf, rootName, type Expr } from '../syntax/expr.js';
import type { CallFact, FunctionFacts, Op, Rng } from '../syntax/facts.js';
import type {
  AllocSite, CallSite, CookieStore, ExecContext, ExitScope, FailureReturn, FreeSite, FunctionView, HeldRef, OpenCodedScope,
  ScopeIssue, ScopeRef, ScopeRegion,
} from './view.js';

/** Per-op visit bound before the analysis gives up on the function (degrades to imprecise). */
const MAX_VISITS_PER_OP = 40;
const MAX_TOTAL_STEPS = 200_000;
/**
 * Bound on the work of the fixpoint, counted in characters of state keys (a state's key is as long
 * as the state is big, and copying, joining and comparing it costs about that much). The visit
 * bounds alone do not bound the time: a 2,000-case switch, or thousands of open scopes, make each
 * visit cost thousands. Deterministic, unlike a clock: a function degrades the same way on every
 * machine. The most any function of the 6.12 tree's fs/, mm/, block/, kernel/, net/ and its
 * largest drivers needs is under 1 M (fs/ntfs3/fslog.c log_replay); 10 M is about half a second.
 */
const MAX_TOTAL_WORK = 10_000_000;

/** Thrown when `AnalyzeOptions.deadline` passes: the caller drops the whole file (lint.ts). */
/**
 * A return that reports a failure, by the kernel's conventions: `ERR_PTR()`/`ERR_CAST()`, a
 * negative errno, NULL, or a variable named like an error code (`return err;`). A provider may
 * leave its scope closed there (jbd2__journal_start() returns ERR_PTR(-EROFS) before starting).
 */
/** `return NULL;` or `return ERR_PTR(…);`: how a handle-returning function says it failed. */
function failureReturn(value: Expr | undefined): FailureReturn | undefined {
  const v = value?.k === 'cast' ? value.e : value;
  if (v?.k === 'id' && v.name === 'NULL') return 'null';
  if (v?.k === 'call' && /^ERR_(PTR|CAST)$/.test(v.fn)) return 'errptr';
  return undefined;
}

function isErrorReturn(value: Expr | undefined): boolean {
  if (!value) return false;
  const v = value.k === 'cast' ? value.e : value;
  if (v.k === 'call') return /^ERR_(PTR|CAST)$/.test(v.fn);
  if (v.k === 'un') return v.op === '-';
  if (v.k === 'num') return v.value !== null && v.value < 0;
  if (v.k === 'id') return v.name === 'NULL' || /^(err|error|ret|rc|rv|status|retval)$/i.test(v.name);
  return false;
}

export class AnalysisTimeout extends Error {
  constructor(readonly functionName: string) {
    super(`over the time budget while analysing '${functionName}'`);
  }
}

interface ScopeFact {
  /** The save (or provider start) call index; open-coded writes use -1 - opIndex. */
  id: number;
  kind: ScopeKind;
  opener: string;
  rng: Rng;
  cookie: string;
  /** memalloc save/restore (checked for balance) vs provider or open-coded (context only). */
  origin: 'memalloc' | 'provider' | 'open-coded';
  onlyWhen?: string;
  /** A scope carried in by the handle parameter N (callers must pass a live one unless `handleLive`). */
  handleParam?: number;
  /** A test on this path showed the handle is not NULL. */
  handleLive?: boolean;
}

interface HeldFact extends HeldRef { key: string; cls: string; guardId?: number }

/**
 * A fact with its must/may status and, when may, the branch literals (a conjunction) under which
 * it holds: testing those literals again later turns it into a must fact or drops it.
 */
interface Tracked<T> { v: T; must: boolean; cond?: string[] }

/**
 * One (cookie variable, producer) pair: the save call index, or 'foreign' (assigned elsewhere);
 * 'any' records that the variable holds some cookie, so a path merge of two producers still
 * knows that every path has one.
 */
interface CookieFact { cookie: string; id: number | 'foreign' | 'any'; fromParam?: number }

interface State {
  scopes: Map<number, Tracked<ScopeFact>>;
  held: Map<string, Tracked<HeldFact>>;
  gfp: Map<string, GfpValue>;
  /** pointer key → allocation call indices it may hold */
  ptr: Map<string, Set<number>>;
  /** cookie key → save ids that may have produced it; `maybeUndef` when some path has none */
  /** `cookie#producer` → which save may have produced the cookie, on which paths. */
  cookies: Map<string, Tracked<CookieFact>>;
  /** Cookies whose scope was restored: key → the saves they came from (may). */
  consumed: Map<string, Set<number>>;
  /** Branch literals assumed on every path here ("c" or "!c"). */
  assume: Set<string>;
}

function emptyState(): State {
  return { scopes: new Map(), held: new Map(), gfp: new Map(), ptr: new Map(), cookies: new Map(), consumed: new Map(), assume: new Set() };
}

function cloneState(s: State): State {
  return {
    scopes: new Map(s.scopes),
    held: new Map(s.held),
    gfp: new Map(s.gfp),
    ptr: new Map([...s.ptr].map(([k, v]) => [k, new Set(v)])),
    cookies: new Map(s.cookies),
    consumed: new Map([...s.consumed].map(([k, v]) => [k, new Set(v)])),
    assume: new Set(s.assume),
  };
}

const negate = (lit: string) => (lit.startsWith('!') ? lit.slice(1) : '!' + lit);

/**
 * The condition of a fact held on one side of a join only: its own condition plus the literals
 * assumed on that side that the other side contradicts.
 */
function onlyOn(x: Tracked<unknown>, present: Set<string>, absent: Set<string>): string[] | undefined {
  if (!x.must && !x.cond) return undefined;
  // The literals that tell the two sides apart, plus plain flags known on this side only (a flag
  // set next to the save: `suspend = true; save();`); literals both sides share add nothing.
  let split = [...present].filter((l) => absent.has(negate(l)) || (/^!?[A-Za-z_]\w*$/.test(l) && !absent.has(l)));
  // A testable literal says more than an untestable branch literal: keep the testable ones.
  if (split.some((l) => !l.includes('@br'))) split = split.filter((l) => !l.includes('@br'));
  if (!split.length) return x.cond;
  return [...new Set([...(x.cond ?? []), ...split])].sort();
}

function joinTracked<K, T>(a: Map<K, Tracked<T>>, b: Map<K, Tracked<T>>, sa: Set<string>, sb: Set<string>): Map<K, Tracked<T>> {
  const out = new Map<K, Tracked<T>>();
  for (const [k, x] of a) {
    const y = b.get(k);
    if (y) {
      const must = x.must && y.must;
      const cond = !must && x.cond && y.cond ? x.cond.filter((l) => y.cond!.includes(l)) : undefined;
      out.set(k, { v: x.v, must, cond: cond?.length ? cond : undefined });
    } else out.set(k, { v: x.v, must: false, cond: onlyOn(x, sa, sb) });
  }
  for (const [k, y] of b) if (!a.has(k)) out.set(k, { v: y.v, must: false, cond: onlyOn(y, sb, sa) });
  return out;
}

function joinState(a: State, b: State): State {
  const gfp = new Map<string, GfpValue>();
  for (const [k, v] of a.gfp) {
    const w = b.gfp.get(k);
    gfp.set(k, w ? joinGfp(v, w) : v);
  }
  for (const [k, v] of b.gfp) if (!a.gfp.has(k)) gfp.set(k, v);
  const ptr = new Map<string, Set<number>>();
  for (const [k, v] of a.ptr) ptr.set(k, new Set(v));
  for (const [k, v] of b.ptr) {
    const s = ptr.get(k);
    if (s) for (const x of v) s.add(x);
    else ptr.set(k, new Set(v));
  }
  return {
    scopes: joinTracked(a.scopes, b.scopes, a.assume, b.assume),
    held: joinTracked(a.held, b.held, a.assume, b.assume),
    gfp,
    ptr,
    cookies: joinTracked(a.cookies, b.cookies, a.assume, b.assume),
    consumed: unionMaps(a.consumed, b.consumed),
    assume: new Set([...a.assume].filter((l) => b.assume.has(l))),
  };
}

function unionMaps(a: Map<string, Set<number>>, b: Map<string, Set<number>>): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  for (const [k, v] of a) out.set(k, new Set(v));
  for (const [k, v] of b) {
    const o = out.get(k);
    if (o) for (const x of v) o.add(x);
    else out.set(k, new Set(v));
  }
  return out;
}

function trackedKey<K, T>(m: Map<K, Tracked<T>>, show: (v: T) => string): string {
  return [...m].map(([k, t]) => `${String(k)}:${t.must ? 1 : 0}:${t.cond?.join('&') ?? ''}:${show(t.v)}`).sort().join('|');
}

function stateKey(s: State): string {
  return [
    trackedKey(s.scopes, (v) => v.cookie),
    trackedKey(s.held, () => ''),
    [...s.gfp].map(([k, v]) => k + '=' + JSON.stringify(v)).sort().join(','),
    [...s.ptr].map(([k, v]) => k + '=' + [...v].sort().join('.')).sort().join(','),
    trackedKey(s.cookies, () => ''),
    [...s.consumed].map(([k, v]) => k + '=' + [...v].sort().join('.')).sort().join(','),
    [...s.assume].sort().join(','),
  ].join('#');
}

/**
 * The literal a branch condition tests, for conditions without side effects (`x`, `!x`, `p->f`,
 * `(gfp & (__GFP_FS | __GFP_IO)) == __GFP_IO` as in mm/vmalloc.c): two tests of the same literal
 * with no assignment to its variables in between take the same direction.
 */
function condLiteral(e: Expr): string | undefined {
  if (e.k === 'un' && e.op === '!') {
    const inner = condLiteral(e.e);
    return inner === undefined ? undefined : negate(inner);
  }
  // `likely(x)` is `x` (include/linux/compiler.h); `IS_ERR(h)` tests without side effects
  // (include/linux/err.h), so two tests of one handle are one literal.
  if (e.k === 'call' && e.args.length === 1 && isBranchHint(e.fn)) return condLiteral(e.args[0]);
  if (e.k === 'call' && e.args.length === 1 && isPureTest(e.fn) && !hasSideEffects(e.args[0])) return exprKey(e);
  if (e.k === 'other' || hasSideEffects(e)) return undefined;
  return exprKey(e);
}

function hasSideEffects(e: Expr): boolean {
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    switch (x.k) {
      case 'call': case 'assign': case 'other': return true;
      case 'un': if (x.op === '++' || x.op === '--') return true; stack.push(x.e); break;
      case 'bin': stack.push(x.l, x.r); break;
      case 'cast': stack.push(x.e); break;
      case 'cond': stack.push(x.c, x.t, x.f); break;
      case 'field': stack.push(x.base); break;
      case 'index': stack.push(x.base, x.index); break;
      default: break;
    }
  }
  return false;
}

/** Forget what branch literals said about `name` once it is assigned. */
function invalidateLiterals(s: State, name: string): void {
  // Cheap exits first: nothing assumed, or no literal mentions the name at all.
  let mentioned = false;
  for (const lit of s.assume) if (lit.includes(name)) { mentioned = true; break; }
  if (!mentioned) {
    for (const m of [s.scopes, s.held, s.cookies] as Map<unknown, Tracked<unknown>>[]) {
      for (const t of m.values()) if (t.cond?.some((l) => l.includes(name))) { mentioned = true; break; }
      if (mentioned) break;
    }
  }
  if (!mentioned) return;
  const re = new RegExp(`(^|[^\\w])${name.replace(/[^\w]/g, '')}([^\\w]|$)`);
  for (const lit of [...s.assume]) if (re.test(lit)) s.assume.delete(lit);
  for (const m of [s.scopes, s.held, s.cookies] as Map<unknown, Tracked<unknown>>[]) {
    for (const [k, t] of m) {
      if (!t.cond?.some((l) => re.test(l))) continue;
      const cond = t.cond.filter((l) => !re.test(l));
      m.set(k, { v: t.v, must: t.must, cond: cond.length ? cond : undefined });
    }
  }
}

function lockKey(e: Expr | undefined): string {
  if (!e) return '';
  const x = e.k === 'un' && e.op === '&' ? e.e : e;
  return exprKey(x);
}

/** `p->flags`, `current->flags`, `tsk->flags`: the task-flags word (include/linux/sched.h). */
function isTaskFlags(l: Expr): boolean {
  return l.k === 'field' && l.field === 'flags';
}

export interface AnalyzeOptions {
  /** Start-of-function scopes from callers (interprocedural); empty by default. */
  entryScopes?: ScopeRef[];
  /** A `performance.now()` value: past it the analysis throws AnalysisTimeout (checked every few steps). */
  deadline?: number;
}

export function analyzeFunction(facts: FunctionFacts, file: string, model: Model, options: AnalyzeOptions = {}): FunctionView {
  return new FunctionAnalysis(facts, file, model, options).run();
}

class FunctionAnalysis {
  private ops: Op[];
  private calls: CallFact[];
  private localNames: Set<string>;
  private gfpNames = new Set<string>();
  private ptrNames = new Set<string>();
  private paramIndex = new Map<string, number>();
  /** Canonical texts of the cookies passed to restores (locals worth tracking as cookies). */
  private restoreArgs = new Set<string>();
  /** call index → where its result goes. */
  private resultOf = new Map<number, { l?: Expr; returned?: boolean }>();
  private precise = true;

  // Recorded in the final pass.
  private callSites: CallSite[] = [];
  private allocs: AllocSite[] = [];
  private frees: FreeSite[] = [];
  private regions = new Map<number, ScopeRegion>();
  private issues: ScopeIssue[] = [];
  private openCoded: OpenCodedScope[] = [];
  private unresolved = new Set<string>();
  private recording = false;
  private callsByCallee: Map<string, { pos: number; i: number }[]> | undefined;
  private exitScopes: ExitScope[] = [];
  private handOffRestores: { index: number; param: number; kind: ScopeKind }[] = [];
  private releasesCallersLock = false;
  /** Parameters that are transaction handles carrying a scope (src/model/reclaim.ts handleScope()). */
  private handleParams = new Set<string>();
  private releasedUnheld: { cls: string; param?: number }[] = [];
  private exitHeld: { cls: string; atomic: boolean; reason: string; param?: number }[] = [];

  constructor(private facts: FunctionFacts, private file: string, private model: Model, private options: AnalyzeOptions) {
    this.ops = facts.ops;
    this.calls = facts.calls;
    this.localNames = new Set(facts.locals.map((l) => l.name));
    for (const v of [...facts.params, ...facts.locals]) {
      if (/\bgfp_t\b/.test(v.type)) this.gfpNames.add(v.name);
      if (v.type.includes('*')) this.ptrNames.add(v.name);
    }
    facts.params.forEach((p, i) => { if (p.name) this.paramIndex.set(p.name, i); });
    for (const c of facts.calls) if (c.args[0] && model.scopeCall(c.callee)?.op === 'restore') this.restoreArgs.add(exprKey(c.args[0]));
    this.linkResults();
  }

  /** Pair each call with the assignment or return that consumes its value (same statement). */
  private linkResults(): void {
    let lastCall = -1;
    for (const op of this.ops) {
      if (op.op === 'call') lastCall = op.call;
      else if (op.op === 'assign' && op.r.k === 'call' && lastCall >= 0 && this.calls[lastCall].callee === op.r.fn) this.resultOf.set(lastCall, { l: op.l });
      else if (op.op === 'ret' && op.value?.k === 'call' && lastCall >= 0 && this.calls[lastCall].callee === op.value.fn) this.resultOf.set(lastCall, { returned: true });
      if (op.op !== 'call') lastCall = op.op === 'assign' || op.op === 'ret' ? -1 : lastCall;
    }
  }

  run(): FunctionView {
    const n = this.ops.length;
    const inStates: (State | undefined)[] = new Array(n + 1);
    const entry = emptyState();
    for (const s of this.options.entryScopes ?? []) {
      const id = -1_000_000 - entry.scopes.size;
      entry.scopes.set(id, { v: { id, kind: s.kind, opener: s.opener, rng: s.rng, cookie: s.cookie, origin: 'provider' }, must: true });
    }
    // A live transaction handle received as a parameter carries its provider's scope (spec §5
    // rule of thumb (b)): in scope until a stop with that handle, or a NULL test says otherwise.
    for (const [i, p] of this.facts.params.entries()) {
      const hs = p.name ? this.model.handleScope(p.type, this.file) : undefined;
      if (!hs) continue;
      this.handleParams.add(p.name);
      const id = -2_000_000 - i;
      entry.scopes.set(id, { v: { id, kind: hs.kind, opener: p.name, rng: this.facts.nameRng, cookie: p.name, origin: 'provider', handleParam: i, ...(hs.onlyWhen ? { onlyWhen: hs.onlyWhen } : {}) }, must: true });
    }
    // The in-state of an op is the join of its predecessors' latest out-states (recomputed, not
    // accumulated, so that re-joining an unchanged predecessor never weakens path conditions).
    const edgeStates: Map<number, State>[] = Array.from({ length: n + 1 }, () => new Map());
    edgeStates[0].set(-1, entry);
    inStates[0] = entry;
    const inKeys: string[] = new Array(n + 1);
    inKeys[0] = stateKey(entry);
    const visits = new Uint32Array(n + 1);
    // Lowest index first (approximates reverse post-order on this structured list): a min-heap,
    // so that a switch with thousands of targets does not re-sort the list at every step.
    const work = new MinHeap();
    work.push(0);
    const queued = new Uint8Array(n + 1);
    queued[0] = 1;
    let steps = 0;
    let effort = 0;
    const deadline = this.options.deadline;
    while (work.size) {
      const i = work.pop();
      queued[i] = 0;
      if (i >= n) continue;
      if (++visits[i] > MAX_VISITS_PER_OP || ++steps > MAX_TOTAL_STEPS || effort > MAX_TOTAL_WORK) {
        this.precise = false;
        break;
      }
      if (deadline !== undefined && (steps & 63) === 0 && performance.now() > deadline) throw new AnalysisTimeout(this.facts.name);
      effort += inKeys[i].length; // the copy of the in-state the transfer makes
      for (const [succ, out] of this.transfer(i, inStates[i]!)) {
        const edges = edgeStates[succ];
        edges.set(i, out);
        let next: State | undefined;
        for (const pred of [...edges.keys()].sort((a, b) => a - b)) next = next ? joinState(next, edges.get(pred)!) : edges.get(pred)!;
        const key = stateKey(next!);
        // Each join above cost about as much as the state it built.
        effort += key.length * edges.size;
        if (key !== inKeys[succ]) {
          inStates[succ] = next;
          inKeys[succ] = key;
          if (!queued[succ]) {
            queued[succ] = 1;
            work.push(succ);
          }
        }
      }
    }
    // Final pass: record facts from the fixpoint states.
    this.recording = true;
    for (let i = 0; i < n; i++) {
      const s = inStates[i];
      if (s) this.transfer(i, s);
      if (deadline !== undefined && (i & 255) === 255 && performance.now() > deadline) throw new AnalysisTimeout(this.facts.name);
    }
    this.recordLeaks(inStates);
    return this.view();
  }

  /** An instruction that cannot change the dataflow state. */
  private isInert(op: Op): boolean {
    switch (op.op) {
      case 'label': case 'ret': case 'sw': return true;
      case 'jmp': return !op.releases?.length;
      case 'call': {
        const c = this.calls[op.call];
        if (c.indirect) return true;
        const n = c.callee;
        return !this.model.scopeCall(n) && !this.model.lockCall(n) && !this.model.providerStart(n) && !this.model.providerStop(n) &&
          !this.model.allocator(n) && !this.model.free(n);
      }
      default: return false;
    }
  }

  private successors(i: number): number[] {
    const op = this.ops[i];
    switch (op.op) {
      case 'br': return op.t === op.f ? [op.t] : [op.t, op.f];
      case 'sw': return [...new Set(op.targets)];
      case 'jmp': return [op.t];
      case 'ret': return [];
      default: return [i + 1];
    }
  }

  /** Apply op i to state s; returns the out-state for each successor (n = function exit). */
  private transfer(i: number, s0: State): [number, State][] {
    const op = this.ops[i];
    // Most instructions leave the state alone: share it instead of copying (states are never
    // mutated once stored, and every changing instruction works on its own copy).
    if (this.isInert(op)) {
      if (this.recording && op.op === 'call') this.callSites.push({ index: op.call, call: this.calls[op.call], ctx: this.context(s0) });
      return this.successors(i).map((t) => [t, s0] as [number, State]);
    }
    const s = cloneState(s0);
    switch (op.op) {
      case 'call': this.call(op.call, s); break;
      case 'assign': this.assign(op, s, i); break;
      case 'guard': {
        const g = this.model.guardClass(op.cls);
        if (g) {
          const lock = lockKey(op.arg);
          const key = `guard#${op.id}`;
          s.held.set(key, { v: { key, cls: op.cls, what: `guard(${op.cls})`, lock, atomic: g.atomic, reason: g.reason, rng: op.rng, guardId: op.id }, must: true });
        }
        break;
      }
      case 'unguard':
        for (const id of op.ids) s.held.delete(`guard#${id}`);
        break;
      case 'jmp':
        for (const id of op.releases ?? []) s.held.delete(`guard#${id}`);
        break;
      case 'br': return this.branch(op, s);
      default: break;
    }
    return this.successors(i).map((t) => [t, s] as [number, State]);
  }

  private branch(op: Op & { op: 'br' }, s: State): [number, State][] {
    const t = cloneState(s);
    const f = s;
    // spin_trylock() and friends: the lock is held on the branch where the call returned true.
    const tryCall = this.tryLockIn(op.cond);
    if (tryCall) {
      const target = tryCall.negated ? f : t;
      this.acquire(tryCall.call, target, tryCall.index);
    }
    this.narrowByVmallocTest(op.cond, t, f);
    this.narrowByHandleTest(op.cond, t, f);
    // A condition with side effects cannot be tested again, but its two edges still tell paths
    // apart at the next join: it gets a literal of its own (drivers/md/md.c md_start_sync()).
    const lit = condLiteral(op.cond) ?? `@br${this.ops.indexOf(op)}`;
    refine(t, lit);
    refine(f, negate(lit));
    // `a && b` holds: so do a and b (drivers/md/md.c: `if (!suspend && …) { suspend = true; … }`);
    // `a || b` fails: so do a and b.
    for (const c of conjuncts(op.cond, '&&')) if (c !== op.cond) { const l = condLiteral(c); if (l) refine(t, l); }
    for (const c of conjuncts(op.cond, '||')) if (c !== op.cond) { const l = condLiteral(c); if (l) refine(f, negate(l)); }
    return op.t === op.f ? [[op.t, t]] : [[op.t, t], [op.f, f]];
  }

  /**
   * `if (is_vmalloc_addr(p))`: on the true branch p is vmalloc memory (a kvmalloc result that
   * fell back), on the false branch kmalloc memory (fs/btrfs/send.c frees each way).
   */
  private narrowByVmallocTest(cond: Expr, t: State, f: State): void {
    let negated = false;
    let x = cond;
    while (x.k === 'un' && x.op === '!') {
      negated = !negated;
      x = x.e;
    }
    const test = x.k === 'call' ? pointerTest(x.fn) : undefined;
    if (x.k !== 'call' || !test || !x.args[0]) return;
    const key = exprKey(x.args[0]);
    const keep = (st: State, fams: readonly AllocFamily[]) => {
      const src = st.ptr.get(key);
      if (!src) return;
      st.ptr.set(key, new Set([...src].filter((i) => fams.includes(this.model.allocator(this.calls[i].callee)?.family as AllocFamily))));
    };
    keep(negated ? f : t, test.ifTrue);
    keep(negated ? t : f, test.ifFalse);
  }

  private tryLockIn(e: Expr): { call: CallFact; index: number; negated: boolean } | undefined {
    let negated = false;
    let x = e;
    while (x.k === 'un' && x.op === '!') {
      negated = !negated;
      x = x.e;
    }
    if (x.k !== 'call') return undefined;
    const spec = this.model.lockCall(x.fn);
    if (!spec || spec.op !== 'tryacquire') return undefined;
    // down_trylock() and friends return 0 on success.
    if (spec.success === 'zero') negated = !negated;
    // The call op for it was emitted just before the branch; find its index by name.
    for (let i = this.calls.length - 1; i >= 0; i--) {
      if (this.calls[i].callee === x.fn) return { call: this.calls[i], index: i, negated };
    }
    return undefined;
  }

  /**
   * `if (tp)`, `if (!tp)`, `tp == NULL`, `tp != NULL` on a handle parameter: where it is NULL the
   * handle's scope is gone (XFS passes tp == NULL on paths without a transaction); where it is not,
   * the scope no longer depends on what callers pass.
   */
  private narrowByHandleTest(cond: Expr, t: State, f: State): void {
    if (!this.handleParams.size) return;
    const test = (e: Expr): { name: string; nullWhenTrue: boolean } | undefined => {
      const isNull = (x: Expr): boolean => (x.k === 'id' && x.name === 'NULL') || (x.k === 'num' && x.value === 0) || (x.k === 'cast' && isNull(x.e));
      if (e.k === 'id' && this.handleParams.has(e.name)) return { name: e.name, nullWhenTrue: false };
      if (e.k === 'un' && e.op === '!') { const r = test(e.e); return r && { name: r.name, nullWhenTrue: !r.nullWhenTrue }; }
      if (e.k === 'bin' && (e.op === '==' || e.op === '!=')) {
        const [v, o] = e.l.k === 'id' && this.handleParams.has(e.l.name) ? [e.l, e.r] : [e.r, e.l];
        if (v.k === 'id' && this.handleParams.has(v.name) && isNull(o)) return { name: v.name, nullWhenTrue: e.op === '==' };
      }
      return undefined;
    };
    const drop = (st: State, name: string) => {
      for (const [id, x] of [...st.scopes]) if (x.v.cookie === name && id <= -2_000_000) st.scopes.delete(id);
    };
    const live = (st: State, name: string) => {
      for (const [id, x] of [...st.scopes]) {
        if (x.v.cookie !== name || x.v.handleParam === undefined || x.v.handleLive) continue;
        st.scopes.set(id, { v: { ...x.v, handleLive: true }, must: x.must, cond: x.cond });
      }
    };
    const whole = test(cond);
    if (whole) {
      drop(whole.nullWhenTrue ? t : f, whole.name);
      live(whole.nullWhenTrue ? f : t, whole.name);
      return;
    }
    // `tp && …` holds: tp is live; `!tp && …` holds: it is NULL; `tp || …` fails: NULL; `!tp || …` fails: live.
    for (const c of conjuncts(cond, '&&')) { const r = test(c); if (r) (r.nullWhenTrue ? drop : live)(t, r.name); }
    for (const c of conjuncts(cond, '||')) { const r = test(c); if (r) (r.nullWhenTrue ? live : drop)(f, r.name); }
  }

  private context(s: State): ExecContext {
    const scopes = [...s.scopes.values()].sort((a, b) => a.v.id - b.v.id);
    const held = [...s.held.values()];
    const ref = (f: ScopeFact): ScopeRef => ({
      kind: f.kind, opener: f.opener, rng: f.rng, cookie: f.cookie,
      ...(f.onlyWhen ? { onlyWhen: f.onlyWhen } : {}), ...(f.handleParam !== undefined ? { handleParam: f.handleParam } : {}), ...(f.handleLive ? { handleLive: true } : {}),
    });
    const h = (f: HeldFact): HeldRef => ({ what: f.what, lock: f.lock, atomic: f.atomic, reason: f.reason, rng: f.rng });
    return {
      scopes: scopes.filter((x) => x.must).map((x) => ref(x.v)),
      mayScopes: scopes.map((x) => ref(x.v)),
      held: held.filter((x) => x.must).map((x) => h(x.v)),
      mayHeld: held.map((x) => h(x.v)),
      precise: this.precise,
    };
  }

  private gfpEnv(s: State) {
    return {
      table: this.model.table,
      lookupLocal: (name: string) => (this.gfpNames.has(name) && !this.paramIndex.has(name) ? s.gfp.get(name) ?? (this.localNames.has(name) ? unknownGfp([], `'${name}' has no known value here`) : undefined) : s.gfp.get(name)),
      paramIndex: (name: string) => (this.gfpNames.has(name) && !s.gfp.has(name) ? this.paramIndex.get(name) : undefined),
    };
  }

  private call(index: number, s: State): void {
    const c = this.calls[index];
    if (this.recording) this.callSites.push({ index, call: c, ctx: this.context(s) });
    if (c.indirect) return;
    const name = c.callee;
    const sc = this.model.scopeCall(name, c.args[0]);
    if (sc) {
      if (sc.op === 'save') this.save(index, sc.kind, s);
      else this.restore(index, sc.kind, s);
      return;
    }
    const lock = this.model.lockCall(name);
    if (lock) {
      if (lock.op === 'acquire') this.acquire(c, s, index);
      else if (lock.op === 'release') this.release(c, s);
      return;
    }
    const start = this.model.providerStart(name);
    if (start) {
      const res = this.resultOf.get(index);
      const byParam = typeof start.handleParam === 'number' ? c.args[start.handleParam] : undefined;
      // The handle is a pointer: the result when it is stored in one (`handle = jbd2_journal_start()`),
      // else an out-argument `&tp` naming a pointer local (xfs_trans_alloc(…, &tp)), else the
      // first pointer-looking argument (jbd2_journal_restart(handle, …) returns an int).
      const isPtr = (e: Expr) => e.k !== 'id' || this.ptrNames.has(e.name) || !this.localNames.has(e.name);
      const outArgs = c.args.filter((a) => a.k === 'un' && a.op === '&') as { e: Expr }[];
      const outArg = outArgs.find((a) => a.e.k === 'id' && this.ptrNames.has(a.e.name));
      const firstArg = c.args[0];
      const handle = byParam ? lockKey(byParam)
        : res?.l && isPtr(res.l) ? exprKey(res.l)
        : res?.returned && start.handleParam === 'return' ? '<return>'
        : outArg ? exprKey(outArg.e)
        : firstArg && firstArg.k === 'id' && this.ptrNames.has(firstArg.name) ? firstArg.name
        : name;
      // A provider that opens on success only: its caller is inside the scope once the result
      // is tested as a success (assign() attaches that test to the variable it lands in).
      const onSuccess = !start.someExits && start.onSuccess?.length ? start.onSuccess : undefined;
      s.scopes.set(index, { v: { id: index, kind: start.kind, opener: name, rng: c.r, cookie: handle, origin: 'provider', onlyWhen: start.onlyWhen }, must: !start.someExits && !onSuccess });
      return;
    }
    const stop = this.model.providerStop(name);
    if (stop) {
      const handleArg = typeof stop.handleParam === 'number' ? c.args[stop.handleParam] : c.args[0];
      const handle = handleArg ? lockKey(handleArg) : '';
      const root = handleArg ? rootName(handleArg) : undefined;
      if (this.recording && root !== undefined && this.paramIndex.has(root)) this.handOffRestores.push({ index, param: this.paramIndex.get(root)!, kind: stop.kind });
      const open = [...s.scopes.values()].filter((x) => x.v.origin === 'provider' && x.v.id >= 0);
      const match = [...s.scopes.values()].find((x) => x.v.origin === 'provider' && x.v.cookie === handle) ?? open[open.length - 1];
      if (match) s.scopes.delete(match.v.id);
      return;
    }
    const spec = this.model.allocator(name);
    if (spec) {
      this.allocation(index, c, spec, s);
      return;
    }
    const free = this.model.free(name);
    if (free && c.args[0]) {
      const ptr = exprKey(c.args[0]);
      if (this.recording) {
        const sources = [...(s.ptr.get(ptr) ?? [])].map((ai) => {
          const ac = this.calls[ai];
          return { family: this.model.allocator(ac.callee)!.family as AllocFamily, callee: ac.callee, rng: ac.r };
        });
        this.frees.push({ index, callee: name, ptr, sources, ctx: this.context(s), rng: c.r });
      }
      s.ptr.delete(ptr);
    }
  }

  private allocation(index: number, c: CallFact, spec: NonNullable<ReturnType<Model['allocator']>>, s: State): void {
    if (!this.recording) return;
    // The model knows implied masks, XFS KM_* flags, optional gfp arguments and added bits.
    // With a parse error in the argument list the gfp position is not trustworthy
    // (`kmalloc(ALIGN(offsetof(struct s, f.g) + len, 4), GFP_KERNEL)` in wil6210).
    const gfp = c.broken ? unknownGfp([], 'the argument list did not parse') : allocatorGfp(spec, c.args, this.gfpEnv(s));
    const arg = spec.gfpArg === null ? undefined : c.args[spec.gfpArg];
    const implied = arg === undefined;
    const gfpText = (arg ? c.argText[spec.gfpArg!] : impliedGfpText(spec)).replace(/\s+/g, ' ');
    const gfpRng = arg ? c.argRng[spec.gfpArg!] : c.r;
    if (gfp.kind === 'unknown') for (const u of gfp.unresolved) this.unresolved.add(u);
    const ctx = this.context(s);
    this.allocs.push({
      index, callee: c.callee, spec, gfpText, gfpRng, gfpImplied: implied, gfp,
      effective: effectiveGfp(gfp, ctx.scopes.filter((x) => x.handleParam === undefined || x.handleLive).map((x) => x.kind), this.model), ctx, rng: c.r,
    });
  }

  private save(index: number, kind: ScopeKind, s: State): void {
    const c = this.calls[index];
    const res = this.resultOf.get(index);
    let store: CookieStore = 'discarded';
    let cookie = '';
    if (res?.returned) store = 'returned';
    else if (res?.l) {
      cookie = exprKey(res.l);
      const root = rootName(res.l);
      store = res.l.k === 'id' ? (this.localNames.has(res.l.name) || this.paramIndex.has(res.l.name) ? 'local' : 'global') : root && this.localNames.has(root) && res.l.k === 'index' ? 'local' : 'field';
      setCookie(s, cookie, index);
    }
    s.scopes.set(index, { v: { id: index, kind, opener: c.callee, rng: c.r, cookie, origin: 'memalloc' }, must: true });
    if (this.recording && !this.regions.has(index)) {
      this.regions.set(index, { kind, saveIndex: index, saveRng: c.r, cookie, cookieStore: store, restores: [], leaks: [], innerCalls: [] });
    }
  }

  private restore(index: number, kind: ScopeKind, s: State): void {
    const c = this.calls[index];
    const arg = c.args[0];
    const cookie = arg ? exprKey(arg) : '';
    const entries = cookieEntries(s, cookie);
    const open = [...s.scopes.values()].filter((x) => x.v.origin === 'memalloc').sort((a, b) => a.v.id - b.v.id);
    const record = (issue: Omit<ScopeIssue, 'restoreIndex' | 'restoreRng' | 'restoreKind' | 'cookie'>) => {
      if (this.recording) this.issues.push({ restoreIndex: index, restoreRng: c.r, restoreKind: kind, cookie, ...issue });
    };
    const saveOf = (id: number) => {
      const region = this.regions.get(id);
      return region ? { kind: region.kind, rng: region.saveRng, opener: this.calls[id].callee } : undefined;
    };
    if (!entries.length) {
      const consumed = s.consumed.get(cookie);
      if (consumed?.size) {
        record({ kind: 'double-restore', save: saveOf([...consumed][0]) });
        return;
      }
      // A cookie loaded from a struct field, a global or a parameter is a hand-off (jbd2, xfs);
      // a constant or a local no save ever wrote is not.
      const root = arg ? rootName(arg) : undefined;
      const handOff = arg !== undefined && arg.k !== 'num' && (arg.k === 'field' || arg.k === 'index' || arg.k === 'call' ||
        (root !== undefined && (this.paramIndex.has(root) || !this.localNames.has(root))));
      if (!handOff) record({ kind: 'no-save' });
      else if (this.recording && root !== undefined && this.paramIndex.has(root)) this.handOffRestores.push({ index, param: this.paramIndex.get(root)!, kind });
      return;
    }
    // Some path reaches here without any save (or hand-off) having produced the cookie.
    // Every path has a cookie when the variable is set on all of them, or when one producer is
    // certain here (after branch refinement), or two producers are on complementary branches.
    // A cookie missing only on paths an untestable branch (`if (f(x))`) told apart is given the
    // benefit of the doubt: those paths cannot be correlated, and guessing would be noise.
    const untestable = (t?: Tracked<CookieFact>) => !!t?.cond?.length && t.cond.every((l) => l.includes('@br'));
    const covered = s.cookies.get(`${cookie}#any`)?.must || untestable(s.cookies.get(`${cookie}#any`)) || entries.some((e) => e.must) ||
      entries.some((e) => e.cond?.some((l) => entries.some((f) => f !== e && f.cond?.includes(negate(l)))));
    if (!covered) record({ kind: 'no-save' });
    clearCookie(s, cookie);
    for (const e of entries) {
      if (e.v.id === 'foreign' && e.v.fromParam !== undefined && this.recording) this.handOffRestores.push({ index, param: e.v.fromParam, kind });
      if (e.v.id === 'foreign' || e.v.id === 'any') continue;
      const id = e.v.id;
      const fact = s.scopes.get(id);
      const region = this.regions.get(id);
      if (!fact) continue;
      // The generic memalloc_flags_save()/restore() pair with any kind: since 6.9 every restore is
      // memalloc_flags_restore() (the model's cookie rules), and the generic API exists only there.
      const generic = kind === 'flags' || this.model.scopeCall(fact.v.opener)?.kind === 'flags';
      if (fact.v.kind !== kind && !generic) {
        record({ kind: 'kind-mismatch', save: { kind: fact.v.kind, rng: fact.v.rng, opener: fact.v.opener } });
      } else {
        const innermost = open[open.length - 1];
        if (innermost && innermost.v.id !== id && innermost.must && fact.must) {
          record({ kind: 'not-innermost', save: { kind: fact.v.kind, rng: fact.v.rng, opener: fact.v.opener }, innermost: { kind: innermost.v.kind, rng: innermost.v.rng, opener: innermost.v.opener } });
        }
      }
      // A mismatched restore still closes the scope its cookie came from (one defect, one finding).
      s.scopes.delete(id);
      const consumed = s.consumed.get(cookie) ?? new Set<number>();
      consumed.add(id);
      s.consumed.set(cookie, consumed);
      if (this.recording && region && !region.restores.some((r) => r.index === index)) region.restores.push({ index, rng: c.r });
    }
  }

  private acquire(c: CallFact, s: State, _index: number): void {
    const spec = this.model.lockCall(c.callee);
    if (!spec) return;
    const lock = spec.lockArg === null || spec.lockArg === undefined ? '' : lockKey(c.args[spec.lockArg]);
    const key = `${spec.class}:${lock}:${c.r[0]}:${c.r[1]}`;
    s.held.set(key, { v: { key, cls: spec.class, what: c.callee, lock, atomic: spec.atomic, reason: spec.reason, rng: c.r }, must: true });
  }

  private release(c: CallFact, s: State): void {
    const spec = this.model.lockCall(c.callee);
    if (!spec) return;
    const lock = spec.lockArg === null || spec.lockArg === undefined ? '' : lockKey(c.args[spec.lockArg]);
    const held = [...s.held.values()].filter((h) => h.v.guardId === undefined);
    // Lock classes pair by family (`spin_lock` … `spin_unlock_irqrestore` through a wrapper).
    const same = held.filter((h) => h.v.cls === spec.class);
    const kin = same.length ? same : held.filter((h) => lockClassFamily(h.v.cls) === lockClassFamily(spec.class));
    const exact = kin.filter((h) => h.v.lock === lock);
    // Release the matching acquisitions (all paths' versions); fall back to the newest of the class.
    const victims = exact.length ? exact : kin.slice(-1);
    // An irqrestore also ends a local_irq_save() taken together with the lock.
    if (restoresIrqs(spec.class)) victims.push(...held.filter((h) => (h.v.cls === 'irqsave' || h.v.cls === 'irq') && !victims.includes(h)).slice(-1));
    for (const v of victims) s.held.delete(v.v.key);
    if (!victims.length && this.recording) {
      if (spec.atomic) this.releasesCallersLock = true;
      const root = spec.lockArg === null || spec.lockArg === undefined ? undefined : rootName(c.args[spec.lockArg] ?? { k: 'other', text: '' });
      // A lock reached through a local (`sbi = hpfs_sb(sb)`) is keyed by the first argument.
      const param = (root !== undefined ? this.paramIndex.get(root) : undefined) ?? (this.facts.params.some((p) => p.name) ? 0 : undefined);
      if (!this.releasedUnheld.some((r) => r.cls === spec.class && r.param === param)) this.releasedUnheld.push(param === undefined ? { cls: spec.class } : { cls: spec.class, param });
    }
  }

  /**
   * `h = provider(…)` for a provider that opens its scope on success only (ScopeProvider
   * onSuccess): the scope the call just opened, with the branch literals under which `h` is a
   * success (`h` non-NULL, `!IS_ERR(h)`), so that the test a caller makes turns it into a must.
   */
  private successTest(op: Op & { op: 'assign' }, opIndex: number, s: State): { id: number; v: ScopeFact; cond: string[] } | undefined {
    if (op.aop !== '=' || op.r.k !== 'call') return undefined;
    const prev = this.ops[opIndex - 1];
    if (prev?.op !== 'call' || this.calls[prev.call].callee !== op.r.fn) return undefined;
    const start = this.model.providerStart(op.r.fn);
    if (!start?.onSuccess?.length || start.someExits || start.handleParam !== 'return') return undefined;
    const t = s.scopes.get(prev.call);
    if (!t || t.must) return undefined;
    const cond = start.onSuccess.map((f) => (f === 'null' ? condLiteral(op.l) : negate(condLiteral({ k: 'call', fn: 'IS_ERR', args: [op.l] }) ?? '')));
    if (cond.some((c) => !c)) return undefined;
    return { id: prev.call, v: t.v, cond: [...new Set(cond as string[])].sort() };
  }

  private assign(op: Op & { op: 'assign' }, s: State, opIndex: number): void {
    const l = op.l;
    const lk = exprKey(l);
    // Cookie variables are tracked by the save; a copy carries them, any other write replaces them.
    const rhsCookie = op.r.k === 'id' && [...s.cookies.values()].some((t) => t.v.cookie === (op.r as { name: string }).name);
    if (!(op.r.k === 'call' && this.model.scopeCall(op.r.fn)?.op === 'save') && (rhsCookie || this.restoreArgs.has(lk) || cookieEntries(s, lk).length)) {
      const src = op.r.k === 'id' ? [...s.cookies.values()].filter((t) => t.v.cookie === (op.r as { name: string }).name) : [];
      clearCookie(s, lk);
      s.consumed.delete(lk);
      if (src.length) {
        for (const e of src) s.cookies.set(`${lk}#${e.v.id}`, { ...e, v: { cookie: lk, id: e.v.id } });
        if (l.k !== 'id') this.cookieCopied(op.r.k === 'id' ? op.r.name : '', l);
      } else if (op.r.k !== 'num') {
        // Loaded from a field, a parameter or a helper's result: a hand-off cookie.
        setCookie(s, lk, 'foreign');
        const from = rootName(op.r);
        if (from !== undefined && this.paramIndex.has(from)) s.cookies.set(`${lk}#foreign`, { v: { cookie: lk, id: 'foreign', fromParam: this.paramIndex.get(from)! }, must: true });
      }
    }
    const root = rootName(l);
    const successOf = this.successTest(op, opIndex, s);
    // `x = !x` flips what is known about x instead of forgetting it (net/core/dev.c
    // __netif_receive_skb_list() toggles pfmemalloc between its save and its restore).
    if (l.k === 'id' && op.aop === '=' && op.r.k === 'un' && op.r.op === '!' && op.r.e.k === 'id' && op.r.e.name === l.name) flipLiteral(s, l.name);
    else if (root) invalidateLiterals(s, root);
    if (successOf) s.scopes.set(successOf.id, { v: successOf.v, must: false, cond: successOf.cond });
    // A flag set to a constant is a branch literal too: `suspend = true; save(); … if (suspend)
    // restore();` pairs up (drivers/md/md.c md_start_sync()).
    if (l.k === 'id' && op.aop === '=') {
      const v = op.r.k === 'num' ? op.r.value : op.r.k === 'id' && (op.r.name === 'true' || op.r.name === 'false') ? (op.r.name === 'true' ? 1 : 0) : null;
      if (v !== null && v !== undefined) s.assume.add(v ? l.name : negate(l.name));
    }
    // A transaction handle stored through an out-parameter (`*tpp = tp`, xfs_trans_alloc())
    // hands its scope to the caller.
    if (op.r.k === 'id' && root !== undefined && this.paramIndex.has(root) && l.k !== 'id') {
      const from = op.r.name;
      for (const [k, t] of s.scopes) if (t.v.origin === 'provider' && t.v.cookie === from) s.scopes.set(k, { ...t, v: { ...t.v, cookie: exprKey(l) } });
    }
    if (isTaskFlags(l)) this.taskFlags(op, s, opIndex);
    if (l.k === 'id' && this.gfpNames.has(l.name)) {
      const rhs: Expr = op.aop === '=' ? op.r : { k: 'bin', op: op.aop.slice(0, -1), l, r: op.r };
      s.gfp.set(l.name, evalGfp(rhs, this.gfpEnv(s)));
      return;
    }
    if (op.r.k === 'call' && (l.k === 'id' || l.k === 'field')) {
      const spec = this.model.allocator(op.r.fn);
      if (spec?.returnsPointer) {
        // The last call op with this callee is the allocation (linkResults paired them).
        const idx = this.lastCallIndexFor(op.r.fn, op.rng);
        if (idx >= 0) s.ptr.set(lk, new Set([idx]));
        return;
      }
    }
    if (op.r.k === 'id' && s.ptr.has(op.r.name)) {
      s.ptr.set(lk, new Set(s.ptr.get(op.r.name)));
      return;
    }
    if (s.ptr.has(lk)) s.ptr.delete(lk);
  }

  /** A cookie copied to a field (`tp->t_pflags = nofs`) hands the scope to someone else. */
  private cookieCopied(from: string, to: Expr): void {
    if (!this.recording || to.k === 'id') return;
    for (const r of this.regions.values()) if (r.cookie === from) r.cookieStore = 'field';
  }

  /**
   * The last call of `fn` that starts inside `at`. Indexed by callee and start position, since the
   * fixpoint asks this at every visit of every allocation assignment (a plain scan of every call
   * is quadratic in a function with thousands of allocations).
   */
  private lastCallIndexFor(fn: string, at: Rng): number {
    if (!this.callsByCallee) {
      const by = new Map<string, { pos: number; i: number }[]>();
      this.calls.forEach((c, i) => {
        const list = by.get(c.callee);
        if (list) list.push({ pos: position(c.r[0], c.r[1]), i });
        else by.set(c.callee, [{ pos: position(c.r[0], c.r[1]), i }]);
      });
      for (const list of by.values()) list.sort((a, b) => a.pos - b.pos || a.i - b.i);
      this.callsByCallee = by;
    }
    const list = this.callsByCallee.get(fn);
    if (!list) return -1;
    const from = position(at[0], at[1]);
    const to = position(at[2], at[3]);
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (list[mid].pos < from) lo = mid + 1;
      else hi = mid;
    }
    let best = -1;
    for (let k = lo; k < list.length && list[k].pos <= to; k++) if (list[k].i > best) best = list[k].i;
    return best;
  }

  private taskFlags(op: Op & { op: 'assign' }, s: State, opIndex: number): void {
    const names = [...identifiersOf(op.r)].filter(isMemallocTaskFlag);
    const how: OpenCodedScope['how'] = op.aop === '|=' ? 'set' : op.aop === '&=' ? 'clear' : 'assign';
    if (names.length && this.recording) this.openCoded.push({ rng: op.rng, text: `${exprKey(op.l)} ${op.aop} ${exprKey(op.r)}`, flags: names, how });
    const id = -1 - opIndex;
    if (how === 'set') {
      for (const n of names) {
        const kind = this.model.pfMemallocFlagKind(n);
        if (kind) s.scopes.set(id - 100000 * names.indexOf(n), { v: { id, kind, opener: exprKey(op.l), rng: op.rng, cookie: '', origin: 'open-coded' }, must: true });
      }
    } else {
      for (const [k, f] of s.scopes) if (f.v.origin === 'open-coded') s.scopes.delete(k);
    }
  }

  private recordLeaks(inStates: (State | undefined)[]): void {
    const exits: { state: State; rng: Rng; what: 'return' | 'end of function'; value?: Expr }[] = [];
    this.ops.forEach((op, i) => {
      const s = inStates[i];
      if (!s) return;
      if (op.op === 'ret') exits.push({ state: s, rng: op.rng, what: 'return', value: op.value });
    });
    const end = inStates[this.ops.length - 1];
    const last = this.ops[this.ops.length - 1];
    if (end && last && last.op !== 'ret') exits.push({ state: end, rng: this.facts.r.slice() as Rng, what: 'end of function' });
    // Locks taken here and held (must) at every exit: the function is a lock wrapper.
    let held: Map<string, HeldFact> | undefined;
    for (const ex of exits) {
      const here = new Map<string, HeldFact>();
      for (const t of ex.state.held.values()) if (t.must && t.v.guardId === undefined) here.set(`${t.v.cls}:${t.v.lock}`, t.v);
      held = held ? new Map([...held].filter(([k]) => here.has(k))) : here;
    }
    for (const h of held?.values() ?? []) {
      const root = /^[A-Za-z_]\w*/.exec(h.lock)?.[0];
      const param = (root !== undefined ? this.paramIndex.get(root) : undefined) ?? (this.facts.params.some((p) => p.name) ? 0 : undefined);
      this.exitHeld.push(param === undefined ? { cls: h.cls, atomic: h.atomic, reason: h.reason } : { cls: h.cls, atomic: h.atomic, reason: h.reason, param });
    }
    for (const ex of exits) {
      const returned = ex.value ? exprKey(ex.value) : undefined;
      for (const f of ex.state.scopes.values()) this.noteExitScope(f.v, returned);
      for (const f of ex.state.scopes.values()) {
        if (f.v.origin !== 'memalloc') continue;
        const region = this.regions.get(f.v.id);
        if (!region || region.cookieStore !== 'local') continue;
        if (returned && returned === region.cookie) {
          region.cookieStore = 'returned';
          continue;
        }
        const rng: Rng = ex.what === 'end of function' ? [this.facts.r[2], Math.max(0, this.facts.r[3] - 1), this.facts.r[2], this.facts.r[3]] : ex.rng;
        if (!region.leaks.some((x) => x.rng[0] === rng[0] && x.rng[1] === rng[1])) region.leaks.push({ rng, what: ex.what });
      }
    }
    // A provider whose scope of that kind is not surely open at some exit that is not an error
    // return (ocfs2_zero_start_ordered_transaction() returns NULL without a transaction when data
    // is not ordered) opens it on some paths only. Which start call opened it may differ per exit
    // (ocfs2_start_trans() returns the nested jbd2_journal_start() early).
    const escaping = new Set(this.exitScopes.map((e) => e.rng));
    for (const ex of exits) {
      const failure = failureReturn(ex.value);
      if (isErrorReturn(ex.value)) {
        // `return NULL;` / `return ERR_PTR(…);` with the scope not (surely) open yet: the
        // provider opens it on success only, and its callers can tell the two apart.
        for (const e of this.exitScopes) {
          if (!e.returned || [...ex.state.scopes.values()].some((f) => f.must && f.v.kind === e.kind && escaping.has(f.v.rng))) continue;
          if (!failure) e.someExits = true;
          else if (!e.failsWith?.includes(failure)) e.failsWith = [...(e.failsWith ?? []), failure].sort();
        }
        continue;
      }
      for (const e of this.exitScopes) {
        if (![...ex.state.scopes.values()].some((f) => f.must && f.v.kind === e.kind && escaping.has(f.v.rng))) e.someExits = true;
      }
    }
    // Calls made while each scope is open on some path: the region's contents. (Indexed: with
    // thousands of scopes, a scan of every region for every scope of every call is cubic.)
    const regionsAt = new Map<Rng, ScopeRegion[]>();
    for (const r of this.regions.values()) {
      const list = regionsAt.get(r.saveRng);
      if (list) list.push(r);
      else regionsAt.set(r.saveRng, [r]);
    }
    const inner = new Map<ScopeRegion, Set<number>>();
    for (const cs of this.callSites) {
      for (const sc of cs.ctx.mayScopes) {
        for (const r of regionsAt.get(sc.rng) ?? []) {
          let seen = inner.get(r);
          if (!seen) inner.set(r, (seen = new Set(r.innerCalls)));
          if (!r.restores.some((x) => x.index === cs.index) && !seen.has(cs.index)) {
            r.innerCalls.push(cs.index);
            seen.add(cs.index);
          }
        }
      }
    }
    for (const r of this.regions.values()) if (r.cookieStore !== 'local') r.leaks = [];
  }

  /** A scope open at an exit whose cookie or handle leaves through a parameter or the result. */
  private noteExitScope(f: ScopeFact, returned: string | undefined): void {
    if (f.origin === 'open-coded' || f.id < 0) return;
    let param: number | undefined;
    let isReturned = false;
    if (f.origin === 'memalloc') {
      const region = this.regions.get(f.id);
      if (!region) return;
      if (region.cookieStore === 'returned' || (returned !== undefined && returned === region.cookie)) isReturned = true;
      else if (region.cookieStore === 'field') {
        const root = /^[A-Za-z_]\w*/.exec(region.cookie)?.[0];
        if (root !== undefined && this.paramIndex.has(root)) param = this.paramIndex.get(root);
        // `tr->nofs_cookie = memalloc_nofs_save(); return tr;`: the handle is the result.
        else if (root !== undefined && returned === root) isReturned = true;
      }
    } else {
      const root = /[A-Za-z_]\w*/.exec(f.cookie)?.[0];
      if (f.cookie === '<return>' || (returned !== undefined && (returned === f.cookie || returned === root))) isReturned = true;
      else if (root !== undefined && this.paramIndex.has(root)) param = this.paramIndex.get(root);
    }
    if (param === undefined && !isReturned) return;
    if (this.exitScopes.some((e) => e.rng === f.rng)) return;
    this.exitScopes.push({ kind: f.kind, opener: f.opener, rng: f.rng, param, returned: isReturned });
  }

  private view(): FunctionView {
    const gfpParams = this.facts.params.map((p, index) => ({ index, name: p.name })).filter((p) => p.name && this.gfpNames.has(p.name));
    if (!this.precise) {
      for (const c of this.callSites) c.ctx.precise = false;
      for (const a of this.allocs) a.ctx.precise = false;
    }
    return {
      file: this.file,
      name: this.facts.name,
      facts: this.facts,
      calls: this.callSites,
      allocations: this.allocs,
      frees: this.frees,
      scopes: [...this.regions.values()].sort((a, b) => a.saveIndex - b.saveIndex),
      scopeIssues: this.issues,
      openCoded: this.openCoded,
      gfpParams,
      unresolved: [...this.unresolved].sort(),
      precise: this.precise,
      exitScopes: this.exitScopes,
      exitHeld: this.exitHeld,
      releasedUnheld: this.releasedUnheld,
      handOffRestores: this.handOffRestores,
      releasesCallersLock: this.releasesCallersLock,
    };
  }
}

function flipLiteral(s: State, name: string): void {
  const flip = (l: string) => (l === name ? negate(name) : l === negate(name) ? name : l);
  s.assume = new Set([...s.assume].map(flip));
  for (const m of [s.scopes, s.held, s.cookies] as Map<unknown, Tracked<unknown>>[]) {
    for (const [k, t] of m) if (t.cond?.some((l) => l === name || l === negate(name))) m.set(k, { ...t, cond: t.cond.map(flip).sort() });
  }
}

function cookieEntries(s: State, cookie: string): Tracked<CookieFact>[] {
  const out: Tracked<CookieFact>[] = [];
  for (const t of s.cookies.values()) if (t.v.cookie === cookie && t.v.id !== 'any') out.push(t);
  return out;
}

function clearCookie(s: State, cookie: string): void {
  for (const [k, t] of s.cookies) if (t.v.cookie === cookie) s.cookies.delete(k);
}

function setCookie(s: State, cookie: string, id: number | 'foreign'): void {
  clearCookie(s, cookie);
  s.consumed.delete(cookie);
  s.cookies.set(`${cookie}#${id}`, { v: { cookie, id }, must: true });
  s.cookies.set(`${cookie}#any`, { v: { cookie, id: 'any' }, must: true });
}

/** The operands of a chain of `op` (`a && b && c` → a, b, c); the expression itself otherwise. */
function conjuncts(e: Expr, op: '&&' | '||'): Expr[] {
  const out: Expr[] = [];
  const stack: Expr[] = [e];
  while (stack.length && out.length < 16) {
    const x = stack.pop()!;
    if (x.k === 'bin' && x.op === op) stack.push(x.r, x.l);
    else out.push(x);
  }
  return out;
}

function refine(s: State, lit: string): void {
  const neg = negate(lit);
  for (const m of [s.scopes, s.held, s.cookies] as Map<unknown, Tracked<unknown>>[]) {
    for (const [k, t] of m) {
      if (!t.cond) continue;
      if (t.cond.includes(neg)) m.delete(k);
      else if (t.cond.includes(lit)) {
        const cond = t.cond.filter((l) => l !== lit);
        m.set(k, cond.length ? { v: t.v, must: false, cond } : { v: t.v, must: true });
      }
    }
  }
  s.assume.delete(neg);
  s.assume.add(lit);
}

/** The mask with the scopes applied, as current_gfp_context() does (include/linux/sched/mm.h). */
export function effectiveGfp(v: GfpValue, kinds: ScopeKind[], model: Model): GfpValue {
  if (!kinds.length || v.kind === 'unknown') return v;
  if (v.kind === 'known') return { kind: 'known', masks: [...new Set(v.masks.map((m) => applyScopes(m, kinds, model.table)))].sort((a, b) => a - b) };
  const kept = applyScopes(0xffffffff >>> 0, kinds, model.table);
  const cleared = ~kept >>> 0;
  return { ...v, remove: (v.remove | cleared) >>> 0, add: (v.add & kept) >>> 0 };
}

/** A source position (0-based row and column) as one comparable number. */
function position(row: number, column: number): number {
  return row * 0x1000000 + column;
}

/** A binary min-heap of op indices: the fixpoint's worklist. */
class MinHeap {
  private a: number[] = [];
  get size(): number {
    return this.a.length;
  }
  push(x: number): void {
    const a = this.a;
    a.push(x);
    for (let i = a.length - 1; i > 0;) {
      const p = (i - 1) >> 1;
      if (a[p] <= a[i]) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      for (let i = 0; ;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l] < a[m]) m = l;
        if (r < a.length && a[r] < a[m]) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
}

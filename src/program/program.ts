/**
 * The whole-program stage: a call graph over every analysed function, summaries inferred bottom-up
 * (allocator wrappers, scope providers and closers, may-sleep), a re-analysis of the callers of
 * what was inferred, and calling contexts propagated top-down (scopes on every known call path,
 * locks, transactions, ops-table slots), each conclusion with a witness chain.
 */
import { analyzeFunction } from '../function/analyze.js';
import { opsOnEveryPath } from '../function/dominators.js';
import type { FunctionView, Witness } from '../function/view.js';
import type { AllocatorSpec } from '../model/allocators.js';
import type { Model } from '../model/context.js';
import { evalGfp, maySleep, mustAll, type GfpValue } from '../model/gfp.js';
import { looksLikeRelease, mayBeUnlockHelper, type LockCall } from '../model/locks.js';
import type { ScopeKind, ScopeProvider } from '../model/memalloc-scopes.js';
import { CALLBACK_ARGS, CALLBACK_SLOT_TYPE, TRANSACTION_HANDLE_TYPE } from '../model/ops-slots.js';
import { lockClass, TRANSACTION_BEGINS } from '../model/reclaim.js';
import { exprKey, identifiersOf, type Expr } from '../syntax/expr.js';
import { isNofsSite } from './verdicts.js';
import { workCallFacts, workqueueAllocFact, type WorkFacts } from '../model/workqueues.js';
import type { FileFacts, Rng } from '../syntax/facts.js';
import { buildGlobalView } from './global-view.js';
import type { ProgramView } from './program-view.js';

export interface Program {
  views: FunctionView[];
  view: ProgramView;
  /** What inference added to the model, for `gfplint facts` and --explain. */
  inferred: { wrappers: AllocatorSpec[]; providers: ScopeProvider[]; closers: ScopeProvider[]; lockWrappers: (LockCall & { name: string })[] };
}

/** Rounds of infer → re-analyse: each round lets inference climb one more call level. */
const MAX_ROUNDS = 6;

/**
 * What inference added to the model, shared by every shard of a run (a wrapper inferred in
 * include/ is known when drivers/ is analysed). Entries of static functions apply only in their
 * own file: two unrelated `static alloc_buf()` must not share a summary.
 */
export class Inferred {
  readonly wrappers = new Map<string, AllocatorSpec>();
  readonly providers = new Map<string, ScopeProvider>();
  readonly closers = new Map<string, ScopeProvider>();
  readonly lockWrappers = new Map<string, LockCall>();

  get size(): number {
    return this.wrappers.size + this.providers.size + this.closers.size + this.lockWrappers.size;
  }

  names(): Set<string> {
    const out = new Set<string>();
    for (const m of [this.wrappers, this.providers, this.closers, this.lockWrappers]) for (const k of m.keys()) out.add(k.slice(k.indexOf('\0') + 1));
    return out;
  }

  /** The file that defines the function of each entry (by key). */
  readonly origin = new Map<string, string>();

  /**
   * Adds what another run inferred (entries already known here win), only those whose defining
   * file `keep` accepts: a run re-infers what its own files show, so that its result does not
   * depend on whether an earlier run left a store.
   */
  absorb(other: Inferred, keep: (file: string) => boolean = () => true): void {
    for (const k of ['wrappers', 'providers', 'closers', 'lockWrappers'] as const) {
      const mine = this[k] as Map<string, unknown>;
      for (const [n, v] of other[k] as Map<string, unknown>) {
        const from = other.origin.get(n);
        if (mine.has(n) || (from !== undefined && !keep(from))) continue;
        mine.set(n, v);
        if (from !== undefined) this.origin.set(n, from);
      }
    }
  }

  /**
   * Allocators and scope providers a configuration declares (out-of-tree or private APIs): every
   * file knows them, as it knows a wrapper inferred in a header.
   */
  declare(extra: { allocators: readonly AllocatorSpec[]; scopeProviders: readonly ScopeProvider[] }): void {
    for (const a of extra.allocators) this.wrappers.set(`\0${a.name}`, a);
    for (const p of extra.scopeProviders) {
      this.providers.set(`\0${p.start}`, p);
      for (const stop of [p.stop, ...(p.altStops ?? [])]) if (stop) this.closers.set(`\0${stop}`, p);
    }
  }

  /** The model as a function in `file` sees it. */
  modelFor(base: Model, file: string): Model {
    const get = <T>(m: Map<string, T>, name: string) => m.get(`${file}\0${name}`) ?? m.get(`\0${name}`);
    return {
      ...base,
      lockCall: (name) => base.lockCall(name) ?? get(this.lockWrappers, name),
      allocator: (name) => base.allocator(name) ?? get(this.wrappers, name),
      providerStart: (name) => base.providerStart(name) ?? get(this.providers, name),
      providerStop: (name) => base.providerStop(name) ?? get(this.closers, name),
    };
  }

  listed(): Program['inferred'] {
    return {
      wrappers: [...this.wrappers.values()], providers: [...this.providers.values()], closers: [...this.closers.values()],
      lockWrappers: [...this.lockWrappers].map(([k, l]) => ({ name: k.slice(k.indexOf('\0') + 1), ...l })),
    };
  }
}

/** The key an inferred entry is stored under: static functions are private to their file. */
function inferredKey(v: FunctionView): string {
  return v.facts.isStatic && !v.file.endsWith('.h') ? `${v.file}\0${v.name}` : `\0${v.name}`;
}

/**
 * Inference rounds over one shard's views, adding to `inferred`, with re-analysis of the
 * functions that call something newly understood. Returns the final views.
 */
export function inferShard(views: FunctionView[], model: Model, inferred: Inferred, analysedWithInferred = false): FunctionView[] {
  let current = views;
  const perFile = new Map<string, Model>();
  const modelOf = (file: string) => {
    let m = perFile.get(file);
    if (!m) perFile.set(file, (m = inferred.modelFor(model, file)));
    return m;
  };
  const reanalyse = (names: Set<string>) => {
    if (names.size) current = current.map((v) => (v.facts.calls.some((c) => !c.indirect && names.has(c.callee)) ? analyzeFunction(v.facts, v.file, modelOf(v.file)) : v));
  };
  // Views analysed with the base model may call what was inferred before (stored summaries).
  if (!analysedWithInferred) reanalyse(inferred.names());
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const added = inferSummaries(current, model, inferred);
    if (!added.size) break;
    reanalyse(added);
  }
  return current;
}

/**
 * The whole-program stage for one set of files analysed together (a fixture, `gfplint facts`, a
 * small scan): inference, summaries, contexts.
 */
export function buildProgram(
  files: { path: string; facts: FileFacts }[], views: FunctionView[], model: Model,
  rest?: { files: FileSummaryRecord[]; inferred: Inferred },
): Program {
  const inferred = new Inferred();
  if (rest) inferred.absorb(rest.inferred, (file) => !files.some((f) => f.path === file));
  const current = inferShard(views, model, inferred);
  const summaries = summarizeFiles(files, current, inferred.modelFor.bind(inferred, model));
  const scanned = new Set(files.map((f) => f.path));
  const view = buildGlobalView([...summaries, ...(rest?.files ?? []).filter((f) => !scanned.has(f.path))], inferred, { everyFunction: true, focus: rest ? scanned : undefined });
  return { views: current, view, inferred: inferred.listed() };
}

/**
 * One inference pass over the current views: functions that allocate with their own gfp_t
 * parameter (allocator wrappers), return with a scope open whose cookie or handle leaves through
 * a parameter or the result (providers), or restore one that came in through a parameter (closers).
 */
function inferSummaries(views: FunctionView[], base: Model, inferred: Inferred): Set<string> {
  const { wrappers, providers, closers, lockWrappers } = inferred;
  const added = new Set<string>();
  for (const v of views) {
    const name = v.name;
    const k = inferredKey(v);
    const add = <T>(m: Map<string, T>, value: T) => {
      m.set(k, value);
      inferred.origin.set(k, v.file);
      added.add(name);
    };
    if (base.allocator(name) || base.scopeCall(name) || base.lockCall(name) || base.free(name)) continue;
    // Lock wrappers: `hpfs_lock(sb)` returns holding a mutex, `hpfs_unlock(sb)` drops it.
    // Only one level, from the lock API itself, and a function that takes a lock of the class it
    // releases is no unlock wrapper (clk_core_disable_lock() in drivers/clk/clk.c pairs
    // clk_enable_lock() with clk_enable_unlock(flags): the lock expressions differ, the section
    // is balanced). Without these limits one wrong guess climbs through every caller of clk_disable().
    const direct = (op: 'acquire' | 'release', cls: string) =>
      v.facts.calls.some((c) => { const l = base.lockCall(c.callee); return l?.class === cls && (l.op === op || (op === 'acquire' && l.op === 'tryacquire')); });
    if (!lockWrappers.has(k) && v.precise) {
      // …and one that hands its lock to an unlock helper the analysis may not know yet (another
      // shard: wbc_attach_fdatawrite_inode() → wbc_attach_and_unlock_inode(), include/linux/writeback.h
      // in 6.1) returns without it.
      const handsOff = v.facts.calls.some((c) => mayBeUnlockHelper(c.callee) && !base.lockCall(c.callee));
      const acq = handsOff ? undefined : v.exitHeld.find((h) => direct('acquire', h.cls));
      const rel = v.releasedUnheld.find((r) => direct('release', r.cls) && !direct('acquire', r.cls));
      if (acq && !v.releasedUnheld.length) add(lockWrappers, { op: 'acquire', atomic: acq.atomic, reason: acq.reason, class: acq.cls, lockArg: acq.param ?? null });
      else if (rel && !v.exitHeld.length) add(lockWrappers, { op: 'release', atomic: false, reason: '', class: rel.cls, lockArg: rel.param ?? null });
    }
    if (!wrappers.has(k) && v.gfpParams.length) {
      const site = v.allocations.find((a) => a.gfp.kind === 'param' && !a.gfpImplied && v.gfpParams.some((p) => p.index === (a.gfp as { param: number }).param));
      if (site && site.gfp.kind === 'param') {
        // The allocation is conditional when its call is, or when the callee's own is.
        const callOp = v.facts.ops.findIndex((op) => op.op === 'call' && op.call === site.index);
        const someOnly = site.spec.onlySomePaths ?? (callOp >= 0 && !opsOnEveryPath(v.facts).has(callOp) ? `'${site.callee}()' runs only under a condition in '${name}()'` : undefined);
        add(wrappers, {
          name, family: 'other', gfpArg: site.gfp.param, sleeps: 'if-blocking', frees: [], returnsPointer: false,
          note: `inferred: '${name}()' passes its parameter '${site.gfp.name}' to '${site.callee}()' (${v.file}:${site.rng[0] + 1})`,
          ...(someOnly ? { onlySomePaths: someOnly } : {}),
        });
      }
    }
    // Providers and closers are inferred even when the model lists them: the inference is the
    // evidence, and the model's list only keeps a one-file scan knowing them.
    if (!providers.has(k)) {
      // A journal restart (jbd2__journal_restart(), fs/jbd2/transaction.c) ends and re-begins the
      // handle its caller passed in: the caller's transaction, not a new scope for the caller's caller.
      const open = v.exitScopes.find((e) => (e.kind === 'nofs' || e.kind === 'noio') && !/_restart$/.test(e.opener));
      if (open) {
        // One that fails with NULL or an ERR_PTR before opening it opens it on success only.
        const onSuccess = !open.someExits && open.returned && open.failsWith?.length ? open.failsWith : undefined;
        const where = open.someExits ? ' on some paths' : onSuccess ? ` when it returns a handle (it returns ${onSuccess.map((f) => (f === 'null' ? 'NULL' : 'an ERR_PTR')).join(' or ')} before opening it)` : '';
        add(providers, {
          start: name, kind: open.kind, handleParam: open.returned ? 'return' : open.param, ...(open.someExits ? { someExits: true } : {}),
          ...(onSuccess ? { onSuccess } : {}),
          note: `inferred: returns with the ${open.kind} scope of '${open.opener}()' open${where} (${v.file}:${open.rng[0] + 1})`,
          inferred: { file: v.file, line: open.rng[0] + 1, function: name },
        });
      }
    }
    if (!closers.has(k)) {
      const h = v.handOffRestores.find((r) => r.kind === 'nofs' || r.kind === 'noio');
      if (h) {
        add(closers, {
          start: '', stop: name, kind: h.kind, handleParam: h.param,
          note: `inferred: restores the scope whose cookie comes in through parameter ${h.param + 1} (${v.file})`,
          inferred: { file: v.file, line: v.facts.calls[h.index].r[0] + 1, function: name },
        });
      }
    }
  }
  return added;
}

/** One direct call as the whole-program stage needs it: where, in which context, how surely. */
export interface SiteSummary {
  callee: string;
  /** Index into the function's calls. */
  index: number;
  /** Where the call starts (0-based), for witnesses; no range array per call, as there are millions. */
  line: number;
  col: number;
  precise: boolean;
  /** Executed on every path through the function. */
  always: boolean;
  /** Scopes active on every path to the call (those a provider opens only under a condition excluded). */
  scopes?: { kind: ScopeKind; opener: string; rng: Rng }[];
  /** A scope active on some path. */
  mayScope?: { kind: ScopeKind; opener: string };
  /** A lock held on some path. */
  held?: { what: string; lock: string };
  /** An atomic section on some path, by its reason. */
  atomic?: string;
  /** Sleeping locks held on some path to the call, by class (src/model/reclaim.ts lockClassOf()), with the call that took each. */
  locks?: { cls: string; what: string; lock: string }[];
  /** Arguments passed as a NULL literal (a handle parameter of the callee is then not live). */
  nullArgs?: number[];
}

/** What the whole-program stage keeps of a function: small enough for every function of a tree. */
export interface FnSummaryRecord {
  file: string;
  name: string;
  nameRng: Rng;
  isStatic: boolean;
  precise: boolean;
  /** Releases a lock (maybe its caller's, around the allocation): ends may-sleep chains. */
  releasesLocks: boolean;
  /** A transaction or journal handle it holds: `'tp' (struct xfs_trans *)`. */
  transaction?: string;
  /** A blocking allocation on every path outside any atomic section of its own. */
  sleeps?: Witness;
  /** It has allocation sites: rules ask for its calling contexts. */
  allocates: boolean;
  /** It has GFP_NOFS/GFP_NOIO sites: the verdicts ask what its callers hold (src/program/verdicts.ts). */
  nofs?: boolean;
  /** Sleeping locks it takes itself (no trylocks), by class: what a reclaim entry reaching it waits for. */
  takes?: { cls: string; line: number; what: string }[];
  /** A transaction begin it calls (src/model/reclaim.ts TRANSACTION_BEGINS), with its line; `scope` when the begin is a scope provider too. */
  begins?: { what: string; line: number; scope: boolean };
  calls: SiteSummary[];
  /** It writes PF_MEMALLOC* task flags by hand: scope-open-coded asks for its callers. */
  writesTaskFlags?: true;
  /** Indexes of its `gfp_t` parameters; absent when none. */
  gfpParams?: number[];
  /** It also allocates with a constant mask: gfp-param-ignored asks what its callers pass. */
  constantMask?: true;
  /** Calls that hand a gfp mask to a function that is not the model's own API; absent when none. */
  gfpPasses?: GfpPassSummary[];
}

/**
 * A call that passes a gfp mask on (`foo_start(dev, GFP_NOIO)`, `ops->alloc(dev, size, gfp)`):
 * what callers really ask of a function that takes the caller's mask (gfp-param-ignored). Calls
 * to inferred allocator wrappers are kept here although they are no edges of the call graph.
 */
export interface GfpPassSummary {
  /** The callee, or the ops-table field of an indirect call. */
  callee: string;
  indirect?: true;
  arg: number;
  line: number;
  col: number;
  /** The argument as written, on one line. */
  text: string;
  /** Its possible masks, when every bit is known. */
  masks?: number[];
  /** The caller's own gfp parameter it passes on, as `(P & ~remove) | add`. */
  param?: { index: number; add: number; remove: number };
}

export interface FileSummaryRecord {
  path: string;
  exported: string[];
  addressTaken: { name: string; structType?: string; slot?: string }[];
  /** Function names used as values inside bodies (callback arguments, stored pointers). */
  valueUses: string[];
  /** Work registrations, queue sites and workqueue allocations (src/model/workqueues.ts); absent when none. */
  work?: WorkFacts;
  functions: FnSummaryRecord[];
}

function witnessOf(file: string, rng: Rng, note: string): Witness {
  return { file, rng, note };
}

/** Summaries of analysed files, for buildGlobalView(); `modelFor` is the model a file's functions were analysed with. */
export function summarizeFiles(files: { path: string; facts: FileFacts }[], views: FunctionView[], modelFor: (file: string) => Model): FileSummaryRecord[] {
  const byFile = new Map<string, FunctionView[]>();
  for (const v of views) {
    const list = byFile.get(v.file);
    if (list) list.push(v);
    else byFile.set(v.file, [v]);
  }
  return files.map((f) => {
    const fviews = byFile.get(f.path) ?? [];
    const model = modelFor(f.path);
    const valueUses = new Set<string>();
    const callbacks: FileSummaryRecord['addressTaken'] = [];
    const work: WorkFacts = { inits: [], queues: [], allocs: [] };
    for (const v of fviews) {
      for (const c of v.facts.calls) {
        // A work function handed to INIT_WORK() is called by the workqueue, whose context the
        // program stage works out from the queues: not an unknown caller.
        let { registered } = c.indirect ? {} : workCallFacts(c, work);
        // A callback handed to an API whose calling context the model knows (fill_super).
        const cb = !c.indirect && Object.hasOwn(CALLBACK_ARGS, c.callee) ? c.args[CALLBACK_ARGS[c.callee].arg] : undefined;
        if (cb?.k === 'id') {
          callbacks.push({ name: cb.name, structType: CALLBACK_SLOT_TYPE, slot: c.callee });
          registered = cb.name;
        }
        for (const a of c.args) valueName(a, valueUses, registered);
      }
      for (const op of v.facts.ops) {
        if (op.op !== 'assign') continue;
        valueName(op.r, valueUses);
        workqueueAllocFact(op.l, op.r, work);
      }
    }
    const hasWork = work.inits.length > 0 || work.queues.length > 0 || work.allocs.length > 0;
    return {
      path: f.path,
      exported: f.facts.exported,
      addressTaken: [...f.facts.addressTaken.map((a) => ({ name: a.name, structType: a.structType, slot: a.slot })), ...callbacks],
      valueUses: [...valueUses],
      ...(hasWork ? { work } : {}),
      functions: fviews.map((v) => summarizeFunction(v, model)),
    };
  });
}

/** Callees that are the model's own APIs never lead to a summarised function worth following. */
function isModelApi(model: Model, name: string): boolean {
  return !!(model.allocator(name) || model.lockCall(name) || model.scopeCall(name) || model.free(name));
}

function summarizeFunction(v: FunctionView, model: Model): FnSummaryRecord {
  let everyPath: Set<number> | undefined;
  const always = (callIndex: number) => {
    if (!everyPath) {
      const ops = opsOnEveryPath(v.facts);
      everyPath = new Set<number>();
      v.facts.ops.forEach((op, i) => { if (op.op === 'call' && ops.has(i)) everyPath!.add(op.call); });
    }
    return everyPath.has(callIndex);
  };
  const locals = new Set([...v.facts.params, ...v.facts.locals].map((p) => p.name));
  const isLocal = (n: string) => locals.has(n);
  const calls: SiteSummary[] = [];
  for (const site of v.calls) {
    if (site.call.indirect || isModelApi(model, site.call.callee)) continue;
    const r = site.call.r;
    const s: SiteSummary = { callee: site.call.callee, index: site.index, line: r[0], col: r[1], precise: site.ctx.precise, always: always(site.index) };
    const must = site.ctx.scopes.filter((x) => !x.onlyWhen && (x.handleParam === undefined || x.handleLive));
    if (must.length) s.scopes = must.map((x) => ({ kind: x.kind, opener: x.opener, rng: x.rng }));
    const ms = site.ctx.mayScopes[0];
    if (ms) s.mayScope = { kind: ms.kind, opener: ms.opener };
    const h = site.ctx.mayHeld[0];
    if (h) s.held = { what: h.what, lock: h.lock };
    const at = site.ctx.mayHeld.find((x) => x.atomic);
    if (at) s.atomic = at.reason;
    // Locks held inside a NOFS/NOIO scope are no reclaim hazard on that path (rule 2 before rule 5).
    const sleeping = must.some((x) => x.kind === 'nofs' || x.kind === 'noio') ? [] : site.ctx.mayHeld.filter((x) => !x.atomic && x.lock);
    if (sleeping.length) s.locks = sleeping.map((x) => ({ cls: lockClass(x.lock, x.what, isLocal), what: x.what, lock: x.lock }));
    const nulls = site.call.args.flatMap((a, i) => ((a.k === 'id' && a.name === 'NULL') || (a.k === 'num' && a.value === 0) ? [i] : []));
    if (nulls.length) s.nullArgs = nulls;
    calls.push(s);
  }
  const out: FnSummaryRecord = {
    file: v.file, name: v.name, nameRng: v.facts.nameRng, isStatic: v.facts.isStatic, precise: v.precise,
    allocates: v.allocations.length > 0,
    releasesLocks: v.releasesCallersLock || v.facts.calls.some((c) => looksLikeRelease(c.callee)),
    calls,
  };
  if (v.openCoded.length) out.writesTaskFlags = true;
  if (v.gfpParams.length) out.gfpParams = v.gfpParams.map((p) => p.index);
  if (v.gfpParams.length && v.allocations.some((a) => a.gfp.kind === 'known')) out.constantMask = true;
  const passes = gfpPasses(v, model);
  if (passes.length) out.gfpPasses = passes;
  const takes: NonNullable<FnSummaryRecord['takes']> = [];
  for (const c of v.facts.calls) {
    const l = c.indirect ? undefined : model.lockCall(c.callee);
    if (!l || l.atomic || l.lockArg === null || l.op === 'release' || /trylock/.test(c.callee)) continue;
    const arg = c.args[l.lockArg];
    const cls = arg && lockClass(exprKey(arg), c.callee, isLocal);
    if (cls && !takes.some((t) => t.cls === cls)) takes.push({ cls, line: c.r[0], what: c.callee });
  }
  if (takes.length) out.takes = takes;
  const begin = v.facts.calls.find((c) => !c.indirect && TRANSACTION_BEGINS.has(c.callee));
  if (begin) out.begins = { what: begin.callee, line: begin.r[0], scope: model.providerStart(begin.callee) !== undefined };
  if (v.allocations.some((a) => isNofsSite(model, a))) out.nofs = true;
  const t = [...v.facts.params, ...v.facts.locals].find((p) => TRANSACTION_HANDLE_TYPE.test(p.type));
  if (t) out.transaction = `'${t.name}' (${t.type.trim()})`;
  const blocking = (g: GfpValue) => mustAll(g, (m) => maySleep(m, model.table));
  if (v.precise && !out.releasesLocks) {
    const a = v.allocations.find((x) => !x.ctx.mayHeld.some((h) => h.atomic) && x.spec.family !== 'other' &&
      (x.spec.sleeps === 'always' || (x.spec.sleeps !== 'never' && blocking(x.effective))) && always(x.index));
    if (a) out.sleeps = witnessOf(v.file, a.rng, `'${a.callee}()' with '${a.gfpText}' may sleep in '${v.name}()'`);
  }
  return out;
}

/**
 * The gfp masks a function hands to calls other than the model's own allocator, scope and lock
 * APIs (inferred wrappers included): a constant written at the call, or its own gfp parameter.
 */
function gfpPasses(v: FunctionView, model: Model): GfpPassSummary[] {
  const out: GfpPassSummary[] = [];
  const params = new Map(v.gfpParams.map((p) => [p.name, p.index]));
  const env = { table: model.table, paramIndex: (n: string) => params.get(n) };
  const gfpName = (n: string) => params.has(n) || model.table.masks.has(n) || model.table.bits.has(n);
  for (const c of v.facts.calls) {
    if (c.broken) continue;
    const spec = c.indirect ? undefined : model.allocator(c.callee);
    if (spec && !spec.note?.startsWith('inferred:')) continue;
    if (!c.indirect && (model.scopeCall(c.callee) || model.lockCall(c.callee) || model.free(c.callee))) continue;
    c.args.forEach((a, arg) => {
      const names = [...identifiersOf(a)];
      if (!names.length || !names.some(gfpName)) return;
      const g = evalGfp(a, env);
      const text = c.argText[arg].replace(/\s+/g, ' ').trim();
      const base = { callee: c.callee, ...(c.indirect ? { indirect: true as const } : {}), arg, line: c.argRng[arg][0], col: c.argRng[arg][1], text };
      if (g.kind === 'known' && g.masks.length) out.push({ ...base, masks: g.masks });
      else if (g.kind === 'param') out.push({ ...base, param: { index: g.param, add: g.add, remove: g.remove } });
    });
  }
  return out;
}

/** A function name used as a value (callback argument, stored pointer) has callers we cannot see. */
function valueName(e: Expr, out: Set<string>, except?: string): void {
  const x = e.k === 'un' && e.op === '&' ? e.e : e.k === 'cast' ? e.e : e;
  if (x.k === 'id' && x.name !== except) out.add(x.name);
}


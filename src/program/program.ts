/**
 * The whole-program stage: a call graph over every analysed function, summaries inferred bottom-up
 * (allocator wrappers, scope providers and closers, may-sleep), a re-analysis of the callers of
 * what was inferred, and calling contexts propagated top-down (scopes on every known call path,
 * locks, transactions, ops-table slots), each conclusion with a witness chain.
 */
import { analyzeFunction } from '../function/analyze.js';
import { opsOnEveryPath } from '../function/dominators.js';
import type { CallSite, FunctionView, Witness } from '../function/view.js';
import type { AllocatorSpec } from '../model/allocators.js';
import type { Model } from '../model/context.js';
import type { GfpValue } from '../model/gfp.js';
import type { LockCall } from '../model/locks.js';
import type { ScopeKind, ScopeProvider } from '../model/memalloc-scopes.js';
import { slotContext, TRANSACTION_HANDLE_TYPE } from '../model/ops-slots.js';
import type { Expr } from '../syntax/expr.js';
import type { FileFacts, Rng } from '../syntax/facts.js';
import type { CalledContext, FunctionSummary, ProgramView } from './program-view.js';

export interface Program {
  views: FunctionView[];
  view: ProgramView;
  /** What inference added to the model, for `gfplint facts` and --explain. */
  inferred: { wrappers: AllocatorSpec[]; providers: ScopeProvider[]; closers: ScopeProvider[]; lockWrappers: (LockCall & { name: string })[] };
}

/** Rounds of infer → re-analyse: each round lets inference climb one more call level. */
const MAX_ROUNDS = 6;
const MAX_CHAIN = 8;

interface FnNode {
  id: number;
  view: FunctionView;
  file: string;
  isStatic: boolean;
  inHeader: boolean;
  callers: { from: FnNode; site: CallSite }[];
  callees: { to: FnNode[]; site: CallSite }[];
  unknownCallers: boolean;
  slots: { structType?: string; slot?: string }[];
  exported: boolean;
}

const key = (file: string, name: string) => `${file}\0${name}`;

function witnessOf(file: string, rng: Rng, note: string): Witness {
  return { file, rng, note };
}

export function buildProgram(files: { path: string; facts: FileFacts }[], views: FunctionView[], model: Model): Program {
  const factsByFile = new Map(files.map((f) => [f.path, f.facts]));
  const wrappers = new Map<string, AllocatorSpec>();
  const providers = new Map<string, ScopeProvider>();
  const closers = new Map<string, ScopeProvider>();
  const lockWrappers = new Map<string, LockCall>();
  const extended: Model = {
    ...model,
    lockCall: (name) => model.lockCall(name) ?? lockWrappers.get(name),
    allocator: (name) => model.allocator(name) ?? wrappers.get(name),
    providerStart: (name) => model.providerStart(name) ?? providers.get(name),
    providerStop: (name) => model.providerStop(name) ?? closers.get(name),
  };

  let current = views;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const before = wrappers.size + providers.size + closers.size + lockWrappers.size;
    inferSummaries(current, model, wrappers, providers, closers, lockWrappers);
    if (wrappers.size + providers.size + closers.size + lockWrappers.size === before) break;
    // Re-analyse only the functions that call something newly understood.
    const interesting = new Set([...wrappers.keys(), ...providers.keys(), ...closers.keys(), ...lockWrappers.keys()]);
    current = current.map((v) =>
      v.facts.calls.some((c) => !c.indirect && interesting.has(c.callee)) ? analyzeFunction(v.facts, v.file, extended) : v,
    );
  }

  const graph = buildGraph(current, factsByFile);
  const contexts = propagateContexts(graph);
  const sleeps = maySleepSummaries(graph, extended);
  const byName = new Map<string, FnNode[]>();
  for (const n of graph.nodes) {
    const list = byName.get(n.view.name) ?? [];
    list.push(n);
    byName.set(n.view.name, list);
  }
  const nodeOf = new Map(graph.nodes.map((n) => [n.view, n]));

  const view: ProgramView = {
    calledIn(fn) {
      const n = nodeOf.get(fn);
      return n ? contexts.get(n) : undefined;
    },
    summaryOf(callee, fromFile) {
      const targets = graph.resolve(callee, fromFile);
      if (targets.length !== 1) return undefined;
      const t = targets[0];
      const s: FunctionSummary = { name: callee };
      const sl = sleeps.get(t);
      if (sl) s.maySleep = sl;
      const w = wrappers.get(callee);
      if (w && w.gfpArg !== null) s.wrapsGfpParam = w.gfpArg;
      return s;
    },
  };
  return {
    views: current,
    view,
    inferred: {
      wrappers: [...wrappers.values()], providers: [...providers.values()], closers: [...closers.values()],
      lockWrappers: [...lockWrappers].map(([name, l]) => ({ name, ...l })),
    },
  };
}

/**
 * One inference pass over the current views: functions that allocate with their own gfp_t
 * parameter (allocator wrappers), return with a scope open whose cookie or handle leaves through
 * a parameter or the result (providers), or restore one that came in through a parameter (closers).
 */
function inferSummaries(
  views: FunctionView[], base: Model,
  wrappers: Map<string, AllocatorSpec>, providers: Map<string, ScopeProvider>, closers: Map<string, ScopeProvider>,
  lockWrappers: Map<string, LockCall>,
): void {
  for (const v of views) {
    const name = v.name;
    if (base.allocator(name) || base.scopeCall(name) || base.lockCall(name) || base.free(name)) continue;
    // Lock wrappers: `hpfs_lock(sb)` returns holding a mutex, `hpfs_unlock(sb)` drops it.
    if (!lockWrappers.has(name) && v.precise) {
      const acq = v.exitHeld[0];
      const rel = v.releasedUnheld[0];
      if (acq && !rel) lockWrappers.set(name, { op: 'acquire', atomic: acq.atomic, reason: acq.reason, class: acq.cls, lockArg: acq.param ?? null });
      else if (rel && !acq) lockWrappers.set(name, { op: 'release', atomic: false, reason: '', class: rel.cls, lockArg: rel.param ?? null });
    }
    if (!wrappers.has(name) && v.gfpParams.length) {
      const site = v.allocations.find((a) => a.gfp.kind === 'param' && !a.gfpImplied && v.gfpParams.some((p) => p.index === (a.gfp as { param: number }).param));
      if (site && site.gfp.kind === 'param') {
        wrappers.set(name, {
          name, family: 'other', gfpArg: site.gfp.param, sleeps: 'if-blocking', frees: [], returnsPointer: false,
          note: `inferred: '${name}()' passes its parameter '${site.gfp.name}' to '${site.callee}()' (${v.file}:${site.rng[0] + 1})`,
        });
      }
    }
    // Providers and closers are inferred even when the model lists them: the inference is the
    // evidence, and the model's list only keeps a one-file scan knowing them.
    if (!providers.has(name)) {
      const open = v.exitScopes.find((e) => e.kind === 'nofs' || e.kind === 'noio');
      if (open) {
        providers.set(name, {
          start: name, kind: open.kind, handleParam: open.returned ? 'return' : open.param,
          note: `inferred: returns with the ${open.kind} scope of '${open.opener}()' open (${v.file}:${open.rng[0] + 1})`,
          inferred: { file: v.file, line: open.rng[0] + 1, function: name },
        });
      }
    }
    if (!closers.has(name)) {
      const h = v.handOffRestores.find((r) => r.kind === 'nofs' || r.kind === 'noio');
      if (h) {
        closers.set(name, {
          start: '', stop: name, kind: h.kind, handleParam: h.param,
          note: `inferred: restores the scope whose cookie comes in through parameter ${h.param + 1} (${v.file})`,
          inferred: { file: v.file, line: v.facts.calls[h.index].r[0] + 1, function: name },
        });
      }
    }
  }
}

interface Graph {
  nodes: FnNode[];
  resolve(name: string, fromFile: string): FnNode[];
}

function buildGraph(views: FunctionView[], factsByFile: Map<string, FileFacts>): Graph {
  const nodes: FnNode[] = [];
  const local = new Map<string, FnNode>();
  const global = new Map<string, FnNode[]>();
  for (const v of views) {
    const facts = v.facts;
    const inHeader = v.file.endsWith('.h');
    const n: FnNode = {
      id: nodes.length, view: v, file: v.file, isStatic: facts.isStatic, inHeader, callers: [], callees: [],
      unknownCallers: false, slots: [], exported: false,
    };
    nodes.push(n);
    if (facts.isStatic && !inHeader) local.set(key(v.file, v.name), n);
    else {
      const list = global.get(v.name) ?? [];
      list.push(n);
      global.set(v.name, list);
    }
  }
  const resolve = (name: string, fromFile: string): FnNode[] => {
    const l = local.get(key(fromFile, name));
    return l ? [l] : global.get(name) ?? [];
  };
  // Address-taken names: ops-table slots and callbacks at file scope, plus function names used
  // as values inside bodies (arguments, assignments).
  for (const [file, facts] of factsByFile) {
    for (const e of facts.exported) for (const n of resolve(e, file)) n.exported = true;
    for (const a of facts.addressTaken) for (const n of resolve(a.name, file)) n.slots.push({ structType: a.structType, slot: a.slot });
  }
  for (const n of nodes) {
    for (const site of n.view.calls) {
      if (!site.call.indirect) {
        const to = resolve(site.call.callee, n.file);
        n.callees.push({ to, site });
        for (const t of to) t.callers.push({ from: n, site });
      }
      for (const a of site.call.args) markValueUse(a, n.file, resolve);
    }
    for (const op of n.view.facts.ops) if (op.op === 'assign') markValueUse(op.r, n.file, resolve);
  }
  for (const n of nodes) {
    const slotted = n.slots.length > 0;
    const allKnownSlots = n.slots.every((s) => slotContext(s.structType, s.slot) !== undefined);
    n.unknownCallers = n.exported || (slotted && !allKnownSlots) || (!n.isStatic && !n.inHeader && n.callers.length === 0 && !slotted);
  }
  return { nodes, resolve };
}

/** A function name used as a value (callback argument, stored pointer) has callers we cannot see. */
function markValueUse(e: Expr, file: string, resolve: (name: string, from: string) => FnNode[]): void {
  const x = e.k === 'un' && e.op === '&' ? e.e : e.k === 'cast' ? e.e : e;
  if (x.k === 'id') for (const n of resolve(x.name, file)) n.slots.push({});
}

function siteWitness(n: FnNode, site: CallSite, note: string): Witness {
  return witnessOf(n.file, site.call.r, note);
}

/**
 * Calling contexts, top-down. A scope holds for f when every known call of f is inside it,
 * directly or because the caller itself always runs inside it (greatest fixpoint, then pruned to
 * what a finite witness chain supports, so a recursive cycle without an entry proves nothing).
 * Locks, atomic sections and transactions propagate as "some caller" facts (least fixpoint).
 */
function propagateContexts(g: Graph): Map<FnNode, CalledContext> {
  const kinds: ScopeKind[] = ['nofs', 'noio'];
  const scopeWitness = new Map<ScopeKind, Map<FnNode, Witness[]>>();
  for (const kind of kinds) {
    const covers = (k: ScopeKind) => k === kind || (kind === 'nofs' && k === 'noio');
    // Greatest fixpoint of "always called inside `kind`".
    const inSet = new Set(g.nodes.filter((n) => !n.unknownCallers && n.callers.length > 0));
    let changed = true;
    while (changed) {
      changed = false;
      for (const n of [...inSet]) {
        const ok = n.callers.every(({ from, site }) => site.ctx.precise && (site.ctx.scopes.some((s) => covers(s.kind) && !s.onlyWhen) || inSet.has(from)));
        if (!ok) {
          inSet.delete(n);
          changed = true;
        }
      }
    }
    // Witness chains from call sites that are directly inside the scope.
    const wit = new Map<FnNode, Witness[]>();
    let frontier = true;
    while (frontier) {
      frontier = false;
      for (const n of inSet) {
        if (wit.has(n)) continue;
        for (const { from, site } of n.callers) {
          const direct = site.ctx.scopes.find((s) => covers(s.kind) && !s.onlyWhen);
          if (direct) {
            wit.set(n, [siteWitness(from, site, `'${from.view.name}()' calls '${n.view.name}()' inside the ${direct.kind} scope`), witnessOf(from.file, direct.rng, `'${direct.opener}()' opens the ${direct.kind} scope here`)]);
            frontier = true;
            break;
          }
          const up = wit.get(from);
          if (up && up.length < MAX_CHAIN * 2) {
            wit.set(n, [siteWitness(from, site, `'${from.view.name}()' calls '${n.view.name}()'`), ...up]);
            frontier = true;
            break;
          }
        }
      }
    }
    scopeWitness.set(kind, wit);
  }

  const someCaller = (pred: (site: CallSite, from: FnNode) => string | undefined): Map<FnNode, Witness[]> => {
    const out = new Map<FnNode, Witness[]>();
    let changed = true;
    for (let round = 0; changed && round < MAX_CHAIN; round++) {
      changed = false;
      for (const n of g.nodes) {
        if (out.has(n)) continue;
        for (const { from, site } of n.callers) {
          const why = pred(site, from);
          if (why) {
            out.set(n, [siteWitness(from, site, why)]);
            changed = true;
            break;
          }
          const up = out.get(from);
          if (up) {
            out.set(n, [siteWitness(from, site, `'${from.view.name}()' calls '${n.view.name}()'`), ...up]);
            changed = true;
            break;
          }
        }
      }
    }
    return out;
  };
  const lockW = someCaller((site, from) => {
    const h = site.ctx.mayHeld[0];
    return h ? `'${from.view.name}()' calls it holding '${h.what}${h.lock ? `(${h.lock})` : ''}'` : undefined;
  });
  const atomicW = someCaller((site, from) => {
    const h = site.ctx.mayHeld.find((x) => x.atomic);
    return h ? `'${from.view.name}()' calls it in an atomic section (${h.reason})` : undefined;
  });
  const transW = someCaller((site, from) => {
    const t = [...from.view.facts.params, ...from.view.facts.locals].find((p) => TRANSACTION_HANDLE_TYPE.test(p.type));
    if (t) return `'${from.view.name}()' holds a transaction handle '${t.name}' (${t.type.trim()})`;
    const s = site.ctx.mayScopes[0];
    return s ? `'${from.view.name}()' calls it inside the ${s.kind} scope of '${s.opener}()' on some path` : undefined;
  });

  // Reached, directly or through callers, from an ops slot that runs in reclaim or writeback or
  // with VFS locks held.
  const ownSlot = (n: FnNode): Witness[] | undefined => {
    const info = n.slots.map((sl) => slotContext(sl.structType, sl.slot)).find((i) => i && i.context !== 'process');
    return info ? [witnessOf(n.file, n.view.facts.nameRng, info.why)] : undefined;
  };
  const reclaimW = someCaller((_site, from) => (ownSlot(from) ? `'${from.view.name}()' is reached through ${ownSlot(from)![0].note}` : undefined));
  for (const n of g.nodes) if (!reclaimW.has(n) && ownSlot(n)) reclaimW.set(n, ownSlot(n)!);

  // Every context a function runs in is visible when its callers are all known and their own
  // contexts are visible, up to roots entered through a process-context ops slot (greatest
  // fixpoint; a function reached from anything gfplint cannot see is not visible).
  const processRoot = (n: FnNode) => n.slots.length > 0 && n.slots.every((sl) => slotContext(sl.structType, sl.slot) !== undefined);
  const visible = new Set(g.nodes.filter((n) => !n.unknownCallers && (n.callers.length > 0 || processRoot(n))));
  for (let changed = true; changed;) {
    changed = false;
    for (const n of [...visible]) {
      if (n.callers.some(({ from }) => !visible.has(from))) {
        visible.delete(n);
        changed = true;
      }
    }
  }

  const out = new Map<FnNode, CalledContext>();
  for (const n of g.nodes) {
    const scopes = kinds
      .map((kind) => ({ kind, via: scopeWitness.get(kind)!.get(n) }))
      .filter((x): x is { kind: ScopeKind; via: Witness[] } => x.via !== undefined);
    const reclaim = reclaimW.get(n);
    const ctx: CalledContext = { scopes, unknownCallers: !visible.has(n), knownCallers: n.callers.length };
    const lw = lockW.get(n);
    if (lw) ctx.lockWitness = lw;
    const aw = atomicW.get(n);
    if (aw) ctx.atomicWitness = aw;
    const tw = transW.get(n);
    if (tw) ctx.transactionWitness = tw;
    if (reclaim) ctx.reclaimSlot = reclaim;
    const proc = n.slots.map((s) => slotContext(s.structType, s.slot)).find((i) => i?.context === 'process');
    if (proc) ctx.processSlot = [witnessOf(n.file, n.view.facts.nameRng, proc.why)];
    out.set(n, ctx);
  }
  return out;
}

/**
 * May-sleep summaries, bottom-up to a fixpoint: a function sleeps when it makes a blocking
 * allocation on every path (never under a condition of its own, such as `if (nofail)` in
 * fs/ext4/extents_status.c) outside any atomic section of its own, or calls, on every path, a
 * function that does. A function that releases any lock (`*_unlock()`, `pte_unmap_unlock()`, …)
 * may be dropping its caller's lock around the allocation and ends the chain.
 */
function maySleepSummaries(g: Graph, model: Model): Map<FnNode, Witness[]> {
  const out = new Map<FnNode, Witness[]>();
  const dr = model.table.masks.get('__GFP_DIRECT_RECLAIM') ?? model.table.bits.get('__GFP_DIRECT_RECLAIM') ?? 0;
  const blocking = (v: GfpValue) => v.kind === 'known' && v.masks.length > 0 && v.masks.every((m) => (m & dr) !== 0);
  const releasesLocks = (n: FnNode) => n.view.releasesCallersLock || n.view.facts.calls.some((c) => /unlock|_irqrestore$|_enable$|^up(_read|_write)?$|^local_bh_enable/.test(c.callee));
  const eligible = new Set(g.nodes.filter((n) => n.view.precise && !releasesLocks(n)));
  const always = new Map<FnNode, Set<number>>();
  const onEveryPath = (n: FnNode, callIndex: number) => {
    let set = always.get(n);
    if (!set) {
      const ops = opsOnEveryPath(n.view.facts);
      set = new Set<number>();
      n.view.facts.ops.forEach((op, i) => { if (op.op === 'call' && ops.has(i)) set!.add(op.call); });
      always.set(n, set);
    }
    return set.has(callIndex);
  };
  for (const n of eligible) {
    const a = n.view.allocations.find((x) => !x.ctx.mayHeld.some((h) => h.atomic) && x.spec.family !== 'other' &&
      (x.spec.sleeps === 'always' || (x.spec.sleeps !== 'never' && blocking(x.effective))) && onEveryPath(n, x.index));
    if (a) out.set(n, [witnessOf(n.file, a.rng, `'${a.callee}()' with '${a.gfpText}' may sleep in '${n.view.name}()'`)]);
  }
  let changed = true;
  for (let round = 0; changed && round < MAX_CHAIN; round++) {
    changed = false;
    for (const n of eligible) {
      if (out.has(n)) continue;
      for (const { to, site } of n.callees) {
        if (to.length !== 1 || site.ctx.mayHeld.some((h) => h.atomic) || !onEveryPath(n, site.index)) continue;
        const w = out.get(to[0]);
        if (w && w.length < MAX_CHAIN) {
          out.set(n, [siteWitness(n, site, `'${n.view.name}()' calls '${to[0].view.name}()'`), ...w]);
          changed = true;
          break;
        }
      }
    }
  }
  return out;
}


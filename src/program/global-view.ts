/**
 * The whole-program stage over the summaries of every function of a run (659,000 functions and
 * 2.3 million resolved call sites in 6.12): the call graph, calling contexts (top-down) and
 * may-sleep summaries (bottom-up), each conclusion with a witness chain.
 *
 * Functions and call sites are columns (typed arrays, interned strings) and edges are in CSR
 * form, with a function or a call site named by its index: as one object per function, per call
 * and per edge, the same graph took about 1.3 GB of heap and kept a whole-tree run above 2 GB.
 * Records are consumed one at a time, so a caller may stream them from disk.
 */
import type { Witness } from '../function/view.js';
import { describeOpener, type ScopeKind } from '../model/memalloc-scopes.js';
import { slotContext, WORK_SLOT_TYPE } from '../model/ops-slots.js';
import { workEntry, type QueueKind, type WorkFacts } from '../model/workqueues.js';
import type { Rng } from '../syntax/facts.js';
import { reclaimEntry } from '../model/reclaim.js';
import type { CalledContext, FunctionSummary, GfpCaller, ProgramView, ReclaimReach } from './program-view.js';
import type { FileSummaryRecord, FnSummaryRecord, GfpPassSummary, Inferred, SiteSummary } from './program.js';

/** Longest witness chain followed (calls), and rounds of the least fixpoints. */
export const MAX_CHAIN = 8;

/** A growable column of 32-bit integers. */
class IntColumn {
  private data = new Int32Array(4096);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const d = new Int32Array(this.data.length * 2);
      d.set(this.data);
      this.data = d;
    }
    this.data[this.length++] = v;
  }
  /** The filled part, copied to its exact size. */
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Interned strings: a name or path stored once, referred to by number. */
class Strings {
  private readonly ids = new Map<string, number>();
  readonly list: string[] = [];
  id(s: string): number {
    let i = this.ids.get(s);
    if (i === undefined) {
      i = this.list.length;
      this.ids.set(s, i);
      this.list.push(s);
    }
    return i;
  }
  find(s: string): number | undefined {
    return this.ids.get(s);
  }
}

// Function flags.
const STATIC = 1;
const PRECISE = 2;
const ALLOCATES = 4;
const RELEASES_LOCKS = 8;
const EXPORTED = 16;
const UNKNOWN_CALLERS = 32;
const WRITES_TASK_FLAGS = 64;
const NOFS_SITES = 128;
// Call-site flags.
const SITE_PRECISE = 1;
const SITE_ALWAYS = 2;

/** What few call sites carry beyond place and flags (scopes, locks, atomic sections). */
type SiteExtra = Pick<SiteSummary, 'scopes' | 'mayScope' | 'held' | 'atomic' | 'locks' | 'nullArgs'>;
type Slot = { structType?: string; slot?: string };

/** The call graph of a run: functions 0…n-1 in the order their records came, sites likewise. */
class Graph {
  readonly strings = new Strings();
  n = 0;
  // Per function.
  fnFile!: Int32Array;
  fnName!: Int32Array;
  fnRng!: Int32Array; // 4 per function: the name's range
  fnFlags!: Uint8Array;
  /** Sites of function f: fnSiteStart[f] … fnSiteStart[f + 1] - 1. */
  fnSiteStart!: Int32Array;
  readonly sleeps = new Map<number, Witness>();
  readonly transaction = new Map<number, string>();
  readonly takes = new Map<number, NonNullable<FnSummaryRecord['takes']>>();
  readonly begins = new Map<number, NonNullable<FnSummaryRecord['begins']>>();
  readonly slots = new Map<number, Slot[]>();
  // Per call site.
  siteFn!: Int32Array;
  siteCallee!: Int32Array;
  siteLine!: Int32Array;
  siteCol!: Int32Array;
  siteFlags!: Uint8Array;
  /** The one function a call resolves to, or -1 (none, or several definitions). */
  siteTarget!: Int32Array;
  readonly extra = new Map<number, SiteExtra>();
  /** Known calls into f: the sites callerSite[callerStart[f]] … callerSite[callerStart[f + 1] - 1]. */
  callerStart!: Int32Array;
  callerSite!: Int32Array;
  /** gfp_t parameter indexes, of the functions that have some. */
  readonly gfpParams = new Map<number, number[]>();
  /** Functions with gfp_t parameters that also allocate with a constant mask: their callers' masks are answered. */
  readonly constantMask = new Set<number>();
  /** Masks handed to f, by the calling function (direct calls by name, indirect ones by ops slot). */
  readonly gfpPassesInto = new Map<number, { from: number; pass: GfpPassSummary }[]>();

  file(f: number): string {
    return this.strings.list[this.fnFile[f]];
  }
  name(f: number): string {
    return this.strings.list[this.fnName[f]];
  }
  nameRng(f: number): Rng {
    return [this.fnRng[4 * f], this.fnRng[4 * f + 1], this.fnRng[4 * f + 2], this.fnRng[4 * f + 3]];
  }
  has(f: number, flag: number): boolean {
    return (this.fnFlags[f] & flag) !== 0;
  }
  callerCount(f: number): number {
    return this.callerStart[f + 1] - this.callerStart[f];
  }
  siteWitness(site: number, note: string): Witness {
    const line = this.siteLine[site];
    const col = this.siteCol[site];
    return { file: this.file(this.siteFn[site]), rng: [line, col, line, col], note };
  }
  /** A static function of a .c file is private to it: its inferred entries are keyed by file. */
  isLocal(f: number): boolean {
    return this.has(f, STATIC) && !this.file(f).endsWith('.h');
  }
}

/**
 * Builds the graph from records, one at a time. Calls resolve by name: a static function of the
 * caller's own .c file first, else every non-static definition (several: the call has them all
 * as callees but follows none for may-sleep).
 */
function buildGraph(files: Iterable<FileSummaryRecord>): Graph {
  const g = new Graph();
  const S = g.strings;
  const fnFile = new IntColumn(), fnName = new IntColumn(), fnRng = new IntColumn(), fnFlags = new IntColumn(), fnSiteStart = new IntColumn();
  const siteFn = new IntColumn(), siteCallee = new IntColumn(), siteLine = new IntColumn(), siteCol = new IntColumn(), siteFlags = new IntColumn();
  /** Static functions of .c files, by file then name. */
  const local = new Map<number, Map<number, number>>();
  const global = new Map<number, number[]>();
  const gfpPasses: { from: number; pass: GfpPassSummary }[] = [];
  const uses: { file: number; exported: string[]; addressTaken: FileSummaryRecord['addressTaken']; valueUses: string[]; workInits?: WorkFacts['inits'] }[] = [];
  // Work queued and workqueues allocated anywhere in the tree, by key (src/model/workqueues.ts).
  const queuesByKey = new Map<string, string[]>();
  const allocsByKey = new Map<string, QueueKind[]>();
  const push = <T>(m: Map<string, T[]>, k: string, v: T) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const rec of files) {
    const file = S.id(rec.path);
    const inHeader = rec.path.endsWith('.h');
    for (const fn of rec.functions) {
      const f = g.n++;
      const name = S.id(fn.name);
      fnFile.push(file);
      fnName.push(name);
      for (const x of fn.nameRng) fnRng.push(x);
      fnFlags.push((fn.isStatic ? STATIC : 0) | (fn.precise ? PRECISE : 0) | (fn.allocates ? ALLOCATES : 0) | (fn.releasesLocks ? RELEASES_LOCKS : 0) | (fn.writesTaskFlags ? WRITES_TASK_FLAGS : 0) | (fn.nofs ? NOFS_SITES : 0));
      if (fn.takes) g.takes.set(f, fn.takes);
      if (fn.begins) g.begins.set(f, fn.begins);
      fnSiteStart.push(siteFn.length);
      if (fn.sleeps) g.sleeps.set(f, fn.sleeps);
      if (fn.gfpParams) g.gfpParams.set(f, fn.gfpParams);
      if (fn.constantMask) g.constantMask.add(f);
      for (const p of fn.gfpPasses ?? []) gfpPasses.push({ from: f, pass: p });
      if (fn.transaction) g.transaction.set(f, fn.transaction);
      if (fn.isStatic && !inHeader) {
        let own = local.get(file);
        if (!own) local.set(file, (own = new Map()));
        own.set(name, f);
      }
      else {
        const list = global.get(name);
        if (list) list.push(f);
        else global.set(name, [f]);
      }
      for (const c of fn.calls) {
        const site = siteFn.length;
        siteFn.push(f);
        siteCallee.push(S.id(c.callee));
        siteLine.push(c.line);
        siteCol.push(c.col);
        siteFlags.push((c.precise ? SITE_PRECISE : 0) | (c.always ? SITE_ALWAYS : 0));
        if (c.scopes || c.mayScope || c.held || c.atomic || c.locks || c.nullArgs) {
          const x: SiteExtra = {};
          if (c.locks) x.locks = c.locks;
          if (c.nullArgs) x.nullArgs = c.nullArgs;
          if (c.scopes) x.scopes = c.scopes;
          if (c.mayScope) x.mayScope = c.mayScope;
          if (c.held) x.held = c.held;
          if (c.atomic) x.atomic = c.atomic;
          g.extra.set(site, x);
        }
      }
    }
    if (rec.work) {
      for (const q of rec.work.queues) for (const k of q.keys) push(queuesByKey, k, q.queue);
      for (const a of rec.work.allocs) push(allocsByKey, a.key, a.kind);
    }
    const workInits = rec.work?.inits.length ? rec.work.inits : undefined;
    if (rec.exported.length || rec.addressTaken.length || rec.valueUses.length || workInits) uses.push({ file, exported: rec.exported, addressTaken: rec.addressTaken, valueUses: rec.valueUses, workInits });
  }
  fnSiteStart.push(siteFn.length);
  g.fnFile = fnFile.done();
  g.fnName = fnName.done();
  g.fnRng = fnRng.done();
  g.fnFlags = Uint8Array.from(fnFlags.done());
  g.fnSiteStart = fnSiteStart.done();
  g.siteFn = siteFn.done();
  g.siteCallee = siteCallee.done();
  g.siteLine = siteLine.done();
  g.siteCol = siteCol.done();
  g.siteFlags = Uint8Array.from(siteFlags.done());

  const none: number[] = [];
  const one = [0];
  const resolve = (name: number | undefined, fromFile: number): number[] => {
    if (name === undefined) return none;
    const l = local.get(fromFile)?.get(name);
    if (l !== undefined) {
      one[0] = l;
      return one;
    }
    return global.get(name) ?? none;
  };
  const byName = (n: string) => S.find(n);
  // Address-taken names: ops-table slots and callbacks at file scope, plus function names used
  // as values inside bodies (arguments, assignments).
  const addSlot = (f: number, s: Slot) => {
    const list = g.slots.get(f);
    if (list) list.push(s);
    else g.slots.set(f, [s]);
  };
  for (const u of uses) {
    for (const e of u.exported) for (const f of resolve(byName(e), u.file)) g.fnFlags[f] |= EXPORTED;
    for (const a of u.addressTaken) for (const f of resolve(byName(a.name), u.file)) addSlot(f, { structType: a.structType, slot: a.slot });
    for (const v of u.valueUses) for (const f of resolve(byName(v), u.file)) addSlot(f, {});
    // A work function runs where its queues say; on a queue gfplint cannot read it has an unknown caller.
    for (const w of u.workInits ?? []) {
      const kind = workEntry(S.list[u.file], w.key, queuesByKey, allocsByKey);
      for (const f of resolve(byName(w.fn), u.file)) addSlot(f, kind === 'unknown' ? {} : { structType: WORK_SLOT_TYPE, slot: kind });
    }
  }
  // Edges: each site to its callees; callers of f in site order (the order of the records).
  const sites = g.siteFn.length;
  g.siteTarget = new Int32Array(sites);
  const count = new Int32Array(g.n + 1);
  for (let s = 0; s < sites; s++) {
    const to = resolve(g.siteCallee[s], g.fnFile[g.siteFn[s]]);
    g.siteTarget[s] = to.length === 1 ? to[0] : -1;
    for (const t of to) count[t + 1]++;
  }
  for (let f = 0; f < g.n; f++) count[f + 1] += count[f];
  g.callerStart = count.slice();
  g.callerSite = new Int32Array(count[g.n]);
  for (let s = 0; s < sites; s++) {
    for (const t of resolve(g.siteCallee[s], g.fnFile[g.siteFn[s]])) g.callerSite[count[t]++] = s;
  }
  linkGfpPasses(g, gfpPasses, resolve);
  for (let f = 0; f < g.n; f++) {
    const slots = g.slots.get(f);
    const slotted = slots !== undefined;
    const allKnownSlots = !slots || slots.every((s) => slotContext(s.structType, s.slot) !== undefined);
    const inHeader = g.file(f).endsWith('.h');
    if (g.has(f, EXPORTED) || (slotted && !allKnownSlots) || (!g.has(f, STATIC) && !inHeader && g.callerCount(f) === 0 && !slotted)) g.fnFlags[f] |= UNKNOWN_CALLERS;
  }
  return g;
}

/**
 * Files each gfp pass under the functions it reaches, when they take a gfp_t parameter in that
 * position: a direct call by name, an indirect call `ops->alloc(…, gfp)` every function stored in
 * a slot of that name (the dma_map_ops of every IOMMU driver, for `dma_alloc_noncontiguous()`).
 */
function linkGfpPasses(g: Graph, passes: { from: number; pass: GfpPassSummary }[], resolve: (name: number | undefined, fromFile: number) => number[]): void {
  const bySlot = new Map<string, number[]>();
  for (const [f, slots] of g.slots) {
    if (!g.gfpParams.has(f)) continue;
    for (const s of slots) {
      if (!s.slot) continue;
      const list = bySlot.get(s.slot);
      if (list) list.push(f);
      else bySlot.set(s.slot, [f]);
    }
  }
  for (const e of passes) {
    const targets = e.pass.indirect ? bySlot.get(e.pass.callee) ?? [] : resolve(g.strings.find(e.pass.callee), g.fnFile[e.from]);
    for (const t of targets) {
      if (!g.gfpParams.get(t)?.includes(e.pass.arg)) continue;
      const list = g.gfpPassesInto.get(t);
      if (list) list.push(e);
      else g.gfpPassesInto.set(t, [e]);
    }
  }
}

/** Most callers' masks kept per parameter: enough to name a differing one, bounded for the view's size. */
const MAX_GFP_CALLERS = 12;

/**
 * The masks known callers write that reach parameter `param` of f, following callers that pass
 * their own gfp_t parameter on (with what each link adds or clears), up to MAX_CHAIN calls.
 */
function gfpCallersOf(g: Graph, f: number, param: number): GfpCaller[] {
  const out: GfpCaller[] = [];
  const seen = new Set<string>();
  type Link = { add: number; remove: number };
  const walk = (t: number, p: number, links: Link[], chain: Witness[]) => {
    const key = `${t}:${p}`;
    if (seen.has(key) || chain.length > MAX_CHAIN) return;
    seen.add(key);
    for (const { from, pass } of g.gfpPassesInto.get(t) ?? []) {
      if (pass.arg !== p || out.length >= MAX_GFP_CALLERS) continue;
      const w: Witness = { file: g.file(from), rng: [pass.line, pass.col, pass.line, pass.col], note: `'${g.name(from)}()' passes '${pass.text}' to '${pass.callee}()'` };
      if (pass.masks) {
        // The value in f's parameter: each link, from the writer down, clears and adds its bits.
        const masks = pass.masks.map((m) => links.reduceRight((v, l) => ((v & ~l.remove) | l.add) >>> 0, m >>> 0));
        out.push({ caller: g.name(from), via: pass.callee, text: pass.text, masks, chain: [w, ...chain] });
      }
      else if (pass.param) walk(from, pass.param.index, [...links, pass.param], [w, ...chain]);
    }
  };
  walk(f, param, [], []);
  return out;
}

/**
 * For a scan of a few files against the stored rest of the tree: the functions their answers
 * depend on. Their calling contexts depend only on their callers, transitively (and a caller's
 * callers are all in that set); the may-sleep summaries of their callees depend only on those
 * callees' own callees. Everything else (most of a tree) is left out of the fixpoints.
 * Returns the functions taking part, in graph order.
 */
function focusNodes(g: Graph, focus: ReadonlySet<string> | undefined): Int32Array {
  if (!focus) {
    const all = new Int32Array(g.n);
    for (let f = 0; f < g.n; f++) all[f] = f;
    return all;
  }
  const files = new Set<number>();
  for (const p of focus) {
    const id = g.strings.find(p);
    if (id !== undefined) files.add(id);
  }
  const keep = new Uint8Array(g.n);
  const up: number[] = [];
  for (let f = 0; f < g.n; f++) if (files.has(g.fnFile[f])) up.push(f);
  const down = [...up];
  for (const f of up) keep[f] = 1;
  while (up.length) {
    const f = up.pop()!;
    for (let k = g.callerStart[f]; k < g.callerStart[f + 1]; k++) {
      const from = g.siteFn[g.callerSite[k]];
      if (keep[from]) continue;
      keep[from] = 1;
      up.push(from);
    }
  }
  const seenDown = new Uint8Array(g.n);
  for (const f of down) seenDown[f] = 1;
  while (down.length) {
    const f = down.pop()!;
    for (let s = g.fnSiteStart[f]; s < g.fnSiteStart[f + 1]; s++) {
      const to = g.siteTarget[s];
      if (to < 0 || seenDown[to]) continue;
      seenDown[to] = 1;
      keep[to] = 1;
      down.push(to);
    }
  }
  const out: number[] = [];
  for (let f = 0; f < g.n; f++) if (keep[f]) out.push(f);
  return Int32Array.from(out);
}

/** What the global view keeps for rules, as plain data: lint.ts remembers it between runs. */
export interface ViewData {
  /** Calling contexts of the functions that allocate (of every function for `gfplint facts`), by nodeKey. */
  called: [string, CalledContext][];
  /** Summaries of callees that may sleep or wrap an allocator, by `file\0name` (static) or `\0name`. */
  special: [string, FunctionSummary][];
  /** Static functions that shadow a global one of the same name with a summary. */
  shadows: string[];
  /** How many global definitions a name with a summary has (a call resolves only to a unique one). */
  globalCount: [string, number][];
  /** What reclaim can reach in the run's filesystems (absent in views stored by older runs). */
  reclaim?: ReclaimReach;
}

/**
 * Call graph, calling contexts and may-sleep summaries over the summaries of every file of the
 * run (and, for a partial scan, those stored by a whole-tree run). `focus`: only these files are
 * reported on, so only what their answers depend on takes part in the fixpoints.
 */
export function buildGlobalView(files: Iterable<FileSummaryRecord>, inferred?: Inferred, opts: { everyFunction?: boolean; focus?: ReadonlySet<string> } = {}): ProgramView {
  return viewFromData(globalViewData(files, inferred, opts));
}

export function globalViewData(files: Iterable<FileSummaryRecord>, inferred?: Inferred, opts: { everyFunction?: boolean; focus?: ReadonlySet<string> } = {}): ViewData {
  const g = buildGraph(files);
  const active = focusNodes(g, opts.focus);
  const wanted = (f: number) => g.has(f, ALLOCATES) || g.has(f, WRITES_TASK_FLAGS) || opts.everyFunction === true;
  const contexts = propagateContexts(g, active, wanted);
  const sleeps = maySleepSummaries(g, active);
  // Keep only what rules ask, so that the graph can go before pass B: the contexts of functions
  // that allocate (all of them for `gfplint facts`), and the summaries of callees that sleep or
  // wrap an allocator, with what it takes to resolve a name as buildGraph() does (a file's
  // static function shadows a global one; several global definitions resolve to none).
  const called: [string, CalledContext][] = [];
  for (const f of active) {
    if (!wanted(f)) continue;
    const ctx = contexts.get(f);
    if (!ctx) continue;
    const callers: Witness[] = [];
    for (let k = g.callerStart[f]; k < g.callerStart[f + 1] && callers.length < 3; k++) {
      const site = g.callerSite[k];
      callers.push(g.siteWitness(site, `'${g.name(g.siteFn[site])}()' calls '${g.name(f)}()' here`));
    }
    if (callers.length) ctx.callerSites = callers;
    const gfpCallers = (g.constantMask.has(f) ? g.gfpParams.get(f) ?? [] : []).map((param) => ({ param, passes: gfpCallersOf(g, f, param) })).filter((x) => x.passes.length);
    if (gfpCallers.length) ctx.gfpCallers = gfpCallers;
    called.push([nodeKey(g.file(f), g.name(f), g.fnRng[4 * f]), ctx]);
  }
  const keyOf = (f: number) => (g.isLocal(f) ? `${g.file(f)}\0${g.name(f)}` : `\0${g.name(f)}`);
  const special = new Map<string, FunctionSummary>();
  for (let f = 0; f < g.n; f++) {
    const sl = sleeps.get(f);
    const w = inferred?.wrappers.get(keyOf(f));
    if (!sl && !(w && w.gfpArg !== null)) continue;
    const s: FunctionSummary = { name: g.name(f) };
    if (sl) s.maySleep = sl;
    if (w && w.gfpArg !== null) s.wrapsGfpParam = w.gfpArg;
    special.set(keyOf(f), s);
  }
  const shadows = new Set<string>();
  const globalCount = new Map<string, number>();
  for (let f = 0; f < g.n; f++) {
    const name = g.name(f);
    if (!special.has(`\0${name}`)) continue;
    if (g.isLocal(f)) shadows.add(`${g.file(f)}\0${name}`);
    else globalCount.set(name, (globalCount.get(name) ?? 0) + 1);
  }
  return { called, special: [...special], shadows: [...shadows], globalCount: [...globalCount], reclaim: reclaimReach(g) };
}

/** The rules' interface over the view's data. */
export function viewFromData(data: ViewData): ProgramView {
  const called = new Map(data.called);
  const special = new Map(data.special);
  const shadows = new Set(data.shadows);
  const globalCount = new Map(data.globalCount);
  return {
    reclaim: () => data.reclaim,
    calledIn: (fn) => called.get(nodeKey(fn.file, fn.name, fn.facts.nameRng[0])),
    calledAt: (file, name, line) => called.get(nodeKey(file, name, line)),
    summaryOf(callee, fromFile) {
      const local = `${fromFile}\0${callee}`;
      const own = special.get(local);
      if (own) return own;
      if (shadows.has(local) || globalCount.get(callee) !== 1) return undefined;
      return special.get(`\0${callee}`);
    },
  };
}

const nodeKey = (file: string, name: string, line: number) => `${file}\0${name}\0${line}`;

/**
 * Calling contexts, top-down. A scope holds for f when every known call of f is inside it,
 * directly or because the caller itself always runs inside it (greatest fixpoint, then pruned to
 * what a finite witness chain supports, so a recursive cycle without an entry proves nothing).
 * Locks, atomic sections and transactions propagate as "some caller" facts (least fixpoint).
 */
function propagateContexts(g: Graph, active: Int32Array, wanted: (f: number) => boolean): Map<number, CalledContext> {
  const kinds: ScopeKind[] = ['nofs', 'noio'];
  const isActive = new Uint8Array(g.n);
  for (const f of active) isActive[f] = 1;
  const from = (k: number) => g.siteFn[g.callerSite[k]];
  const scopeWitness = new Map<ScopeKind, Map<number, Witness[]>>();
  for (const kind of kinds) {
    const covers = (k: ScopeKind) => k === kind || (kind === 'nofs' && k === 'noio');
    const direct = (site: number) => g.extra.get(site)?.scopes?.find((s) => covers(s.kind));
    // Greatest fixpoint of "always called inside `kind`".
    const inSet = new Uint8Array(g.n);
    for (const f of active) if (!g.has(f, UNKNOWN_CALLERS) && g.callerCount(f) > 0) inSet[f] = 1;
    for (let changed = true; changed;) {
      changed = false;
      for (const f of active) {
        if (!inSet[f]) continue;
        for (let k = g.callerStart[f]; k < g.callerStart[f + 1]; k++) {
          const site = g.callerSite[k];
          if ((g.siteFlags[site] & SITE_PRECISE) && (direct(site) !== undefined || inSet[g.siteFn[site]])) continue;
          inSet[f] = 0;
          changed = true;
          break;
        }
      }
    }
    // Witness chains from call sites that are directly inside the scope.
    const wit = new Map<number, Witness[]>();
    for (let frontier = true; frontier;) {
      frontier = false;
      for (const f of active) {
        if (!inSet[f] || wit.has(f)) continue;
        for (let k = g.callerStart[f]; k < g.callerStart[f + 1]; k++) {
          const site = g.callerSite[k];
          const caller = from(k);
          const d = direct(site);
          if (d) {
            wit.set(f, [
              g.siteWitness(site, `'${g.name(caller)}()' calls '${g.name(f)}()' inside the ${d.kind} scope`),
              { file: g.file(caller), rng: d.rng, note: `${describeOpener(d.opener)} opens the ${d.kind} scope here` },
            ]);
            frontier = true;
            break;
          }
          const up = wit.get(caller);
          if (up && up.length < MAX_CHAIN * 2) {
            wit.set(f, [g.siteWitness(site, `'${g.name(caller)}()' calls '${g.name(f)}()'`), ...up]);
            frontier = true;
            break;
          }
        }
      }
    }
    scopeWitness.set(kind, wit);
  }

  // "Some caller" facts keep one link per function (the call it came through), not a chain per
  // function: on a whole tree most functions are reached from some locked call, and the chains
  // are spelt out only for the functions a rule asks about.
  /** Reached through call `site` (`why` when that call itself is the reason), or a root with its own witnesses. */
  type Link = { site: number; why?: string } | { root: Witness[] };
  const someCaller = (pred: (site: number, caller: number) => string | undefined): Map<number, Link> => {
    const out = new Map<number, Link>();
    let changed = true;
    for (let round = 0; changed && round < MAX_CHAIN; round++) {
      changed = false;
      for (const f of active) {
        if (out.has(f)) continue;
        for (let k = g.callerStart[f]; k < g.callerStart[f + 1]; k++) {
          const site = g.callerSite[k];
          const caller = from(k);
          const why = pred(site, caller);
          if (why) {
            out.set(f, { site, why });
            changed = true;
            break;
          }
          if (out.has(caller)) {
            out.set(f, { site });
            changed = true;
            break;
          }
        }
      }
    }
    return out;
  };
  const chain = (links: Map<number, Link>, f: number): Witness[] | undefined => {
    const out: Witness[] = [];
    for (let cur = f, i = 0; i <= MAX_CHAIN; i++) {
      const l = links.get(cur);
      if (!l) break;
      if ('root' in l) return [...out, ...l.root];
      const caller = g.siteFn[l.site];
      out.push(g.siteWitness(l.site, l.why ?? `'${g.name(caller)}()' calls '${g.name(cur)}()'`));
      if (l.why) return out;
      cur = caller;
    }
    return out.length ? out : undefined;
  };
  const lockW = someCaller((site, caller) => {
    const h = g.extra.get(site)?.held;
    return h ? `'${g.name(caller)}()' calls it holding '${h.what}${h.lock ? `(${h.lock})` : ''}'` : undefined;
  });
  const atomicW = someCaller((site, caller) => {
    const a = g.extra.get(site)?.atomic;
    return a ? `'${g.name(caller)}()' calls it in an atomic section (${a})` : undefined;
  });
  const transW = someCaller((site, caller) => {
    const t = g.transaction.get(caller);
    if (t) return `'${g.name(caller)}()' holds a transaction handle ${t}`;
    const s = g.extra.get(site)?.mayScope;
    return s ? `'${g.name(caller)}()' calls it inside the ${s.kind} scope of ${describeOpener(s.opener)} on some path` : undefined;
  });

  // Reached, directly or through callers, from an ops slot that runs in reclaim or writeback or
  // with VFS locks held.
  const ownSlots = new Map<number, Witness[] | undefined>();
  const ownSlot = (f: number): Witness[] | undefined => {
    if (!g.slots.has(f)) return undefined;
    if (!ownSlots.has(f)) {
      const info = g.slots.get(f)!.map((sl) => slotContext(sl.structType, sl.slot)).find((i) => i && i.context !== 'process');
      ownSlots.set(f, info ? [{ file: g.file(f), rng: g.nameRng(f), note: info.why }] : undefined);
    }
    return ownSlots.get(f);
  };
  const reclaimW = someCaller((_site, caller) => {
    const own = ownSlot(caller);
    return own ? `'${g.name(caller)}()' is reached through ${own[0].note}` : undefined;
  });
  for (const f of active) {
    const own = reclaimW.has(f) ? undefined : ownSlot(f);
    if (own) reclaimW.set(f, { root: own });
  }

  // Every context a function runs in is visible when its callers are all known and their own
  // contexts are visible, up to roots entered through a process-context ops slot (greatest
  // fixpoint; a function reached from anything gfplint cannot see is not visible).
  const processRoot = (f: number) => {
    const slots = g.slots.get(f);
    return slots !== undefined && slots.every((sl) => slotContext(sl.structType, sl.slot) !== undefined);
  };
  const visible = new Uint8Array(g.n);
  for (const f of active) if (!g.has(f, UNKNOWN_CALLERS) && (g.callerCount(f) > 0 || processRoot(f))) visible[f] = 1;
  for (let changed = true; changed;) {
    changed = false;
    for (const f of active) {
      if (!visible[f]) continue;
      for (let k = g.callerStart[f]; k < g.callerStart[f + 1]; k++) {
        if (visible[from(k)]) continue;
        visible[f] = 0;
        changed = true;
        break;
      }
    }
  }

  const out = new Map<number, CalledContext>();
  for (const f of active) {
    if (!wanted(f)) continue;
    const scopes = kinds
      .map((kind) => ({ kind, via: scopeWitness.get(kind)!.get(f) }))
      .filter((x): x is { kind: ScopeKind; via: Witness[] } => x.via !== undefined);
    const ctx: CalledContext = { scopes, unknownCallers: !visible[f], knownCallers: g.callerCount(f) };
    const lw = chain(lockW, f);
    if (lw) ctx.lockWitness = lw;
    const aw = chain(atomicW, f);
    if (aw) ctx.atomicWitness = aw;
    const tw = chain(transW, f);
    if (tw) ctx.transactionWitness = tw;
    const reclaim = chain(reclaimW, f);
    if (reclaim) ctx.reclaimSlot = reclaim;
    const proc = g.slots.get(f)?.map((s) => slotContext(s.structType, s.slot)).find((i) => i?.context === 'process');
    if (proc) ctx.processSlot = [{ file: g.file(f), rng: g.nameRng(f), note: proc.why }];
    if (g.has(f, NOFS_SITES)) callerFacts(g, f, ctx);
    out.set(f, ctx);
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
function maySleepSummaries(g: Graph, active: Int32Array): Map<number, Witness[]> {
  const out = new Map<number, Witness[]>();
  const eligible = active.filter((f) => g.has(f, PRECISE) && !g.has(f, RELEASES_LOCKS));
  for (const f of eligible) {
    const s = g.sleeps.get(f);
    if (s) out.set(f, [s]);
  }
  let changed = true;
  for (let round = 0; changed && round < MAX_CHAIN; round++) {
    changed = false;
    for (const f of eligible) {
      if (out.has(f)) continue;
      for (let site = g.fnSiteStart[f]; site < g.fnSiteStart[f + 1]; site++) {
        const to = g.siteTarget[site];
        if (to < 0 || !(g.siteFlags[site] & SITE_ALWAYS) || g.extra.get(site)?.atomic) continue;
        const w = out.get(to);
        if (w && w.length < MAX_CHAIN) {
          out.set(f, [g.siteWitness(site, `'${g.name(f)}()' calls '${g.name(to)}()'`), ...w]);
          changed = true;
          break;
        }
      }
    }
  }
  return out;
}

/** Callers visited per function when gathering what its caller chains hold. */
const MAX_CALLERS_VISITED = 400;

/**
 * For a function with NOFS/NOIO sites: every known caller, the arguments callers pass as NULL,
 * the sleeping locks some caller chain holds at the call (by class, with the chain), and the
 * entry points it is reached from, walking callers breadth-first up to MAX_CHAIN calls.
 */
function callerFacts(g: Graph, f: number, ctx: CalledContext): void {
  ctx.callersKnown = !g.has(f, UNKNOWN_CALLERS) && g.callerCount(f) > 0;
  const all: Witness[] = [];
  const nulls = new Set<number>();
  for (let k = g.callerStart[f]; k < g.callerStart[f + 1]; k++) {
    const site = g.callerSite[k];
    if (all.length < 20) all.push(g.siteWitness(site, `'${g.name(g.siteFn[site])}()' calls '${g.name(f)}()' here`));
    for (const i of g.extra.get(site)?.nullArgs ?? []) nulls.add(i);
  }
  if (all.length) ctx.allCallerSites = all;
  if (nulls.size) ctx.nullArgs = [...nulls].sort((a, b) => a - b);
  const locks = new Map<string, { cls: string; lock: string; via: Witness[] }>();
  const entries: Witness[] = [];
  const chainOf = new Map<number, Witness[]>([[f, []]]);
  const queue = [f];
  for (let qi = 0; qi < queue.length && chainOf.size < MAX_CALLERS_VISITED; qi++) {
    const cur = queue[qi];
    const below = chainOf.get(cur)!;
    if (g.callerCount(cur) === 0 && cur !== f && entries.length < 5) {
      entries.push({ file: g.file(cur), rng: g.nameRng(cur), note: `'${g.name(cur)}()' is the entry point of this chain${g.has(cur, UNKNOWN_CALLERS) ? ' (called from outside the scanned code)' : ''}` });
    }
    if (!ctx.hiddenCaller && g.has(cur, UNKNOWN_CALLERS)) {
      const why = g.has(cur, EXPORTED) ? 'is exported' : g.slots.has(cur) ? 'has its address taken where gfplint cannot follow it' : 'is never called in the scanned code';
      ctx.hiddenCaller = { file: g.file(cur), rng: g.nameRng(cur), note: `'${g.name(cur)}()' ${why}${cur === f ? '' : `, and calls lead from it to '${g.name(f)}()'`}` };
    }
    if (below.length >= MAX_CHAIN) continue;
    for (let k = g.callerStart[cur]; k < g.callerStart[cur + 1]; k++) {
      const site = g.callerSite[k];
      const caller = g.siteFn[site];
      // A call inside a NOFS/NOIO scope: whatever is held above it cannot recurse through reclaim.
      if (g.extra.get(site)?.scopes?.some((x) => x.kind === 'nofs' || x.kind === 'noio')) continue;
      const step = [g.siteWitness(site, `'${g.name(caller)}()' calls '${g.name(cur)}()'`), ...below];
      const b = g.begins.get(caller);
      if (b && !b.scope && !ctx.callerBegins) {
        ctx.callerBegins = [g.siteWitness(site, `'${g.name(caller)}()' calls '${g.name(cur)}()' and begins a transaction with '${b.what}()' (line ${b.line + 1})`), ...below];
      }
      for (const l of g.extra.get(site)?.locks ?? []) {
        if (!locks.has(l.cls)) locks.set(l.cls, { cls: l.cls, lock: l.lock, via: [g.siteWitness(site, `'${g.name(caller)}()' calls '${g.name(cur)}()' holding '${l.lock}' (${l.what}())`), ...below] });
      }
      if (chainOf.has(caller)) continue;
      chainOf.set(caller, step);
      queue.push(caller);
    }
  }
  if (locks.size) ctx.callerLocks = [...locks.values()];
  if (entries.length) ctx.entryPoints = entries;
}

/** Calls followed down from a reclaim entry point. */
const RECLAIM_DEPTH = 6;

/**
 * What direct reclaim can reach (reclaim-reach.md §1–§4): from every function stored in a reclaim
 * slot (src/model/reclaim.ts), down the resolved calls, the sleeping locks taken (by class) and
 * the transaction begins, each with its chain from the entry.
 */
function reclaimReach(g: Graph): ReclaimReach {
  const chain = new Map<number, Witness[]>();
  const queue: number[] = [];
  const entries: Witness[] = [];
  const filesystems = new Set<string>();
  for (const [f, slots] of g.slots) {
    const e = slots.map((s) => reclaimEntry(s.structType, s.slot)).find((x) => x !== undefined);
    if (!e) continue;
    const w: Witness = { file: g.file(f), rng: g.nameRng(f), note: `'${g.name(f)}()' is the '${e.slot}' of a struct ${e.structType}: ${e.why}` };
    chain.set(f, [w]);
    queue.push(f);
    entries.push(w);
    const dir = /^(?:.*\/)?(fs\/[^/]+|mm|drivers\/[^/]+|net\/[^/]+)\//.exec(g.file(f));
    if (dir) filesystems.add(dir[1]);
  }
  const entryCount = queue.length;
  // Independent of the order records came in (a scan of a few files against the stored tree).
  entries.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.rng[0] - b.rng[0]));
  entries.splice(10);
  const takes = new Map<string, Witness[]>();
  let begins: Witness[] | undefined;
  for (let qi = 0; qi < queue.length; qi++) {
    const f = queue[qi];
    const here = chain.get(f)!;
    for (const t of g.takes.get(f) ?? []) {
      if (!takes.has(t.cls)) takes.set(t.cls, [...here, { file: g.file(f), rng: [t.line, 0, t.line, 0], note: `'${g.name(f)}()' takes '${t.cls}' with '${t.what}()'` }]);
    }
    const b = g.begins.get(f);
    if (b && !begins) begins = [...here, { file: g.file(f), rng: [b.line, 0, b.line, 0], note: `'${g.name(f)}()' begins a transaction with '${b.what}()'` }];
    if (here.length > RECLAIM_DEPTH) continue;
    for (let s = g.fnSiteStart[f]; s < g.fnSiteStart[f + 1]; s++) {
      const to = g.siteTarget[s];
      if (to < 0 || chain.has(to)) continue;
      chain.set(to, [...here, g.siteWitness(s, `'${g.name(f)}()' calls '${g.name(to)}()'`)]);
      queue.push(to);
    }
  }
  return { entryCount, entries, filesystems: [...filesystems].sort(), takes: [...takes].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)), ...(begins ? { begins } : {}) };
}

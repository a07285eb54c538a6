/**
 * The pipeline every front end calls: discover files → read → parse and extract facts → build
 * the model for the kernel version → analyse each function → interprocedural view → rules →
 * suppressions → sorted diagnostics.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { AnalysisTimeout, analyzeFunction } from '../function/analyze.js';
import type { FunctionView } from '../function/view.js';
import { createModel, type Model } from '../model/context.js';
import { builtinGfpTable, loadTreeGfpTable, withAliases } from '../model/gfp-tables.js';
import { NEWEST_MODELLED, parseKernelVersion, type KernelVersion } from '../model/version.js';
import type { Expr } from '../syntax/expr.js';
import type { CommentFact, FileFacts, FunctionFacts } from '../syntax/facts.js';
import { diskInputs, findKernelRoot, sourceInputs } from '../program/inputs.js';
import { globalViewData, viewFromData, type ViewData } from '../program/global-view.js';
import type { ProgramView } from '../program/program-view.js';
import { buildProgram, Inferred, inferShard, summarizeFiles, type FileSummaryRecord, type Program } from '../program/program.js';
import { analysisDigest, databasePath, isDatabaseError, ProgramDb } from '../program/database.js';
import { codeDigest, defaultCacheDir } from '../program/facts-cache.js';
import { extractSource, readSource } from '../program/source.js';
import { closePool, collectFacts, shardContentLines, unchangedDigest, type CollectResult } from '../program/workers.js';
import { callsAny, defaultWiden, nameHash, widenModelNames } from '../program/prescan.js';
import { memoKey, readMemo, statText, writeMemo } from './result-memo.js';
import { digestOf, hasArrays, LoggedMap, ShardMemo } from './shard-memo.js';
import { compareDiagnostics, type Diagnostic } from './diagnostic.js';
import { HeapExhausted, HeapGuard } from './heap-guard.js';
import type { LintOptions, LintResult, SiteVerdict } from './lint-types.js';
import { addSites, SITE_FACTS, sortSites } from './sites.js';
import { resolveRuleSelection } from './registry.js';
import { holdsAnyFact, type Rule } from './rule.js';
import { checkViews } from './check.js';
import { addToInventory, emptyInventory, INVENTORY_FACTS, sortInventory } from './inventory.js';
import { applySuppressions } from './suppressions.js';
import { toolVersion } from './tool-info.js';

export const DEFAULT_FILE_TIMEOUT_MS = 5000;

/** GFPLINT_TIMING=1: the time and heap of each stage on stderr (for profiling, not for users). */
let lastMark = performance.now();
function timing(stage: string): void {
  if (!process.env.GFPLINT_TIMING) return;
  const now = performance.now();
  process.stderr.write(`gfplint timing: ${stage}: ${((now - lastMark) / 1000).toFixed(1)} s, heap ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MB, rss ${(process.memoryUsage().rss / 1048576).toFixed(0)} MB\n`);
  lastMark = now;
}

export { findKernelRoot, shardBase } from '../program/inputs.js';

export class LintError extends Error {}

export interface AnalysedFile {
  path: string;
  facts: FileFacts;
}

export function buildModel(opts: { kernelVersion?: string; treeRoot?: string; treeVersion?: KernelVersion; aliases?: Map<string, Expr> }): { model: Model; unresolvedAliases: string[] } {
  let version: KernelVersion = opts.treeVersion ?? NEWEST_MODELLED;
  if (opts.kernelVersion) {
    const v = parseKernelVersion(opts.kernelVersion);
    if ('error' in v) throw new LintError(v.error);
    version = v;
  }
  const base = (opts.treeRoot && loadTreeGfpTable(opts.treeRoot, version)) || builtinGfpTable(version);
  const { table, unresolved } = withAliases(base, opts.aliases ?? new Map());
  return { model: createModel(version, table), unresolvedAliases: unresolved };
}


export async function lint(opts: LintOptions): Promise<LintResult> {
  try {
    return await lintRun(opts);
  } catch (e) {
    if (e instanceof HeapExhausted) throw new LintError(e.message);
    throw e;
  }
}

async function lintRun(opts: LintOptions): Promise<LintResult> {
  lastMark = performance.now();
  const t0 = performance.now();
  const skipped: { file: string; reason: string }[] = [];
  const skip = (file: string, reason: string) => {
    skipped.push({ file, reason });
    opts.onSkip?.(file, reason);
  };
  const selection = resolveRuleSelection(opts.rules, opts.disable);
  if ('error' in selection) throw new LintError(selection.error);
  const rules: Rule[] = selection;

  // 1. Inputs.
  const given = opts.paths?.length ? opts.paths : ['.'];
  const { files: inputs, treeRoot, treeVersion, scansTree } = opts.sources ? sourceInputs(opts.sources, opts.cwd, opts.treeRoot) : await diskInputs(given, opts.cwd, skip);

  // 2-4 per shard: a large tree is analysed subsystem by subsystem so that memory stays bounded
  // (facts and views of one shard are dropped before the next). The whole-program stage needs
  // every function at once, so it works on compact summaries: pass A analyses each shard and
  // keeps only its summaries and what inference learnt; the global call graph and calling
  // contexts are built over all of them (plus, for a partial scan, the stored summaries of the
  // rest of the tree); pass B analyses each shard again and runs the rules against that global
  // view. A run of one shard keeps its views and needs no pass B.
  const budget = opts.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const aliases = new Map<string, Expr>();
  /** The file defining each alias (the database keeps aliases with their file). */
  const aliasOrigin = new Map<string, string>();
  const raw: Diagnostic[] = [];
  const inventory = emptyInventory();
  const sites: SiteVerdict[] = [];
  const unresolved: Record<string, number> = {};
  const directives = new Map<string, CommentFact[]>();
  let allocationSites = 0;
  let functions = 0;
  let filesScanned = 0;
  let cacheHits = 0;
  let model = buildModel({ kernelVersion: opts.kernelVersion, treeRoot, treeVersion }).model;
  const shards = shardInputs(inputs, opts.shardFiles);
  const guard = new HeapGuard(opts.shardFiles ?? SHARD_FILES);
  const trimHeap = () => guard.beforeBatch();
  const twoPass = shards.length > 1;
  let total = inputs.length;
  let done = 0;
  const skippedOnce = new Set<string>();
  const skipOnce = (file: string, reason: string) => {
    if (skippedOnce.has(file)) return;
    skippedOnce.add(file);
    skip(file, reason);
  };
  /** A skip remembered by a shard memo, reported again as it was the first time. */
  const replaySkip = (x: { file: string; reason: string }) => {
    skippedOnce.add(x.file);
    skip(x.file, x.reason);
  };

  // The facts of pass A must still be there for pass B: without a cache, a private one lives for this run.
  const privateCache = twoPass && opts.noCache && !opts.sources ? mkdtempSync(path.join(os.tmpdir(), 'gfplint-run-')) : undefined;
  const collectOpts = {
    cwd: opts.cwd, paths: opts.paths, jobs: opts.jobs, cacheDir: privateCache ?? opts.cacheDir, noCache: privateCache ? false : opts.noCache,
    fileTimeoutMs: budget, signal: opts.signal, toolVersion: toolVersion(),
  };
  // One widening for the whole run: a file that only calls a function of another shard which
  // allocates is parsed too, as it would be were the tree one shard (see the catch-up below).
  const widenKnown = new Set<string>();
  const widenNames = widenModelNames();
  /** The names widening asked for (functions other files may call). */
  const widenShared = new Set<string>();
  const widen = (files: readonly { path?: string; facts: FileFacts }[]) => {
    const fresh = defaultWiden(files, widenKnown, widenNames);
    for (const n of fresh) widenShared.add(n);
    return fresh;
  };
  const collect = async (shard: typeof inputs, again = false) => {
    const o = again ? { ...collectOpts, statIndex: false, widen: false as const, force: true } : { ...collectOpts, widen };
    const collected = await collectFacts(shard, o, skipOnce, opts.onProgress ? (d, _t) => opts.onProgress!(done + d, total) : undefined);
    done += shard.length;
    if (opts.signal?.aborted) throw new LintError('interrupted');
    return collected;
  };
  const inferred = new Inferred();
  if (opts.declared) inferred.declare(opts.declared);
  const modelFor = (file: string) => inferred.modelFor(model, file);
  // Each file within its time budget: a file over it is reported and dropped whole, never half-used.
  const analyse = (files: AnalysedFile[]) => {
    const views: FunctionView[] = [];
    const analysed: AnalysedFile[] = [];
    for (const f of files) {
      const t1 = performance.now();
      try {
        const m = modelFor(f.path);
        const fileViews = f.facts.functions.map((fn) => analyzeFunction(fn, f.path, m, { deadline: t1 + budget }));
        for (const v of fileViews) views.push(v); // not push(...): a file may hold 100,000s of functions
        analysed.push(f);
      } catch (e) {
        const ms = (performance.now() - t1).toFixed(0);
        // A bug in the analysis of one file must not end the run either: the file is dropped as
        // extractSource drops one whose extraction throws.
        skipOnce(f.path, e instanceof AnalysisTimeout ? `over the time budget while analysing '${e.functionName}' (${ms} ms)` : `analysis failed: ${(e as Error).message}`);
      }
    }
    return { views, analysed };
  };

  /** Allocation sites per analysed file, so that settling (below) can count a file again. */
  const sitesOf = new LoggedMap<string, number>();
  const count = (analysed: AnalysedFile[], views: FunctionView[]) => {
    filesScanned += analysed.length;
    functions += views.length;
    for (const fv of views) {
      allocationSites += fv.allocations.length;
      for (const a of fv.allocations) if (a.gfp.kind === 'unknown') for (const u of a.gfp.unresolved) unresolved[u] = (unresolved[u] ?? 0) + 1;
    }
    for (const [f, n] of sitesPerFile(analysed, views)) sitesOf.set(f, n);
    for (const f of analysed) if (f.facts.directives.length) directives.set(f.path, f.facts.directives);
  };

  const cacheDir = path.resolve(opts.cwd, opts.cacheDir ?? defaultCacheDir());
  // The program database of the tree (program/database.ts): never opened without the cache.
  // Summaries made with declared allocators or providers are kept apart from the tree's own.
  const db = treeRoot && !opts.noCache ? ProgramDb.open(databasePath(cacheDir, toolVersion() + (opts.declared ? `+${opts.declared.digest}` : ''), treeRoot), treeRoot, opts.cwd) : undefined;
  try {
    return await lintWith(db);
  } catch (e) {
    // A database found damaged (or unwritable) in use is set aside, and the run done without it.
    if (!db || !isDatabaseError(e)) throw e;
    db.discard();
    return await lintWith(undefined);
  } finally {
    db?.close();
  }
  async function lintWith(db: ProgramDb | undefined): Promise<LintResult> {

  // A re-run with nothing changed is answered from the remembered result (result-memo.ts).
  const memoable = !opts.sources && !opts.noCache && opts.rememberResults !== false;
  const currentKey = () => {
    const digest = unchangedDigest(shards, { cwd: opts.cwd, paths: opts.paths, cacheDir: opts.cacheDir, toolVersion: toolVersion() });
    if (!digest) return undefined;
    const inTree = (...p: string[]) => (treeRoot ? path.join(treeRoot, ...p) : undefined);
    return memoKey({
      inputsDigest: digest, toolVersion: toolVersion(),
      options: { rules: rules.map((r) => r.id), kernelVersion: opts.kernelVersion, declared: opts.declared?.digest, budget, shardFiles: opts.shardFiles, cwd: path.resolve(opts.cwd), paths: opts.paths, db: db?.generation() },
      dependsOn: [inTree('include', 'linux', 'gfp_types.h'), inTree('include', 'linux', 'gfp.h'), inTree('Makefile')],
    });
  };
  if (memoable) {
    const key = currentKey();
    const hit = key ? readMemo(cacheDir, key) : undefined;
    if (hit) {
      for (const s of hit.skipped) opts.onSkip?.(s.file, s.reason);
      opts.onProgress?.(inputs.length, inputs.length);
      return { ...hit, stats: { ...hit.stats, seconds: (performance.now() - t0) / 1000, remembered: true } };
    }
  }

  // What the rest of the tree taught inference (a wrapper defined elsewhere) holds here too;
  // its summaries are read when the global view is built.
  // So do the GFP aliases other files define. A run over the whole tree re-infers all of it.
  const stored = db?.populated() ? db.inferred() : undefined;
  const scanning = new Set(inputs.map((i) => i.path));
  if (stored && db) {
    inferred.absorb(stored, (file) => !scanning.has(file));
    for (const a of db.aliases()) {
      if (scanning.has(a.origin) || aliases.has(a.name)) continue;
      aliases.set(a.name, a.expr);
      aliasOrigin.set(a.name, a.origin);
    }
    if (aliases.size) model = buildModel({ kernelVersion: opts.kernelVersion, treeRoot, treeVersion, aliases }).model;
  }

  // Per-shard memos: only a tree cut into shards, with the cache on.
  const memo = memoable && twoPass ? new ShardMemo(cacheDir) : undefined;
  let rememberedShards = 0;
  const contentOpts = { cwd: opts.cwd, paths: opts.paths, cacheDir: opts.cacheDir, toolVersion: toolVersion() };
  const inTree = (...p: string[]) => (treeRoot ? path.join(treeRoot, ...p) : undefined);
  /** What every shard memo depends on besides its shard: gfplint's code, the options, the tree's GFP header and Makefile. */
  // Pass A picks pass B's functions by the facts the selected rules start from (mayReport()).
  const startFacts = [...new Set(rules.flatMap((r) => r.startsFrom))].sort();
  const runKey = memo ? digestOf(toolVersion(), analysisDigest(), codeDigest(), opts.kernelVersion ?? '', budget, opts.cwd,
    [inTree('include', 'linux', 'gfp_types.h'), inTree('include', 'linux', 'gfp.h'), inTree('Makefile')].map(statText), startFacts) : '';

  /** How the program database served this run (LintStats.database). */
  let answers: 'whole' | 'stored' | 'closure' = 'whole';
  try {
    // Pass A.
    // As deflated JSON lines until the global view is built: a buffer costs the garbage collector
    // nothing, while the same summaries as objects made it mark a gigabyte at every major
    // collection (and as text they took 700 MB).
    const summaryChunks: Buffer[] = [];
    /** Every function name defined in the run: a call to anything else cannot lead to a summary. */
    const defined = new Set<string>();
    /** The files those summaries describe. */
    const scannedPaths = new Set<string>();
    /** For pass B: the functions of each file that a rule could report on, by index. */
    const again = new LoggedMap<string, Set<number>>();
    /**
     * Settling: the summary chunk from which each globally inferred name (wrapper, provider,
     * closer, lock wrapper) was known; the chunk holding each file's current record (a file
     * analysed again has a newer one); the name hashes of the callees that record lists.
     */
    const nameEpoch = new LoggedMap<string, number>();
    const chunkOf = new LoggedMap<string, number>();
    const callsOf = new LoggedMap<string, number[]>();
    let single: { analysed: AnalysedFile[]; views: FunctionView[] } | undefined;
    const trivial = new Map<string, number[]>();
    const passA = (collected: CollectResult) => {
      cacheHits += collected.stats.cacheHits;
      for (const t of collected.trivial) trivial.set(t.path, t.calls);
      // Model: version, GFP table from the tree, aliases defined by macro in scanned files
      // (include/ is analysed first, so its aliases reach every later shard).
      for (const f of collected.files) {
        for (const m of f.facts.macros) {
          if (aliases.has(m.name)) continue;
          aliases.set(m.name, m.expr);
          aliasOrigin.set(m.name, f.path);
        }
      }
      model = buildModel({ kernelVersion: opts.kernelVersion, treeRoot, treeVersion, aliases }).model;
      const { views, analysed } = analyse(collected.files);
      const current = inferAndSummarize(views, analysed);
      count(analysed, current);
      if (!twoPass) single = { analysed, views: current };
      else selectAgain(analysed, current);
    };
    /** Inference over one batch, then its summaries as the next chunk; returns the final views. */
    const inferAndSummarize = (views: FunctionView[], analysed: AnalysedFile[]) => {
      const sizes = inferredMaps.map((m) => m.size);
      const current = inferShard(views, model, inferred, true);
      // What this batch inferred is known to its own chunk and to every later one.
      const epoch = summaryChunks.length;
      inferredMaps.forEach((m, i) => {
        for (const k of tail(m.keys(), sizes[i])) if (k.startsWith('\0')) nameEpoch.set(k.slice(1), epoch);
      });
      const lines: string[] = [];
      for (const s of summarizeFiles(analysed, current, modelFor)) {
        if (!s.functions.length && !s.exported.length && !s.addressTaken.length) continue;
        const callees = new Set<number>();
        for (const fn of s.functions) {
          defined.add(fn.name);
          for (const c of fn.calls) callees.add(nameHash(c.callee));
        }
        scannedPaths.add(s.path);
        chunkOf.set(s.path, epoch);
        callsOf.set(s.path, [...callees]);
        lines.push(JSON.stringify(s));
      }
      if (lines.length) summaryChunks.push(deflateRawSync(lines.join('\n'), { level: 1 }));
      return current;
    };
    /** For pass B: the functions of each analysed file that a rule could report on. */
    const selectAgain = (analysed: AnalysedFile[], current: FunctionView[]) => {
      const indexOf = new Map<FunctionFacts, number>();
      for (const f of analysed) f.facts.functions.forEach((fn, i) => indexOf.set(fn, i));
      const sets = new Map<string, Set<number>>(analysed.map((f) => [f.path, new Set<number>()]));
      for (const v of current) if (mayReport(v, rules)) sets.get(v.file)?.add(indexOf.get(v.facts)!);
      for (const [f, set] of sets) if (set.size || again.has(f)) again.set(f, set);
    };
    // Per-shard memos (shard-memo.ts): what a shard's pass A added to the run's state, keyed by
    // its files' content and the state the shards before it left (`chain`).
    const inferredMaps = [inferred.wrappers, inferred.providers, inferred.closers, inferred.lockWrappers] as Map<string, unknown>[];
    const mark = () => ({
      inferred: inferredMaps.map((m) => m.size), aliases: aliases.size, aliasOrigin: aliasOrigin.size, widenKnown: widenKnown.size, widenShared: widenShared.size,
      defined: defined.size, scannedPaths: scannedPaths.size, again: again.log.length, trivialKeys: new Set(trivial.keys()), chunks: summaryChunks.length,
      sitesOf: sitesOf.log.length, nameEpoch: nameEpoch.log.length, chunkOf: chunkOf.log.length, callsOf: callsOf.log.length,
      skipped: skipped.length, directives: directives.size, filesScanned, functions, allocationSites, cacheHits, total, unresolved: { ...unresolved },
    });
    function tail<T>(it: Iterable<T>, from: number) {
      return [...it].slice(from);
    }
    const capture = (m: ReturnType<typeof mark>) => ({
      inferred: inferredMaps.map((map, i) => tail(map, m.inferred[i]).map(([k, v]) => [k, v, inferred.origin.get(k)] as [string, unknown, string | undefined])),
      aliases: tail(aliases, m.aliases), aliasOrigin: tail(aliasOrigin, m.aliasOrigin), widenKnown: tail(widenKnown, m.widenKnown), widenShared: tail(widenShared, m.widenShared),
      defined: tail(defined, m.defined), scannedPaths: tail(scannedPaths, m.scannedPaths),
      again: again.since(m.again).map(([f, set]) => [f, [...set]] as [string, number[]]),
      // Chunk indices relative to the first chunk of the step: a replay may start at another.
      sitesOf: sitesOf.since(m.sitesOf), nameEpoch: relative(nameEpoch.since(m.nameEpoch), -m.chunks), chunkOf: relative(chunkOf.since(m.chunkOf), -m.chunks),
      callsOf: callsOf.since(m.callsOf),
      trivial: [...trivial].filter(([k]) => !m.trivialKeys.has(k)), trivialGone: [...m.trivialKeys].filter((k) => !trivial.has(k)),
      chunks: summaryChunks.slice(m.chunks).map((b) => b.toString('base64')),
      skipped: skipped.slice(m.skipped), directives: tail(directives, m.directives),
      counts: [filesScanned - m.filesScanned, functions - m.functions, allocationSites - m.allocationSites, cacheHits - m.cacheHits, total - m.total],
      unresolved: Object.entries(unresolved).map(([k, v]) => [k, v - (m.unresolved[k] ?? 0)] as [string, number]).filter(([, d]) => d !== 0),
    });
    type PassARecord = ReturnType<typeof capture>;
    const validPassA = (v: unknown): v is PassARecord => hasArrays<PassARecord>('inferred', 'aliases', 'aliasOrigin', 'widenKnown', 'widenShared', 'defined', 'scannedPaths', 'again', 'sitesOf', 'nameEpoch', 'chunkOf', 'callsOf',
      'trivial', 'trivialGone', 'chunks', 'skipped', 'directives', 'counts', 'unresolved')(v) && v.inferred.length === inferredMaps.length && v.counts.length === 5;
    const replay = (a: PassARecord) => {
      a.inferred.forEach((entries, i) => {
        for (const [k, v, from] of entries) {
          inferredMaps[i].set(k, v);
          if (from !== undefined) inferred.origin.set(k, from);
        }
      });
      for (const [k, v] of a.aliases) aliases.set(k, v);
      for (const [k, v] of a.aliasOrigin) aliasOrigin.set(k, v);
      if (a.aliases.length) model = buildModel({ kernelVersion: opts.kernelVersion, treeRoot, treeVersion, aliases }).model;
      for (const n of a.widenKnown) widenKnown.add(n);
      for (const n of a.widenShared) widenShared.add(n);
      for (const n of a.defined) defined.add(n);
      for (const p of a.scannedPaths) scannedPaths.add(p);
      for (const [f, idx] of a.again) again.set(f, new Set(idx));
      const base = summaryChunks.length;
      for (const [f, n] of a.sitesOf) sitesOf.set(f, n);
      for (const [n, e] of a.nameEpoch) nameEpoch.set(n, e + base);
      for (const [f, k] of a.chunkOf) chunkOf.set(f, k + base);
      for (const [f, c] of a.callsOf) callsOf.set(f, c);
      for (const [f, calls] of a.trivial) trivial.set(f, calls);
      for (const f of a.trivialGone) trivial.delete(f);
      for (const c of a.chunks) summaryChunks.push(Buffer.from(c, 'base64'));
      for (const x of a.skipped) replaySkip(x);
      for (const [f, d] of a.directives) directives.set(f, d);
      filesScanned += a.counts[0];
      functions += a.counts[1];
      allocationSites += a.counts[2];
      cacheHits += a.counts[3];
      total += a.counts[4];
      for (const [k, d] of a.unresolved) unresolved[k] = (unresolved[k] ?? 0) + d;
    };
    /** The part of a record that later shards depend on. */
    const stateOf = (a: PassARecord) => [a.inferred, a.aliases, a.widenKnown, a.widenShared];
    let chain = memo ? digestOf(runKey, inferredMaps.map((m) => [...m]), [...inferred.origin]) : '';
    /**
     * Replays the record remembered under `keyOf(chain)`, or computes it and remembers it. The key
     * is asked for again after computing: a cold run's stat indexes know a shard's files only
     * once they have been read. True on a hit.
     */
    const remembered = async (keyOf: (incoming: string) => string | undefined, compute: () => Promise<void>): Promise<boolean> => {
      const incoming = chain;
      const key = memo ? keyOf(incoming) : undefined;
      const hit = key ? memo!.read(key, validPassA) : undefined;
      if (hit) {
        replay(hit);
        chain = digestOf(incoming, stateOf(hit));
        rememberedShards++;
        return true;
      }
      const m = memo ? mark() : undefined;
      await compute();
      if (m) {
        const rec = capture(m);
        const after = key ?? keyOf(incoming);
        if (after) memo!.write(after, rec);
        chain = digestOf(incoming, stateOf(rec));
      }
      return false;
    };
    /** Each shard's file hashes, once the stat index knows them all (read once per run). */
    const contentLines: (string[] | undefined)[] = shards.map(() => undefined);
    // Only with memos: a run without the cache reads no stat index (not even the default one).
    const contentOf = (i: number) => (memo ? (contentLines[i] ??= shardContentLines(shards[i], contentOpts)) : undefined);
    /** This run's current summaries with the index of their chunk, one file at a time (a settled file's old record is skipped). */
    const currentRecords = function* (): Generator<[FileSummaryRecord, number]> {
      for (const [k, chunk] of summaryChunks.entries()) {
        for (const line of inflateRawSync(chunk).toString('utf8').split('\n')) {
          const r = JSON.parse(line) as FileSummaryRecord;
          if (chunkOf.get(r.path) === k) yield [r, k];
        }
      }
    };
    for (let i = 0; i < shards.length; i++) {
      // A shard larger than what the heap allows now is cut in two (the output does not depend on the cut).
      trimHeap();
      const [first, rest] = guard.take(shards[i]);
      if (rest.length) {
        shards.splice(i, 1, first, rest);
        contentLines.splice(i, 1, undefined, undefined);
      }
      const shard = shards[i];
      const hit = await remembered((incoming) => {
        const content = contentOf(i);
        return content && digestOf('A', runKey, content, incoming);
      }, async () => {
        const c = await collect(shard);
        timing(`collect ${shard[0]?.path} (${shard.length} files, ${c.stats.parsed} parsed, ${c.stats.cacheHits} cached, ${c.stats.widened} widened)`);
        passA(c);
        guard.afterBatch(shard.length);
      });
      if (hit) {
        done += shard.length;
        opts.onProgress?.(done, total);
      }
      timing(hit ? `remembered ${shard[0]?.path}` : 'analyse');
      await new Promise((r) => setImmediate(r));
    }
    timing('pass A');
    // Widening catch-up: trivial files of earlier shards that call a function a later shard
    // found interesting, until nothing new is found. Remembered as one unit, keyed by the content
    // of every file it may parse (the trivial ones).
    const trivialBefore = [...trivial];
    const trivialPaths = new Set(trivial.keys());
    await remembered((incoming) => {
      const parts = shards.map((_, i) => contentOf(i)?.filter((l) => trivialPaths.has(l.slice(0, l.indexOf('\0')))));
      return parts.every((d) => d !== undefined) ? digestOf('catch-up', runKey, parts, trivialBefore, incoming) : undefined;
    }, async () => {
      for (let wanted = new Set([...widenShared].map((n) => nameHash(n))); twoPass && wanted.size;) {
        const late = inputs.filter((i) => trivial.has(i.path) && callsAny(trivial.get(i.path)!, wanted));
        if (!late.length) break;
        for (const l of late) trivial.delete(l.path);
        filesScanned -= late.length; // counted once already, as trivial
        trimHeap();
        const before = new Set(widenShared);
        total += late.length;
        const collected = await collect(late, true);
        widen(collected.files);
        passA(collected);
        wanted = new Set([...widenShared].filter((n) => !before.has(n)).map((n) => nameHash(n)));
      }
    });
    timing('catch-up');

    // Settling. A shard is analysed with what the shards before it inferred, so a function that
    // calls a wrapper, provider or lock wrapper defined in a later shard (drivers/net/usb/ calling
    // usb_submit_urb() of drivers/usb/core/) was analysed without knowing it. Such files are
    // analysed again with everything inferred, and their new summaries supersede the old ones,
    // until no file calls a name inferred after it was analysed: a tree's findings must not
    // depend on the order or size of its shards. Each batch is remembered like a shard.
    /**
     * Files whose current record calls a name inferred after it was written, among the names
     * inferred from chunk `since` on. By name hash: a collision only analyses a file once more.
     */
    const staleFiles = (since: number): string[] => {
      const lateFrom = new Map<number, number>();
      for (const [name, epoch] of nameEpoch) {
        const h = nameHash(name);
        if (epoch >= since && epoch > (lateFrom.get(h) ?? -1)) lateFrom.set(h, epoch);
      }
      if (!lateFrom.size) return [];
      return inputs.filter((i) => {
        const k = chunkOf.get(i.path);
        return k !== undefined && callsOf.get(i.path)!.some((h) => (lateFrom.get(h) ?? -1) > k);
      }).map((i) => i.path);
    };
    const inputOf = new Map(inputs.map((i) => [i.path, i]));
    // A batch's content, from the stat indexes of the shards its files belong to.
    let lineOfPath: Map<string, string> | undefined;
    const contentLineOf = (p: string): string | undefined => {
      if (!lineOfPath) {
        lineOfPath = new Map();
        for (const i of shards.keys()) for (const l of contentOf(i) ?? []) lineOfPath.set(l.slice(0, l.indexOf('\0')), l);
      }
      return lineOfPath.get(p);
    };
    // A round settles every file calling a name known before it started; what the next round can
    // find stale is only what the last round's batches inferred.
    for (let round = 0, since = 0; twoPass && round < MAX_SETTLE_ROUNDS; round++) {
      const stale = staleFiles(since);
      if (!stale.length) break;
      since = summaryChunks.length;
      total += stale.length;
      // In batches of a quarter shard: these files call more than most, and their views and
      // inference state are what the heap holds at once.
      for (let b = 0, size = Math.min(SETTLE_BATCH, guard.batchLimit); b < stale.length; b += size, size = Math.min(SETTLE_BATCH, guard.batchLimit)) {
        const batch = stale.slice(b, b + size).map((p) => inputOf.get(p)!);
        const hit = await remembered((incoming) => {
          const content = batch.map((i) => contentLineOf(i.path));
          return content.every((l) => l !== undefined) ? digestOf('settle', runKey, content, incoming) : undefined;
        }, async () => {
          trimHeap();
          const collected = await collect(batch, true);
          const { views, analysed } = analyse(collected.files);
          const current = inferAndSummarize(views, analysed);
          for (const [f, n] of sitesPerFile(analysed, current)) {
            allocationSites += n - (sitesOf.get(f) ?? 0);
            sitesOf.set(f, n);
          }
          selectAgain(analysed, current);
          guard.afterBatch(batch.length);
        });
        if (hit) done += batch.length;
      }
      timing(`settle round ${round + 1} (${stale.length} files)`);
    }
    timing('settle');
    if (twoPass) total = inputs.length + inputs.filter((i) => again.get(i.path)?.size).length;

    // The global view.
    await closePool();
    trimHeap();
    // Remembered when its inputs are those of an earlier run: the summaries of this run (chunk
    // by chunk), what inference ended with (`chain`), and the store as the earlier run left it
    // (the rest of the tree). Then neither the view nor the store is built again.
    const viewKey = (dbStamp: string) => (memo ? digestOf('view', runKey, chain, summaryChunks.map((c) => digestOf(c)), [...scannedPaths], dbStamp) : undefined);
    const keyNow = viewKey(db?.generation() ?? '-');
    const rememberedView = keyNow ? memo!.read(keyNow, hasArrays<ViewData>('called', 'special', 'shadows', 'globalCount')) : undefined;
    let programView: ProgramView;
    // A run over the tree's root (or the first into an empty database) is the whole program: its
    // view answers from its own summaries and replaces the database. A partial run (a patch, an
    // editor) is checked against the database and writes its files' rows back.
    const whole = !db || !stored || (scansTree && !opts.sources);
    if (rememberedView) {
      rememberedShards++;
      programView = viewFromData(rememberedView);
      timing('global view remembered');
    } else if (whole) {
      /** This run's summaries, parsed one file at a time (for the graph, then for the database). */
      const scannedRecords = function* (): Generator<FileSummaryRecord> {
        for (const [r] of currentRecords()) {
          for (const fn of r.functions) fn.calls = fn.calls.filter((c) => defined.has(c.callee));
          yield r;
        }
      };
      timing('pass A done');
      const data = globalViewData(scannedRecords(), inferred);
      programView = viewFromData(data);
      timing('global view');
      if (db && !opts.signal?.aborted && !opts.sources) {
        // Only changed rows are written; the answers, when anything changed (or they were stale).
        // Only a run over the tree's root replaces every row and stores its answers as the whole
        // program's; a first partial run into an empty database adds its files' rows and leaves
        // the answers unset (another run may be writing the rest of the tree meanwhile).
        const changed = db.writeFiles(scannedRecords(), inferred, aliasesWithOrigin(), { whole: scansTree, scanned: scanning });
        if (scansTree && (changed || !db.resultsValid())) db.writeResults(data);
      }
      const keyAfter = viewKey(db?.generation() ?? '-');
      if (keyAfter) memo!.write(keyAfter, data);
    } else {
      const records = [...currentRecords()].map(([r]) => r);
      const known = db!.definedNames(records.flatMap((r) => r.functions.flatMap((fn) => fn.calls.map((c) => c.callee))), scanning);
      for (const r of records) for (const fn of r.functions) fn.calls = fn.calls.filter((c) => defined.has(c.callee) || known.has(c.callee));
      timing('pass A done');
      const inferredHere = new Inferred();
      inferredHere.absorb(inferred, (file) => scanning.has(file));
      if (db!.answersHold(records, scanning)) {
        // Backdating: the checked files' summaries and what they infer are what the whole-program
        // answers were computed from; those answers hold, read row by row.
        programView = db!.storedView();
        answers = 'stored';
        timing('stored answers');
      } else {
        // Only what the checked files' answers depend on takes part: their callers and callees, transitively.
        const rest = db!.closure(records);
        answers = 'closure';
        programView = viewFromData(globalViewData([...records, ...rest], inferred, { focus: scannedPaths }));
        timing(`global view over ${rest.length} stored files`);
      }
      // An editor's buffer is not the file on disk: it reads the database and leaves it alone.
      // Only files whose summary changed (or that are new) are written: an unchanged file keeps
      // the rows, inferred entries included, that the stored answers were computed from.
      if (!opts.signal?.aborted && !opts.sources) {
        const changed = db!.changedFiles(records, scanning);
        if (changed.size) {
          const mine = new Inferred();
          mine.absorb(inferredHere, (file) => changed.has(file));
          const aliasesHere = new Map([...aliasesWithOrigin()].filter(([, a]) => changed.has(a.origin)));
          db!.writeFiles(records.filter((r) => changed.has(r.path)), mine, aliasesHere, { whole: false, scanned: changed });
        }
      }
    }
    summaryChunks.length = 0;
    timing('database');

    /** Every alias with the file defining it, for the database. */
    function aliasesWithOrigin(): Map<string, { expr: Expr; origin: string }> {
      const out = new Map<string, { expr: Expr; origin: string }>();
      for (const [name, expr] of aliases) {
        const origin = aliasOrigin.get(name);
        if (origin !== undefined) out.set(name, { expr, origin });
      }
      return out;
    }

    // Pass B (or the views of the single shard): rules.
    const check = (views: FunctionView[], program: ProgramView = programView) => {
      for (const fv of views) addToInventory(inventory, fv);
      addSites(sites, views, model, program, skip);
      for (const d of checkViews(views, rules, model, program, skip)) raw.push(d);
    };
    if (single) check(single.views);
    else {
      // A shard's findings, remembered under its content, its functions to check and the state
      // pass A ended with (inferred model, aliases), with every question its rules asked the
      // global view and a digest of each answer: the memo holds while those answers do (an edit
      // elsewhere that changes other functions' contexts leaves this shard's findings alone).
      type Query = ['called', string, string, number, string] | ['summary', string, string, string] | ['reclaim', string];
      const answer = (x: unknown) => digestOf(x ?? null);
      const stillHolds = (queries: Query[]) => programView.calledAt !== undefined && queries.every((q) =>
        q[0] === 'called' ? answer(programView.calledAt!(q[1], q[2], q[3])) === q[4] : q[0] === 'reclaim' ? answer(programView.reclaim?.()) === q[1] : answer(programView.summaryOf(q[1], q[2])) === q[3]);
      for (const [i, shard] of shards.entries()) {
        const files = shard.filter((f) => again.get(f.path)?.size);
        if (!files.length) continue;
        const content = contentOf(i);
        const key = memo && content && programView.calledAt ? digestOf('B', runKey, content, files.map((f) => [f.path, [...again.get(f.path)!]]), chain, rules.map((r) => r.id)) : undefined;
        const hit = key ? memo!.read(key, hasArrays<{ raw: Diagnostic[]; skipped: typeof skipped; queries: Query[]; sites: SiteVerdict[]; scopes: typeof inventory.scopes; openCoded: typeof inventory.openCoded; providers: typeof inventory.providers }>('raw', 'skipped', 'queries', 'sites', 'scopes', 'openCoded', 'providers')) : undefined;
        if (hit && stillHolds(hit.queries)) {
          rememberedShards++;
          for (const d of hit.raw) raw.push(d);
          for (const x of hit.sites) sites.push(x);
          for (const k of ['scopes', 'openCoded', 'providers'] as const) (inventory[k] as unknown[]).push(...hit[k]);
          for (const x of hit.skipped) replaySkip(x);
          done += files.length;
          opts.onProgress?.(done, total);
          continue;
        }
        const before = { raw: raw.length, skipped: skipped.length, sites: sites.length, scopes: inventory.scopes.length, openCoded: inventory.openCoded.length, providers: inventory.providers.length };
        const queries: Query[] = [];
        const asked: ProgramView = {
          calledIn(fn) {
            const a = programView.calledIn(fn);
            queries.push(['called', fn.file, fn.name, fn.facts.nameRng[0], answer(a)]);
            return a;
          },
          reclaim() {
            const a = programView.reclaim?.();
            queries.push(['reclaim', answer(a)]);
            return a;
          },
          summaryOf(callee, fromFile) {
            const a = programView.summaryOf(callee, fromFile);
            queries.push(['summary', callee, fromFile, answer(a)]);
            return a;
          },
        };
        trimHeap();
        const collected = await collect(files, true);
        const { views } = analyse(collected.files.map((f) => ({ path: f.path, facts: { ...f.facts, functions: f.facts.functions.filter((_, k) => again.get(f.path)?.has(k)) } })));
        check(views, key ? asked : programView);
        if (key) {
          memo!.write(key, {
            raw: raw.slice(before.raw), skipped: skipped.slice(before.skipped), queries, sites: sites.slice(before.sites),
            scopes: inventory.scopes.slice(before.scopes), openCoded: inventory.openCoded.slice(before.openCoded), providers: inventory.providers.slice(before.providers),
          });
        }
        await new Promise((r) => setImmediate(r));
      }
    }
    timing('pass B');
  } finally {
    if (privateCache) rmSync(privateCache, { recursive: true, force: true });
  }
  if (opts.signal?.aborted) throw new LintError('interrupted');
  const { kept, unused, suppressed } = applySuppressions(dedupe(raw), directives, { enabledRules: new Set(rules.map((r) => r.id)) });
  kept.sort(compareDiagnostics);
  unused.sort(compareDiagnostics);
  const result: LintResult = {
    kernelVersion: model.versionText,
    gfpSource: model.table.source,
    filesScanned,
    findings: kept,
    sites: sortSites(sites),
    unusedSuppressions: unused,
    suppressed: suppressed.sort(compareDiagnostics),
    skipped,
    inventory: sortInventory(inventory),
    stats: {
      files: filesScanned,
      functions,
      allocationSites,
      seconds: (performance.now() - t0) / 1000,
      unresolved,
      cacheHits,
      ...(memo ? { rememberedShards } : {}),
      ...(db ? { database: { answers, reads: { ...db.reads } } } : {}),
    },
  };
  if (memoable && !opts.signal?.aborted) {
    const key = currentKey();
    if (key) writeMemo(cacheDir, key, result);
  }
  memo?.prune();
  return result;
  }
}

/**
 * Files per shard. A shard's facts and views are the main thread's live set during pass A
 * (about 1 GB for 2,500 files of drivers/, which kept a cold whole-tree run above 2 GB), and a
 * changed file costs its whole shard again; the global view does not depend on the cut.
 */
const SHARD_FILES = 1200;
/** Rounds of settling: each lets a wrapper inferred late climb one call level into earlier shards. */
const MAX_SETTLE_ROUNDS = 6;
const SETTLE_BATCH = SHARD_FILES / 4;

/**
 * Groups inputs by directory (one more path component at a time for a directory larger than a
 * shard, down to MAX_DEPTH), include/ first, merging neighbours up to `shardFiles`. Deterministic.
 */
export function shardInputs<T extends { path: string; key?: string }>(inputs: T[], shardFiles = SHARD_FILES): T[][] {
  if (!inputs.length) return [];
  if (inputs.length <= shardFiles) return [inputs];
  // Groups by directory prefix, one more component at a time for a group larger than a shard
  // (drivers/gpu alone has 6,800 files), down to MAX_DEPTH components.
  const split = (list: T[], depth: number): T[][] => {
    if (list.length <= shardFiles || depth > MAX_DEPTH) return [list];
    const by = new Map<string, T[]>();
    for (const i of list) {
      const k = (i.key ?? i.path).split('/').slice(0, depth).join('/');
      const l = by.get(k);
      if (l) l.push(i);
      else by.set(k, [i]);
    }
    if (by.size === 1) return split(list, depth + 1);
    const keys = [...by.keys()].sort((a, b) => (depth === 1 && a === 'include' ? -1 : depth === 1 && b === 'include' ? 1 : a < b ? -1 : a > b ? 1 : 0));
    return keys.flatMap((k) => split(by.get(k)!, depth + 1));
  };
  const shards: T[][] = [];
  for (const g of split(inputs, 1)) {
    const last = shards[shards.length - 1];
    if (last && last.length + g.length <= shardFiles) last.push(...g);
    else shards.push([...g]);
  }
  return shards;
}

/** Directory components a shard key may have (drivers/net/ethernet/intel). */
const MAX_DEPTH = 4;

/**
 * Whether a selected rule could report on this function, or the scope inventory (inventory.ts)
 * or the NOFS/NOIO sites (sites.ts) read it: pass B analyses only these again. Each
 * rule's record declares the view facts it starts from (rule.ts VIEW_FACTS); test/rules.test.ts
 * holds every rule to its declaration, test/determinism.test.ts checks that a two-pass run finds
 * exactly what a one-pass run finds.
 */
function mayReport(v: FunctionView, rules: readonly Rule[]): boolean {
  return holdsAnyFact(v, INVENTORY_FACTS) || holdsAnyFact(v, SITE_FACTS) || rules.some((r) => holdsAnyFact(v, r.startsFrom));
}

function sitesPerFile(analysed: AnalysedFile[], views: FunctionView[]): Map<string, number> {
  const out = new Map<string, number>(analysed.map((f) => [f.path, 0]));
  for (const v of views) out.set(v.file, (out.get(v.file) ?? 0) + v.allocations.length);
  return out;
}

function relative(entries: [string, number][], by: number): [string, number][] {
  return entries.map(([k, v]) => [k, v + by]);
}

/** One defect, one finding: identical findings (same rule, place, message) collapse. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.rule}\0${d.file}\0${d.line}\0${d.column}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * For `gfplint facts`: one file's functions as the analysis sees them. The file's own
 * `#include "…"` headers next to it are analysed too, since inference needs their inline helpers
 * (fs/xfs/xfs_trans.c's scope comes from xfs_trans_set_context() in xfs_trans.h).
 */
export function analyzeFile(file: string, opts: { cwd: string; kernelVersion?: string; fileTimeoutMs?: number; cacheDir?: string; noCache?: boolean; text?: string }): { views: FunctionView[]; model: Model; program?: Program; skipped?: string } {
  const abs = path.resolve(opts.cwd, file);
  const kr = findKernelRoot(abs);
  // `text`: an editor buffer, which may differ from the file on disk.
  const read = opts.text !== undefined ? { text: opts.text } : readSource(abs);
  const { model } = buildModel({ kernelVersion: opts.kernelVersion, treeRoot: kr?.root, treeVersion: kr?.version });
  if ('skip' in read) return { views: [], model, skipped: read.skip };
  const budget = opts.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const ex = extractSource(read.text, budget);
  if ('skip' in ex) return { views: [], model, skipped: ex.skip };
  const files: AnalysedFile[] = [{ path: file, facts: ex.facts }];
  for (const m of read.text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const hdr = path.resolve(path.dirname(abs), m[1]);
    const r = readSource(hdr);
    if ('skip' in r) continue;
    const hx = extractSource(r.text, budget);
    if (!('skip' in hx)) files.push({ path: path.relative(opts.cwd, hdr).split(path.sep).join('/'), facts: hx.facts });
  }
  const aliases = new Map<string, Expr>();
  for (const f of files) for (const m of f.facts.macros) if (!aliases.has(m.name)) aliases.set(m.name, m.expr);
  const withLocal = buildModel({ kernelVersion: opts.kernelVersion, treeRoot: kr?.root, treeVersion: kr?.version, aliases }).model;
  const views = files.flatMap((f) => f.facts.functions.map((fn) => analyzeFunction(fn, f.path, withLocal)));
  // The rest of the tree from the program database: what inference learnt there, and the
  // summaries of the checked functions' callers and callees, transitively.
  const db = kr && !opts.noCache ? ProgramDb.open(databasePath(path.resolve(opts.cwd, opts.cacheDir ?? defaultCacheDir()), toolVersion(), kr.root), kr.root, opts.cwd) : undefined;
  let program: Program;
  try {
    const stored = db?.populated() ? db.inferred() : undefined;
    const focus = stored ? summarizeFiles(files, views, () => withLocal) : [];
    const rest = stored && db ? { files: db.closure(focus), inferred: stored } : undefined;
    program = buildProgram(files, views, withLocal, rest);
  } finally {
    db?.close();
  }
  return { views: program.views.filter((v) => v.file === file), model: withLocal, program };
}


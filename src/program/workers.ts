/**
 * Step 2 of the pipeline, per-file facts, in parallel and through the cache: `collectFacts()`.
 *
 * - A pool of worker threads (`--jobs N`, default `os.availableParallelism()`) runs facts-job.ts
 *   for batches of files: read, check, hash, pre-scan, parse, extract, write the cache entry.
 *   The pool is kept for the next call (lint() calls once per shard), unref'd while idle.
 *   Results come back as plain data (facts as JSON text) and are stored by input position, so
 *   the output is the same for any number of workers and any completion order; skip reasons are
 *   reported in input order once all files are done.
 * - The stat index (facts-cache.ts) answers unchanged files without reading them: a file known
 *   to be trivial or skipped costs one stat(), one with facts one cache-entry read.
 * - Widening (prescan.ts): after the first pass, trivial files that call a function found
 *   interesting are parsed too, round after round, until nothing new is found.
 * - A watchdog terminates a worker whose current file has run for more than 3× the per-file
 *   budget (the parser and extractor enforce the budget themselves; this catches what they
 *   cannot), reports that file as skipped and starts a fresh worker for the rest.
 * - `signal` aborts promptly: workers are terminated and the files finished so far returned.
 *
 * Worker threads need compiled JavaScript: the worker entry is `facts-worker.js` next to this
 * module in `dist/`. When this module itself runs from TypeScript sources (vitest), there is no
 * such file and the same jobs run in-process, one after the other; they also run in-process
 * when there are only a handful of files (an editor buffer, a fixture), where starting workers
 * would cost more than it saves. Results are identical either way (test/determinism.test.ts runs
 * the compiled pipeline with 1 and 2 workers).
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FileFacts } from '../syntax/facts.js';
import { cacheNamespace, defaultCacheDir, FactsCache, StatIndex, touchNamespace, type IndexRecord, type StatLike } from './facts-cache.js';
import { runJob, type JobContext, type JobResult, type JobTask } from './facts-job.js';
import type { WorkerData, WorkerReply } from './facts-worker.js';
import { callsAny, defaultWiden, nameHash, Prescanner, widenModelNames } from './prescan.js';

export interface FactsInput {
  /** As printed. */
  path: string;
  abs?: string;
  text?: string;
  /** The path below the tree's (or scanned) root, whatever the spelling of `path`: names the stat index. */
  key?: string;
}

export interface CollectedFile {
  path: string;
  facts: FileFacts;
}

/** Given newly parsed files, the names of functions whose callers should be parsed too. */
export type WidenFn = (files: readonly CollectedFile[]) => Iterable<string>;

export interface CollectOptions {
  cwd: string;
  /** The paths given (names the stat index of this scanned set). */
  paths?: string[];
  jobs?: number;
  cacheDir?: string;
  noCache?: boolean;
  fileTimeoutMs: number;
  signal?: AbortSignal;
  /** gfplint's version: part of the cache key. */
  toolVersion: string;
  /** false: neither read nor write the stat index (a second look at files of a scanned set). */
  statIndex?: boolean;
  /** Parse every file that is C text, without the pre-scan (a second look at files known to matter). */
  force?: boolean;
  /** Widening of the pre-scan; false: none; default: prescan.ts `defaultWiden`. */
  widen?: false | WidenFn;
  /**
   * false: parse each file's facts (so that damaged cache entries are still caught) and drop them;
   * `files` then holds empty facts. For measuring step 2 alone (scripts/collect-facts.mjs) and
   * for a pipeline that consumes facts as they come. Implies no widening. Default true.
   */
  retain?: boolean;
}

export interface CollectStats {
  /** Files whose facts came from the cache (entry read, nothing parsed). */
  cacheHits: number;
  /** Files parsed in this run. */
  parsed: number;
  /** Files the pre-scan found unable to matter (empty facts), after widening. */
  trivial: number;
  /** Of the parsed or cached files, those pulled in by widening. */
  widened: number;
  /** Files answered by the stat index without being read. */
  unchangedByStat: number;
  workers: number;
}

export interface CollectResult {
  files: CollectedFile[];
  stats: CollectStats;
  /**
   * SHA-1 over every input's path and content hash (or skip reason), in input order: equal
   * digests mean the same files with the same contents, so a later stage may key a cache of its
   * own results on it (with the options and the model's version).
   */
  inputsDigest: string;
  /** The files left trivial after widening, with the hashes of the names they call (for widening across calls). */
  trivial: { path: string; calls: number[] }[];
}

/** How long a worker may stay on one file, as a multiple of the per-file budget. */
export const WORKER_GUARD_FACTOR = 3;
/** Up to this many jobs run in-process even when workers are available. */
const IN_PROCESS_MAX = 4;

export const TERMINATED_REASON = 'over the time budget (worker terminated)';

function emptyFacts(): FileFacts {
  return { functions: [], macros: [], addressTaken: [], exported: [], directives: [], errorCount: 0 };
}

const here = fileURLToPath(import.meta.url);
const fromSources = here.endsWith('.ts');
const workerFile = path.join(path.dirname(here), 'facts-worker.js');

export async function collectFacts(
  inputs: readonly FactsInput[],
  opts: CollectOptions,
  skip: (file: string, reason: string) => void,
  onProgress?: (done: number, total: number) => void,
): Promise<CollectResult> {
  const t0 = Date.now();
  const retain = opts.retain !== false;
  const prescan = new Prescanner();
  // In-memory sources (editor buffers, fixtures) are small and short-lived: they bypass the cache.
  const hasFiles = inputs.some((x) => x.abs !== undefined);
  const cache = opts.noCache || !hasFiles ? undefined : new FactsCache(path.join(path.resolve(opts.cwd, opts.cacheDir ?? defaultCacheDir()), cacheNamespace(opts.toolVersion)));
  if (cache) touchNamespace(cache.root);
  // One index per scanned set AND per group of directories: lint() calls this once per shard
  // (a subsystem), and each shard keeps its own index, rewritten whole by the call that owns it.
  const index = cache && hasFiles && opts.statIndex !== false ? new StatIndex(cache, indexScope(inputs, opts), prescan.digest) : undefined;
  index?.load();

  const n = inputs.length;
  const results: (JobResult | undefined)[] = new Array(n);
  const facts: (FileFacts | undefined)[] = new Array(n);
  const stats: (StatLike | undefined)[] = new Array(n);
  const widened = new Uint8Array(n);
  /** Call-name hashes of the files the pre-scan found trivial (kept when widening parses them). */
  const trivialCalls: (number[] | undefined)[] = new Array(n);
  const st: CollectStats = { cacheHits: 0, parsed: 0, trivial: 0, widened: 0, unchangedByStat: 0, workers: 0 };
  let done = 0;
  const progress = () => onProgress?.(++done, n);

  // Pass 1 tasks: the stat index answers what it can.
  const tasks: JobTask[] = [];
  for (let i = 0; i < n; i++) {
    const inp = inputs[i];
    if (inp.abs === undefined) {
      tasks.push({ i, text: inp.text ?? '', mode: opts.force ? 'parse' : 'file' });
      continue;
    }
    if (index) {
      try {
        const s = statSync(inp.abs);
        if (s.isFile()) stats[i] = { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
      } catch {
        // the job reports why the file cannot be read
      }
      const rec = stats[i] && index.lookup(inp.abs, stats[i]!);
      if (rec) {
        const v = rec.verdict;
        if (v.kind === 'facts') tasks.push({ i, abs: inp.abs, mode: 'cached', hash: rec.hash });
        else {
          results[i] = v.kind === 'trivial' ? { i, kind: 'trivial', hash: rec.hash, calls: v.calls } : { i, kind: 'skip', reason: v.reason, hash: rec.hash, stable: true };
          if (v.kind === 'trivial') trivialCalls[i] = v.calls;
          st.unchangedByStat++;
          progress();
        }
        continue;
      }
    }
    tasks.push({ i, abs: inp.abs, mode: opts.force ? 'parse' : 'file' });
  }

  const budget = opts.fileTimeoutMs;
  const ctx: JobContext = { cache, prescan, budgetMs: budget };
  const useWorkers = !fromSources && tasks.length > IN_PROCESS_MAX;
  const size = Math.max(1, Math.min(opts.jobs ?? os.availableParallelism(), useWorkers ? Math.ceil(tasks.length / 2) : 1));
  const runner: Runner = useWorkers ? sharedPool(size, { cacheRoot: cache?.root, budgetMs: budget }, budget * WORKER_GUARD_FACTOR) : new InProcess(ctx);
  st.workers = useWorkers ? size : 0;

  const accept = (r: JobResult, retry: JobTask[]): void => {
    if (r.kind === 'facts') {
      let f: FileFacts | undefined;
      try {
        const v = JSON.parse(r.json) as FileFacts;
        if (v && Array.isArray(v.functions) && Array.isArray(v.directives)) f = v;
      } catch {
        // unusable cache entry: below
      }
      if (!f) {
        // Only a cache entry can be malformed (fresh JSON comes from JSON.stringify): rebuild it.
        if (r.hit) {
          const inp = inputs[r.i];
          retry.push({ i: r.i, abs: inp.abs, text: inp.abs === undefined ? inp.text : undefined, mode: widened[r.i] ? 'parse' : 'file', noRead: true });
          return;
        }
        throw new Error(`facts of ${inputs[r.i].path} do not survive JSON`);
      }
      facts[r.i] = retain ? f : emptyFacts();
      if (r.hit) st.cacheHits++;
      else st.parsed++;
    }
    if (r.kind === 'trivial') trivialCalls[r.i] = r.calls;
    // Keep the verdict, not the JSON text: all of it together is several times the source size.
    results[r.i] = r.kind === 'facts' ? { ...r, json: '' } : r;
    if (!widened[r.i]) progress();
  };

  const runAll = async (list: JobTask[]): Promise<void> => {
    while (list.length && !opts.signal?.aborted) {
      const retry: JobTask[] = [];
      await runner.run(list, (r) => accept(r, retry), opts.signal);
      list = retry;
    }
  };

  try {
    await runAll(tasks);

    // Widening rounds.
    const widen: WidenFn | undefined = opts.widen === false || !retain ? undefined : (opts.widen ?? makeDefaultWiden());
    let fresh: CollectedFile[] = [];
    for (let i = 0; i < n; i++) if (facts[i]) fresh.push({ path: inputs[i].path, facts: facts[i]! });
    while (widen && fresh.length && !opts.signal?.aborted) {
      const wanted = new Set<number>();
      for (const name of widen(fresh)) wanted.add(nameHash(name));
      if (!wanted.size) break;
      const more: JobTask[] = [];
      for (let i = 0; i < n; i++) {
        const r = results[i];
        if (r?.kind !== 'trivial' || widened[i] || !callsAny(r.calls, wanted)) continue;
        widened[i] = 1;
        const inp = inputs[i];
        more.push({ i, abs: inp.abs, text: inp.abs === undefined ? inp.text : undefined, mode: 'parse', hash: r.hash });
      }
      if (!more.length) break;
      const before = new Set(more.map((t) => t.i));
      await runAll(more);
      fresh = [];
      for (const i of before) if (facts[i]) fresh.push({ path: inputs[i].path, facts: facts[i]! });
    }
  } finally {
    // The pool outlives this call (lint() calls once per shard); an abort or a failure ends it.
    if (opts.signal?.aborted || runner instanceof InProcess) await runner.close();
    else (runner as Pool).idle();
  }

  // The stat index of this run: what a later run may take as unchanged.
  if (index && !opts.signal?.aborted) {
    const recs = new Map<string, IndexRecord>();
    for (let i = 0; i < n; i++) {
      const inp = inputs[i];
      const s = stats[i];
      const r = results[i];
      if (!inp.abs || !s || !r) continue;
      // A file too large to read has no hash; its size, which the index checks, is the verdict.
      if (r.kind === 'skip' && r.stable) {
        recs.set(inp.abs, { ...s, hash: r.hash ?? '', verdict: { kind: 'skip', reason: r.reason } });
        continue;
      }
      if (!r.hash) continue;
      // A widened file stays 'trivial' in the index: whether it is parsed depends on other files.
      const calls = trivialCalls[i];
      if (calls) recs.set(inp.abs, { ...s, hash: r.hash, verdict: { kind: 'trivial', calls } });
      else if (r.kind === 'facts') recs.set(inp.abs, { ...s, hash: r.hash, verdict: { kind: 'facts' } });
    }
    index.save(t0, recs);
  }

  const files: CollectedFile[] = [];
  const trivial: { path: string; calls: number[] }[] = [];
  const digest = createHash('sha1');
  for (let i = 0; i < n; i++) {
    const r = results[i];
    digest.update(`${inputs[i].path}\0${r ? (r.kind === 'skip' ? `skip:${r.reason}` : r.hash) : 'aborted'}\n`);
    if (!r) continue; // aborted before this file
    if (r.kind === 'skip') skip(inputs[i].path, r.reason);
    else if (facts[i]) {
      files.push({ path: inputs[i].path, facts: facts[i]! });
      if (widened[i]) st.widened++;
    } else {
      files.push({ path: inputs[i].path, facts: emptyFacts() });
      if (trivialCalls[i]) trivial.push({ path: inputs[i].path, calls: trivialCalls[i]! });
      st.trivial++;
    }
  }
  return { files, stats: st, inputsDigest: digest.digest('hex'), trivial };
}

/** The name of the stat index of a set of inputs (one per scanned set and group of directories). */
function indexScope(inputs: readonly FactsInput[], opts: Pick<CollectOptions, 'cwd' | 'paths'>): string {
  // Four components: lint() splits a large directory down to that depth (drivers/gpu/drm/amd),
  // and two shards sharing one index would overwrite each other's.
  const groups = [...new Set(inputs.map((x) => (x.key ?? x.path).split('/').slice(0, 4).join('/')))].sort();
  return JSON.stringify([path.resolve(opts.cwd), ...(opts.paths ?? []), '\0', ...groups]);
}

/**
 * A digest of the inputs' contents answered from the stat indexes alone (no file read, nothing
 * parsed): path and content hash or skip reason of every file, for each shard as collectFacts()
 * would see it. Undefined when any file is not known unchanged (new, changed, racily recent, or
 * unreadable last time): the caller then runs the pipeline.
 */
export function unchangedDigest(shards: readonly (readonly FactsInput[])[], opts: Pick<CollectOptions, 'cwd' | 'paths' | 'cacheDir' | 'toolVersion'>): string | undefined {
  const digest = createHash('sha1');
  for (const shard of shards) {
    const lines = shardContentLines(shard, opts);
    if (!lines) return undefined;
    for (const l of lines) digest.update(l).update('\n');
  }
  return digest.digest('hex');
}

/**
 * The content of one shard's files as the stat index knows it, without reading any file: one
 * line per input, `path\0hash` (or `path\0skip:reason`); undefined when a file is not known
 * unchanged.
 */
export function shardContentLines(shard: readonly FactsInput[], opts: Pick<CollectOptions, 'cwd' | 'paths' | 'cacheDir' | 'toolVersion'>): string[] | undefined {
  const cache = new FactsCache(path.join(path.resolve(opts.cwd, opts.cacheDir ?? defaultCacheDir()), cacheNamespace(opts.toolVersion)));
  const index = new StatIndex(cache, indexScope(shard, opts), prescanDigest());
  index.load();
  const lines: string[] = [];
  for (const inp of shard) {
    if (inp.abs === undefined) return undefined;
    let st: StatLike;
    try {
      const s = statSync(inp.abs);
      st = { size: s.size, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, ino: s.ino };
    } catch {
      return undefined;
    }
    const rec = index.lookup(inp.abs, st);
    if (!rec) return undefined;
    lines.push(`${inp.path}\0${rec.verdict.kind === 'skip' ? `skip:${rec.verdict.reason}` : rec.hash}`);
  }
  return lines;
}

let prescanDigestMemo: string | undefined;
/** The pre-scan's identity (building a Prescanner hashes every model name: once per process). */
function prescanDigest(): string {
  return (prescanDigestMemo ??= new Prescanner().digest);
}

/** The stand-in widening: callers of anything that (transitively) allocates or opens a scope. */
function makeDefaultWiden(): WidenFn {
  const known = new Set<string>();
  const model = widenModelNames();
  return (files) => defaultWiden(files, known, model);
}

let pool: { key: string; pool: Pool } | undefined;

/** Ends the worker pool now (their heaps go with them) instead of after POOL_IDLE_MS. */
export async function closePool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.pool.close();
}

/**
 * The pool of the previous call when it fits (same size, cache and budget): starting workers
 * (each loads tree-sitter) costs more than a small shard. Idle workers are unref'd, so they never
 * keep the process alive, and closed after POOL_IDLE_MS without work.
 */
function sharedPool(size: number, data: Omit<WorkerData, 'status'>, guardMs: number): Pool {
  const key = JSON.stringify([size, data, guardMs]);
  if (pool && pool.key === key && pool.pool.usable()) return pool.pool;
  if (pool) void pool.pool.close();
  pool = { key, pool: new Pool(size, data, guardMs) };
  return pool.pool;
}

const POOL_IDLE_MS = 30_000;

interface Runner {
  run(tasks: JobTask[], onResult: (r: JobResult) => void, signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Same jobs, in this thread; yields to the event loop now and then so that signals get through. */
class InProcess implements Runner {
  constructor(private readonly ctx: JobContext) {}
  async run(tasks: JobTask[], onResult: (r: JobResult) => void, signal?: AbortSignal): Promise<void> {
    let last = performance.now();
    for (const t of tasks) {
      if (signal?.aborted) return;
      onResult(runJob(t, this.ctx));
      if (performance.now() - last > 50) {
        await new Promise((r) => setImmediate(r));
        last = performance.now();
      }
    }
  }
  async close(): Promise<void> {}
}

interface Slot {
  w: Worker;
  status: Int32Array;
  inflight: JobTask[][];
  dead: boolean;
  seenSeq: number;
  seenAt: number;
}

class Pool implements Runner {
  private slots: Slot[] = [];
  private queue: JobTask[] = [];
  private pending = 0;
  private onResult: (r: JobResult) => void = () => {};
  private settle: ((e?: Error) => void) | undefined;
  private closed = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(private readonly size: number, private readonly data: Omit<WorkerData, 'status'>, private readonly guardMs: number) {}

  usable(): boolean {
    return !this.closed;
  }

  /** Between calls: let the process exit, and stop the workers if nothing comes for a while. */
  idle(): void {
    for (const s of this.slots) s.w.unref();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), POOL_IDLE_MS);
    this.idleTimer.unref();
  }

  private spawn(): Slot {
    const status = new SharedArrayBuffer(8);
    const view = new Int32Array(status);
    view[0] = -1;
    const w = new Worker(workerFile, { workerData: { ...this.data, status } satisfies WorkerData });
    const slot: Slot = { w, status: view, inflight: [], dead: false, seenSeq: -1, seenAt: 0 };
    w.on('message', (m: WorkerReply) => this.reply(slot, m));
    // A worker that dies on its own (between calls too) makes the pool unusable: the next call
    // starts a new one.
    w.on('error', (e) => {
      if (slot.dead) return;
      this.closed = true;
      this.settle?.(e instanceof Error ? e : new Error(String(e)));
    });
    w.on('exit', (code) => {
      if (slot.dead) return;
      this.closed = true;
      this.settle?.(new Error(`facts worker exited unexpectedly (code ${code})`));
    });
    return slot;
  }

  private batchSize(): number {
    return Math.max(1, Math.min(32, Math.floor(this.queue.length / (this.slots.length * 4))));
  }

  private fill(slot: Slot): void {
    while (!slot.dead && slot.inflight.length < 2 && this.queue.length) {
      const batch = this.queue.splice(0, this.batchSize());
      slot.inflight.push(batch);
      slot.w.postMessage(batch);
    }
  }

  private reply(slot: Slot, m: WorkerReply): void {
    if (slot.dead) return;
    slot.inflight.shift();
    if ('error' in m) {
      this.settle?.(new Error(`facts worker failed: ${m.error}`));
      return;
    }
    for (const r of m.results) this.onResult(r);
    this.pending -= m.results.length;
    this.fill(slot);
    if (this.pending <= 0) this.settle?.();
  }

  /** Watchdog: replace a worker stuck on one file for longer than the guard. */
  private check(): void {
    const now = performance.now();
    for (let k = 0; k < this.slots.length; k++) {
      const slot = this.slots[k];
      if (!slot.inflight.length) continue;
      const seq = Atomics.load(slot.status, 1);
      if (seq !== slot.seenSeq) {
        slot.seenSeq = seq;
        slot.seenAt = now;
        continue;
      }
      const stuck = Atomics.load(slot.status, 0);
      if (stuck < 0 || now - slot.seenAt < this.guardMs) continue;
      slot.dead = true;
      void slot.w.terminate();
      const again: JobTask[] = [];
      for (const b of slot.inflight) for (const t of b) if (t.i !== stuck) again.push(t);
      this.queue.unshift(...again);
      this.slots[k] = this.spawn();
      this.pending -= 1;
      this.onResult({ i: stuck, kind: 'skip', reason: TERMINATED_REASON, stable: false });
      for (const s of this.slots) this.fill(s);
      if (this.pending <= 0) this.settle?.();
    }
  }

  run(tasks: JobTask[], onResult: (r: JobResult) => void, signal?: AbortSignal): Promise<void> {
    if (!tasks.length) return Promise.resolve();
    if (this.closed) return Promise.reject(new Error('facts pool already closed'));
    clearTimeout(this.idleTimer);
    while (this.slots.length < this.size) this.slots.push(this.spawn());
    for (const s of this.slots) s.w.ref();
    this.queue.push(...tasks);
    this.pending += tasks.length;
    this.onResult = onResult;
    return new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => this.check(), Math.min(500, Math.max(50, this.guardMs / 10)));
      const onAbort = () => this.settle?.();
      signal?.addEventListener('abort', onAbort);
      this.settle = (e?: Error) => {
        this.settle = undefined;
        clearInterval(timer);
        signal?.removeEventListener('abort', onAbort);
        if (e) {
          void this.close();
          reject(e);
        } else resolve();
      };
      if (signal?.aborted) {
        this.settle();
        return;
      }
      for (const s of this.slots) this.fill(s);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.idleTimer);
    if (pool?.pool === this) pool = undefined;
    const all = this.slots;
    this.slots = [];
    this.queue = [];
    this.pending = 0;
    for (const s of all) s.dead = true;
    await Promise.all(all.map((s) => s.w.terminate()));
  }
}

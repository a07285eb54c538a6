/**
 * Worker-thread entry of the facts pool (workers.ts): runs batches of per-file jobs and posts the
 * results back as plain data. Each worker loads its own tree-sitter parser (parser.ts is per
 * thread); no tree-sitter object leaves the thread.
 *
 * `status` (shared with the main thread) holds [input index of the job running, or -1; a counter
 * bumped at every job start]: the main thread's watchdog reads it to find a job stuck past the
 * time budget without any message traffic.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FactsCache } from './facts-cache.js';
import { fullGc } from './full-gc.js';
import { runJob, type JobResult, type JobTask } from './facts-job.js';
import { Prescanner } from './prescan.js';

export interface WorkerData {
  cacheRoot?: string;
  budgetMs: number;
  status: SharedArrayBuffer;
}

export type WorkerReply = { results: JobResult[] } | { error: string };

const data = workerData as WorkerData;
const status = new Int32Array(data.status);
const ctx = { cache: data.cacheRoot ? new FactsCache(data.cacheRoot) : undefined, prescan: new Prescanner(), budgetMs: data.budgetMs };

/**
 * Syntax trees live in native memory that V8 does not see, and node-tree-sitter frees a tree only
 * when V8 has collected its wrapper AND the event loop has turned (the finalizer is deferred).
 * V8's heap stays small, so it rarely collects, and dead trees pile up: about 25 bytes of RSS per
 * byte of source parsed, gigabytes on a kernel tree. So after every PARSED_JSON_PER_GC of facts
 * produced (roughly 1 MB of source), the worker forces a full collection and yields to the event
 * loop before the next file. A collection of this small heap takes a few milliseconds.
 */
const PARSED_JSON_PER_GC = 4 * 1024 * 1024;
let parsedSinceGc = 0;

const queue: JobTask[][] = [];
let draining = false;

async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  for (let batch = queue.shift(); batch; batch = queue.shift()) {
    const results: JobResult[] = [];
    try {
      for (const t of batch) {
        Atomics.store(status, 0, t.i);
        Atomics.add(status, 1, 1);
        const r = runJob(t, ctx);
        results.push(r);
        if (r.kind === 'facts' && !r.hit) parsedSinceGc += r.json.length;
        if (parsedSinceGc > PARSED_JSON_PER_GC) {
          parsedSinceGc = 0;
          fullGc?.();
          await new Promise((res) => setImmediate(res));
        }
      }
      Atomics.store(status, 0, -1);
      parentPort!.postMessage({ results } satisfies WorkerReply);
    } catch (e) {
      Atomics.store(status, 0, -1);
      parentPort!.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkerReply);
    }
  }
  draining = false;
}

parentPort!.on('message', (batch: JobTask[]) => {
  queue.push(batch);
  void drain();
});

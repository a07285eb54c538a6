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

parentPort!.on('message', (batch: JobTask[]) => {
  const results: JobResult[] = [];
  try {
    for (const t of batch) {
      Atomics.store(status, 0, t.i);
      Atomics.add(status, 1, 1);
      results.push(runJob(t, ctx));
    }
    Atomics.store(status, 0, -1);
    parentPort!.postMessage({ results } satisfies WorkerReply);
  } catch (e) {
    Atomics.store(status, 0, -1);
    parentPort!.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies WorkerReply);
  }
});

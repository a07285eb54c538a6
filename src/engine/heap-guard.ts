/**
 * Keeps a run's heap under budget by making its batches smaller, never by crashing (issue 13,
 * item 3). Between batches the heap is collected when it has grown past a soft limit; a batch
 * that left more than the budget in use halves the size of the batches after it; a live set
 * (after a full collection) too close to V8's limit for even one file more ends the run with one
 * clear error line instead of V8's abort.
 */
import v8 from 'node:v8';
import { fullGc } from '../program/full-gc.js';

export interface HeapNumbers {
  /** Bytes in use now. */
  used: number;
  /** V8's hard limit (`--max-old-space-size`). */
  limit: number;
}

const readHeap = (): HeapNumbers => {
  const s = v8.getHeapStatistics();
  return { used: s.used_heap_size, limit: s.heap_size_limit };
};

/**
 * V8 lets the heap of a long run grow to gigabytes of garbage before a full collection: a whole
 * 6.12 tree peaked at 3.3 GB resident with a live set under 1 GB. Past this, a full collection
 * returns the heap to the live set before the next batch's facts arrive.
 */
export const HEAP_SOFT_LIMIT = 768 * 1048576;
/** What one batch may leave in use before the next batches are made smaller (peak RSS target: 2 GB). */
export const HEAP_BUDGET = 1280 * 1048576;
/** The share of V8's limit a live set may reach before the run stops with an error. */
const FATAL_SHARE = 0.85;

export class HeapExhausted extends Error {}

export class HeapGuard {
  /** The most files the next batch may hold. */
  batchLimit: number;
  private readonly budget: number;

  constructor(maxBatch: number, private readonly heap: () => HeapNumbers = readHeap, private readonly gc: (() => void) | undefined = fullGc) {
    this.batchLimit = maxBatch;
    const { limit } = heap();
    this.budget = Math.min(HEAP_BUDGET, limit * 0.5);
  }

  /** Before a batch: collect a grown heap; stop when even the live set leaves no room. */
  beforeBatch(): void {
    if (this.gc && this.heap().used > HEAP_SOFT_LIMIT) this.gc();
    const { used, limit } = this.heap();
    if (used > limit * FATAL_SHARE) {
      const mb = (n: number) => Math.round(n / 1048576);
      throw new HeapExhausted(`out of memory: ${mb(used)} MB of the ${mb(limit)} MB heap are in use between batches of ${this.batchLimit} file(s); ` +
        'scan fewer directories at once or raise the limit with NODE_OPTIONS=--max-old-space-size=MB');
    }
  }

  /** After a batch of `files` files: halve the next batches when it left the heap over budget. */
  afterBatch(files: number): void {
    if (this.heap().used > this.budget && files > 1) this.batchLimit = Math.max(1, Math.min(this.batchLimit, Math.floor(files / 2)));
  }

  /** Cuts `list` into batches no larger than the current limit (the first one only: the limit may shrink again). */
  take<T>(list: T[]): [T[], T[]] {
    return list.length <= this.batchLimit ? [list, []] : [list.slice(0, this.batchLimit), list.slice(this.batchLimit)];
  }
}

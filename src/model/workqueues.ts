/**
 * Work items: the context a work function runs in depends on the workqueue it is queued on.
 * kernel/workqueue.c process_one_work() calls it in a kworker, in process context with no lock of
 * the code that queued it. Reclaim may wait for work on a WQ_MEM_RECLAIM queue (that flag gives
 * the queue a rescuer thread so that it makes progress under memory pressure; a flush from a
 * reclaim path of work on any other queue is a bug that check_flush_dependency() warns about), so
 * a GFP_NOFS/NOIO in work on such a queue has a reason, and in work on any other queue it needs
 * one of its own (Documentation/core-api/workqueue.rst, "WQ_MEM_RECLAIM").
 *
 * Facts are matched by name, as the program stage sees them: INIT_WORK(&dev->reset_work, fn)
 * registers `fn` under the key `reset_work`; queue_work(dev->wq, &dev->reset_work) queues that
 * key on the queue key `wq`; `dev->wq = alloc_workqueue("x", WQ_MEM_RECLAIM, 0)` says what queue
 * key `wq` is. Every queue site with the key, tree-wide, must be understood for a verdict.
 */
import { identifiersOf, type Expr } from '../facts/expr.js';
import { STORAGE_CODE } from './ops-slots.js';

/** Registration macros (include/linux/workqueue.h): [work argument, function argument]. */
const WORK_INIT: Readonly<Record<string, readonly [number, number]>> = {
  INIT_WORK: [0, 1],
  INIT_DELAYED_WORK: [0, 1],
  INIT_DEFERRABLE_WORK: [0, 1],
  INIT_RCU_WORK: [0, 1],
  __INIT_WORK: [0, 1],
  __INIT_DELAYED_WORK: [0, 1],
};

/**
 * On-stack work is queued and flushed by the function that declares it, often with its locks
 * held: the work function then runs on that function's behalf, which a name match cannot see.
 */
const WORK_INIT_ONSTACK = new Set(['INIT_WORK_ONSTACK', 'INIT_DELAYED_WORK_ONSTACK', 'INIT_DEFERRABLE_WORK_ONSTACK', 'INIT_RCU_WORK_ONSTACK', 'INIT_WORK_ONSTACK_KEY']);

/** Queueing calls: [workqueue argument, or null for system_wq, work argument]. */
const WORK_QUEUE: Readonly<Record<string, readonly [number | null, number]>> = {
  queue_work: [0, 1],
  queue_work_on: [1, 2],
  queue_work_node: [1, 2],
  queue_delayed_work: [0, 1],
  queue_delayed_work_on: [1, 2],
  mod_delayed_work: [0, 1],
  mod_delayed_work_on: [1, 2],
  queue_rcu_work: [0, 1],
  enable_and_queue_work: [0, 1],
  schedule_work: [null, 0],
  schedule_work_on: [null, 1],
  schedule_delayed_work: [null, 0],
  schedule_delayed_work_on: [null, 1],
};

/** The names of the calls above, for the pre-scan: a file queueing work must be parsed. */
export const WORKQUEUE_CALLS: readonly string[] = Object.keys(WORK_QUEUE);

/**
 * The system workqueues, none allocated with WQ_MEM_RECLAIM (kernel/workqueue.c
 * workqueue_init_early()). system_bh_wq and system_bh_highpri_wq run work in softirq context:
 * not plain process context, so they are left out (no verdict).
 */
const SYSTEM_QUEUES = new Set([
  'system_wq', 'system_percpu_wq', 'system_highpri_wq', 'system_long_wq', 'system_unbound_wq', 'system_dfl_wq',
  'system_freezable_wq', 'system_power_efficient_wq', 'system_freezable_power_efficient_wq',
]);

/** Workqueue allocators: the flags argument, or a fixed answer for the legacy macros (include/linux/workqueue.h). */
const WQ_ALLOC: Readonly<Record<string, number | 'reclaim'>> = {
  alloc_workqueue: 1,
  alloc_ordered_workqueue: 1,
  alloc_workqueue_lockdep_map: 1,
  alloc_ordered_workqueue_lockdep_map: 1,
  // `alloc_workqueue("%s", __WQ_LEGACY | WQ_MEM_RECLAIM, 1, (name))` and the like.
  create_workqueue: 'reclaim',
  create_freezable_workqueue: 'reclaim',
  create_singlethread_workqueue: 'reclaim',
};

/** What a queue key is known to be: 'unknown' when its flags are not constants gfplint can read. */
export type QueueKind = 'plain' | 'reclaim' | 'unknown';

/** The facts one file contributes (plain data, part of the stored summaries). */
export interface WorkFacts {
  /** `fn` is registered as the work function of the work key `key`. */
  inits: { fn: string; key: string }[];
  /** A work with one of `keys` is queued on `queue`: `system` for the system queues, `?` when not nameable. */
  queues: { keys: string[]; queue: string }[];
  /** Queue key `key` is allocated as `kind`. */
  allocs: { key: string; kind: QueueKind }[];
}

/** The expression under any `&` and casts. */
function strip(e: Expr): Expr {
  let x = e;
  for (let i = 0; i < 16; i++) {
    if (x.k === 'cast' || (x.k === 'un' && x.op === '&')) x = x.e;
    else break;
  }
  return x;
}

/** The name a work or queue is known by: its last field name, or its variable. */
function keyOf(e: Expr): string | undefined {
  const x = strip(e);
  if (x.k === 'field') return x.field;
  if (x.k === 'id') return x.name;
  if (x.k === 'index') return keyOf(x.base);
  return undefined;
}

/** Every name along a member chain (`&p->dw.work`: work, dw, p): a queue site matches any of them. */
function keysOf(e: Expr): string[] {
  const out: string[] = [];
  let x = strip(e);
  for (let i = 0; i < 16; i++) {
    if (x.k === 'field') {
      out.push(x.field);
      x = strip(x.base);
    } else if (x.k === 'index') x = strip(x.base);
    else if (x.k === 'id') {
      out.push(x.name);
      break;
    } else break;
  }
  return out;
}

interface CallLike { callee: string; args: Expr[] }

/** What a call registers or queues; `registered` names the function argument it consumed. */
export function workCallFacts(c: CallLike, out: WorkFacts): { registered?: string } {
  const init = WORK_INIT[c.callee];
  if (init) {
    const fn = c.args[init[1]] && strip(c.args[init[1]]);
    const key = c.args[init[0]] && keyOf(c.args[init[0]]);
    if (fn?.k === 'id' && key) {
      out.inits.push({ fn: fn.name, key });
      return { registered: fn.name };
    }
    return {};
  }
  if (WORK_INIT_ONSTACK.has(c.callee)) return {};
  const q = WORK_QUEUE[c.callee];
  if (q) {
    const work = c.args[q[1]];
    const keys = work ? keysOf(work) : [];
    if (!keys.length) return {};
    let queue = 'system';
    if (q[0] !== null) {
      const wq = c.args[q[0]] && strip(c.args[q[0]]);
      queue = wq?.k === 'id' && SYSTEM_QUEUES.has(wq.name) ? 'system' : (wq && keyOf(wq)) ?? '?';
    }
    out.queues.push({ keys, queue });
  }
  return {};
}

/** `lhs = alloc_workqueue(...)` (or a declaration with that initialiser): what queue key `lhs` is. */
export function workqueueAllocFact(lhs: Expr, rhs: Expr, out: WorkFacts): void {
  const r = strip(rhs);
  if (r.k !== 'call') return;
  const how = WQ_ALLOC[r.fn.replace(/_noprof$/, '')];
  if (how === undefined) return;
  const key = keyOf(lhs);
  if (!key) return;
  let kind: QueueKind = 'reclaim';
  if (how !== 'reclaim') {
    const flags = r.args[how];
    const ids = flags ? identifiersOf(flags) : new Set<string>();
    kind = !flags ? 'unknown' : ids.has('WQ_MEM_RECLAIM') ? 'reclaim' : ids.has('WQ_BH') ? 'unknown' : [...ids].every((n) => /^_*WQ_[A-Z_]+$/.test(n)) ? 'plain' : 'unknown';
  }
  out.allocs.push({ key, kind });
}

/**
 * The queue a work key runs on, from every file's facts: 'plain' when it is queued at least once
 * and only on queues without WQ_MEM_RECLAIM, 'reclaim' when some queue has it and none is unknown.
 */
export function workKind(key: string, queuesByKey: ReadonlyMap<string, readonly string[]>, allocsByKey: ReadonlyMap<string, readonly QueueKind[]>): QueueKind {
  const queues = queuesByKey.get(key);
  if (!queues?.length) return 'unknown';
  let reclaim = false;
  for (const q of queues) {
    if (q === 'system') continue;
    const kinds = allocsByKey.get(q);
    if (!kinds?.length || kinds.includes('unknown')) return 'unknown';
    if (kinds.includes('reclaim')) reclaim = true;
  }
  return reclaim ? 'reclaim' : 'plain';
}

/**
 * What a work function registered in `file` under `key` runs as. In storage code, work often
 * completes I/O or requests that reclaim waits for (inode eviction from a shrinker waits for
 * fs/fuse/virtio_fs.c's virtio_fs_requests_done_work()), which no queue flag says: there, only a
 * WQ_MEM_RECLAIM queue tells something.
 */
export function workEntry(file: string, key: string, queuesByKey: ReadonlyMap<string, readonly string[]>, allocsByKey: ReadonlyMap<string, readonly QueueKind[]>): QueueKind {
  const kind = workKind(key, queuesByKey, allocsByKey);
  return kind === 'plain' && STORAGE_CODE.test(file) ? 'unknown' : kind;
}

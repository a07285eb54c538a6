import { describe, expect, it } from 'vitest';
import { workCallFacts, workKind, workqueueAllocFact, type QueueKind, type WorkFacts } from '../../src/model/workqueues.js';
import { mustParseCExpr } from '../../src/facts/c-expr.js';

const empty = (): WorkFacts => ({ inits: [], queues: [], allocs: [] });
const call = (callee: string, ...args: string[]) => ({ callee, args: args.map(mustParseCExpr) });

describe('work facts from calls', () => {
  it('registers the function under the work field it initialises', () => {
    const w = empty();
    expect(workCallFacts(call('INIT_DELAYED_WORK', '&priv->delayed_write_work', 'send_data'), w)).toEqual({ registered: 'send_data' });
    expect(w.inits).toEqual([{ fn: 'send_data', key: 'delayed_write_work' }]);
  });

  it('leaves on-stack work and unnameable work unregistered', () => {
    const w = empty();
    expect(workCallFacts(call('INIT_WORK_ONSTACK', '&work', 'fn'), w)).toEqual({});
    expect(workCallFacts(call('INIT_WORK', 'get_work(dev)', 'fn'), w)).toEqual({});
    expect(workCallFacts(call('INIT_WORK', '&dev->work', 'ops->fn'), w)).toEqual({});
    expect(w.inits).toEqual([]);
  });

  it('records every name of a queued work and its queue', () => {
    const w = empty();
    workCallFacts(call('schedule_delayed_work', '&kaweth->lowmem_work', 'HZ/4'), w);
    workCallFacts(call('queue_work', 'system_unbound_wq', '&dev->dw.work'), w);
    workCallFacts(call('queue_work_on', 'cpu', 'dev->wq', '&dev->reset_work'), w);
    workCallFacts(call('mod_delayed_work', 'wq_table[i]', '&x->poll', '0'), w);
    workCallFacts(call('queue_work', 'get_wq(dev)', '&dev->reset_work'), w);
    expect(w.queues).toEqual([
      { keys: ['lowmem_work', 'kaweth'], queue: 'system' },
      { keys: ['work', 'dw', 'dev'], queue: 'system' },
      { keys: ['reset_work', 'dev'], queue: 'wq' },
      { keys: ['poll', 'x'], queue: 'wq_table' },
      { keys: ['reset_work', 'dev'], queue: '?' },
    ]);
  });

  it('reads WQ_MEM_RECLAIM from the allocation flags', () => {
    const w = empty();
    const alloc = (l: string, r: string) => workqueueAllocFact(mustParseCExpr(l), mustParseCExpr(r), w);
    alloc('dev->wq', 'alloc_workqueue("x", WQ_FREEZABLE | WQ_UNBOUND, 0)');
    alloc('io_wq', 'alloc_ordered_workqueue("%s", WQ_MEM_RECLAIM | WQ_HIGHPRI, name)');
    alloc('legacy_wq', 'create_singlethread_workqueue("legacy")');
    alloc('dev->odd_wq', 'alloc_workqueue("x", flags, 0)');
    alloc('bh_wq', 'alloc_workqueue("x", WQ_BH, 0)');
    alloc('dev->buf', 'kmalloc(16, GFP_KERNEL)');
    expect(w.allocs).toEqual([
      { key: 'wq', kind: 'plain' },
      { key: 'io_wq', kind: 'reclaim' },
      { key: 'legacy_wq', kind: 'reclaim' },
      { key: 'odd_wq', kind: 'unknown' },
      { key: 'bh_wq', kind: 'unknown' },
    ]);
  });
});

describe('workKind', () => {
  const queues = new Map<string, string[]>([
    ['refill', ['system']],
    ['poll', ['system', 'events_wq']],
    ['flush', ['events_wq', 'io_wq']],
    ['odd', ['mystery_wq']],
    ['lost', ['?']],
  ]);
  const allocs = new Map<string, QueueKind[]>([
    ['events_wq', ['plain']],
    ['io_wq', ['plain', 'reclaim']],
    ['mystery_wq', ['unknown']],
  ]);
  it.each<[string, QueueKind]>([
    ['refill', 'plain'],
    ['poll', 'plain'],
    ['flush', 'reclaim'],
    ['odd', 'unknown'],
    ['lost', 'unknown'],
    ['never_queued', 'unknown'],
  ])('%s runs on a %s queue', (key, kind) => {
    expect(workKind(key, queues, allocs)).toBe(kind);
  });
});

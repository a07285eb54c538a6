import { describeGfp, lineOf } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { dropsLockToAllocate } from '../src/model/allocators.js';
import { maySleep, mustAll } from '../src/model/gfp.js';
import { EARLY_BOOT } from '../src/model/ops-slots.js';

export default defineRule({
  id: 'sleep-in-atomic',
  summary: 'Reports allocations that may sleep while a spinlock, RCU or disabled preemption or interrupts make the context atomic',
  severity: 'error',
  confidence: 'high',
  recommended: true,
  scope: 'program',
  startsFrom: ['allocations', 'atomicCalls'],
  messages: {
    callSleeps: "'{{callee}}()' may sleep ({{why}}) but is called inside an atomic section ({{reason}}: '{{what}}' on line {{line}})",
    maySleep: "'{{callee}}()' with '{{gfp}}' may sleep in direct reclaim inside an atomic section ({{reason}}: '{{what}}' on line {{line}}){{when}}",
    alwaysSleeps: "'{{callee}}()' may sleep whatever its mask, inside an atomic section ({{reason}}: '{{what}}' on line {{line}})",
  },
  docs: {
    rationale:
      'A mask with `__GFP_DIRECT_RECLAIM` (GFP_KERNEL, GFP_NOFS, GFP_NOIO …) lets the allocator enter direct reclaim and schedule (`gfpflags_allow_blocking()`, include/linux/gfp.h). ' +
      'Scheduling with a spinlock held, inside an RCU read-side section, or with preemption, softirqs or interrupts disabled is a bug that `might_sleep()` reports only when the ' +
      'slow path runs (spec §1.3, §3.4). vmalloc-family calls may sleep whatever their mask (`might_sleep()` in `alloc_vmap_area()`, mm/vmalloc.c). ' +
      'A mutex or rwsem is not atomic. Memalloc scopes never add bits: a scope cannot make a GFP_KERNEL call non-blocking (spec §2.4).',
    fix: 'Allocate before taking the lock (and free on the unused path), or use `GFP_NOWAIT`/`GFP_ATOMIC` and handle failure (Documentation/core-api/memory-allocation.rst).',
    limitations: 'Only sections opened in the same function are seen here: a function called with a spinlock held by its caller is the interprocedural analysis\'s part. start_kernel() is exempt: until kernel_init_freeable() every allocation is masked with GFP_BOOT_MASK (no direct reclaim, init/main.c).',
    references: ['Documentation/core-api/memory-allocation.rst', 'include/linux/gfp.h', 'mm/vmalloc.c'],
  },
  *check(fn, { model, program }) {
    if (EARLY_BOOT.has(fn.name)) return;
    const allocIndexes = new Set(fn.allocations.map((a) => a.index));
    for (const c of fn.calls) {
      if (allocIndexes.has(c.index) || c.call.indirect || !c.ctx.precise) continue;
      const atomic = c.ctx.held.find((h) => h.atomic);
      if (!atomic) continue;
      const sleeps = program.summaryOf(c.call.callee, fn.file)?.maySleep;
      if (!sleeps) continue;
      yield {
        message: 'callSleeps',
        at: c.call.r,
        data: { callee: c.call.callee, why: sleeps[sleeps.length - 1].note, reason: atomic.reason, what: atomic.what, line: lineOf(atomic.rng) },
        related: [
          { at: atomic.rng, note: `'${atomic.what}' makes the context atomic here (${atomic.reason})` },
          ...sleeps.map((w) => ({ at: w.rng, file: w.file, note: w.note })),
        ],
      };
    }
    for (const a of fn.allocations) {
      if (!a.ctx.precise) continue;
      // An allocator that drops the lock it is called under to allocate (the __xa_*() calls and
      // xa_lock) does not sleep inside it; any other atomic section still counts.
      const atomic = a.ctx.held.find((h) => h.atomic && !dropsLockToAllocate(a.spec, h.what));
      if (!atomic) continue;
      const always = a.spec.sleeps === 'always';
      if (!always && (a.spec.sleeps === 'never' || !mustAll(a.effective, (m) => maySleep(m, model.table)))) continue;
      yield {
        message: always ? 'alwaysSleeps' : 'maySleep',
        at: a.rng,
        data: {
          callee: a.callee, gfp: a.gfpImplied ? describeGfp(model, a.gfp) : a.gfpText, reason: atomic.reason, what: atomic.what, line: lineOf(atomic.rng),
          // A wrapper that allocates only on some paths (a retry after a non-blocking attempt) sleeps only there.
          when: a.spec.onlySomePaths ? `, on the path where it has to allocate: ${a.spec.onlySomePaths}` : '',
        },
        related: [{ at: atomic.rng, note: `'${atomic.what}' makes the context atomic here (${atomic.reason})` }],
      };
    }
  },
});

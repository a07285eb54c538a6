import { lineOf, oneLine } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { nofailHighOrderWarning, vmallocHonoursNofail } from '../src/model/allocators.js';
import { mustHaveBit, mustLackBit, type GfpValue } from '../src/model/gfp.js';
import { constInt, pageOrder } from '../src/model/sizes.js';

/**
 * Largest kmalloc() served by slab caches: KMALLOC_MAX_CACHE_SIZE is two pages with SLUB
 * (include/linux/slab.h), so anything larger goes to the page allocator at order 2 or more
 * (spec §3.1 kmalloc row, §4 "kmalloc > 2 pages").
 */
const KMALLOC_MAX_CACHE_SIZE = 2 * 4096;

export default defineRule({
  id: 'nofail-misuse',
  summary: 'Reports uses of __GFP_NOFAIL the allocator does not support: with non-blocking masks, NORETRY or RETRY_MAYFAIL, orders above 1, or inside PF_MEMALLOC scopes',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['allocations'],
  messages: {
    nonBlocking:
      "'{{callee}}()' with '{{gfp}}' can return NULL: __GFP_NOFAIL needs __GFP_DIRECT_RECLAIM, and this mask cannot block",
    retry: "'{{gfp}}' combines __GFP_NOFAIL with {{flag}} in '{{callee}}()': the failure policies contradict each other",
    order:
      "'{{callee}}()' with '{{gfp}}' asks for order {{order}}: __GFP_NOFAIL is not supported above order 1, {{how}}",
    kmallocSize:
      "'{{callee}}()' of {{size}} bytes with '{{gfp}}' goes to the page allocator at order {{order}}: __GFP_NOFAIL is not supported above order 1, {{how}}",
    noreclaim:
      "'{{callee}}()' with '{{gfp}}' runs inside the PF_MEMALLOC scope opened by '{{opener}}()' on line {{line}}: the allocator the allocator cannot reclaim, so __GFP_NOFAIL cannot be honoured",
    kvmallocOld:
      "on {{version}} '{{callee}}()' does not support __GFP_NOFAIL in '{{gfp}}': its vmalloc fallback can still fail before 5.17",
  },
  docs: {
    rationale:
      '`__GFP_NOFAIL` promises that the allocation never fails, but only where the allocator can keep reclaiming (spec §4, P14–P16). Without ' +
      '`__GFP_DIRECT_RECLAIM` (`GFP_ATOMIC | __GFP_NOFAIL`, `GFP_NOWAIT | __GFP_NOFAIL`) the page allocator warns and **returns NULL**; with `__GFP_NORETRY` or ' +
      '`__GFP_RETRY_MAYFAIL` the mask asks for two failure policies at once; buddy allocations above order 1 are unsupported (6.1 `rmqueue()` warns on every ' +
      'such request, 6.12 `__alloc_pages_slowpath()` on entry, 903edea6c53f), and a kmalloc of more than two pages is such an allocation; inside ' +
      '`memalloc_noreclaim_save()` (PF_MEMALLOC) the task cannot reclaim and the allocator warns. kvmalloc and vmalloc support the flag only since 5.17 ' +
      '(a421ef303008, 9376130c390a). 6.12 moved the checks to the start of the slow path, so they fire only under memory pressure: tests rarely see them.',
    fix:
      'Use a blocking mask (`GFP_KERNEL | __GFP_NOFAIL`, or `GFP_NOFS | __GFP_NOFAIL` under a transaction) and allocate outside atomic sections; keep one ' +
      'failure policy; for more than two pages use `kvmalloc(size, GFP_KERNEL | __GFP_NOFAIL)` (5.17+); otherwise drop `__GFP_NOFAIL` and handle NULL.',
    limitations:
      'Orders and sizes are judged only when they are constants (literals, `PAGE_SIZE`, `SZ_*`, `get_order()`), for 4 KiB pages. A vmalloc-family call with ' +
      '__GFP_NOFAIL before 5.17, or with a non-blocking mask, is reported by `vmalloc-unsupported-gfp`; a non-blocking kvmalloc-family call by ' +
      '`kvmalloc-no-fallback`, not twice. PF_MEMALLOC set by a caller (kswapd, swap-over-NFS) is not seen.',
    references: ['include/linux/gfp_types.h', 'mm/page_alloc.c', 'Documentation/core-api/memory-allocation.rst'],
  },
  *check(fn, { model }) {
    if (model.allocator(fn.name)) return;
    const t = model.table;
    const must = (v: GfpValue, name: string) => v.kind !== 'unknown' && mustHaveBit(v, name, t);
    const lacks = (v: GfpValue, name: string) => v.kind !== 'unknown' && mustLackBit(v, name, t);
    const how = `on ${model.versionText} ${nofailHighOrderWarning(model.version)}`;
    for (const a of fn.allocations) {
      if (!must(a.gfp, '__GFP_NOFAIL')) continue;
      const family = a.spec.family;
      const base = { callee: a.callee, gfp: oneLine(a.gfpText), version: model.versionText };
      // Before 5.17 vmalloc ignores the flag altogether: vmalloc-unsupported-gfp says so.
      if (family === 'vmalloc' && !vmallocHonoursNofail(model.version)) continue;
      if (family === 'kvmalloc' && !vmallocHonoursNofail(model.version)) {
        yield { message: 'kvmallocOld', at: a.gfpRng, data: base };
        continue;
      }
      // Scopes never add bits (spec §2.4): the written mask decides whether the call can block.
      if (lacks(a.gfp, '__GFP_DIRECT_RECLAIM')) {
        // vmalloc-unsupported-gfp and kvmalloc-no-fallback report non-blocking calls of their families.
        if (family !== 'vmalloc' && family !== 'kvmalloc') yield { message: 'nonBlocking', at: a.gfpRng, data: base };
        continue;
      }
      for (const flag of ['__GFP_NORETRY', '__GFP_RETRY_MAYFAIL']) {
        if (must(a.gfp, flag)) yield { message: 'retry', at: a.gfpRng, data: { ...base, flag } };
      }
      const call = fn.facts.calls[a.index];
      const orderExpr = a.spec.orderArg === undefined ? undefined : call.args[a.spec.orderArg];
      const order = orderExpr ? constInt(orderExpr) : undefined;
      if (order !== undefined && order > 1) yield { message: 'order', at: a.gfpRng, data: { ...base, order, how } };
      if (family === 'kmalloc' && a.spec.sizeArg !== undefined) {
        const sizeExpr = call.args[a.spec.sizeArg];
        const size = sizeExpr ? constInt(sizeExpr) : undefined;
        if (size !== undefined && size > KMALLOC_MAX_CACHE_SIZE) {
          yield { message: 'kmallocSize', at: a.gfpRng, data: { ...base, size, order: pageOrder(size), how } };
        }
      }
      if (a.ctx.precise) {
        const noreclaim = a.ctx.scopes.find((s) => s.kind === 'noreclaim');
        if (noreclaim) yield { message: 'noreclaim', at: a.gfpRng, data: { ...base, opener: noreclaim.opener, line: lineOf(noreclaim.rng) } };
      }
    }
  },
});

import { describeGfp } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { vmallocHonoursNofsNoio } from '../src/model/allocators.js';

export default defineRule({
  id: 'scope-single-allocation',
  summary: 'Reports memalloc scopes that wrap exactly one direct allocator call (the ad-hoc scope)',
  severity: 'warning',
  confidence: 'medium',
  recommended: true,
  scope: 'function',
  startsFrom: ['scopes'],
  messages: {
    adHoc: "'{{opener}}()' scope wraps a single '{{callee}}()' call: pass the mask to it, or cover the real critical section",
  },
  docs: {
    rationale:
      'The scope API is meant to mark a reclaim-critical section (a lock shared with reclaim, a transaction) where it begins and ends, with a comment saying why ' +
      '(Documentation/core-api/gfp_mask-from-fs-io.rst). A scope around one allocation that takes a gfp argument is a workaround: it says nothing about the ' +
      'section it protects, and the same effect is one flag at the call. The real trees have such regions (spec §6(a): `fs/btrfs/acl.c`, `drivers/mmc/core/block.c`).',
    fix: 'Either pass `GFP_NOFS`/`GFP_NOIO` to the allocation, or move the save and restore to where the lock or transaction that makes reclaim unsafe is taken and released, with a comment.',
    limitations:
      'Allocators without a gfp argument (`grab_cache_page_write_begin()`, `crypto_alloc_*()`) are not direct allocator calls with a mask and are never reported; ' +
      'nor are vmalloc-family calls when the target kernel is older than 5.17, where the scope was the only way to make vmalloc honour NOFS.',
    references: ['Documentation/core-api/gfp_mask-from-fs-io.rst'],
  },
  *check(fn, { model }) {
    if (!fn.precise) return;
    for (const r of fn.scopes) {
      if (!r.restores.length || r.leaks.length || r.innerCalls.length !== 1) continue;
      if (r.kind !== 'nofs' && r.kind !== 'noio') continue;
      const alloc = fn.allocations.find((a) => a.index === r.innerCalls[0]);
      // A direct allocator call: a helper gfplint inferred to pass its gfp on is not one.
      if (!alloc || alloc.gfpImplied || alloc.spec.gfpArg === null || alloc.spec.note?.startsWith('inferred:')) continue;
      if ((alloc.spec.family === 'vmalloc' || alloc.spec.family === 'kvmalloc') && !vmallocHonoursNofsNoio(model.version)) continue;
      yield {
        message: 'adHoc',
        at: r.saveRng,
        data: { opener: fn.facts.calls[r.saveIndex].callee, callee: alloc.callee },
        related: [{ at: alloc.rng, note: `the only call in the scope: '${alloc.callee}()' with '${alloc.gfpText}' (${describeGfp(model, alloc.gfp)})` }],
      };
    }
  },
});

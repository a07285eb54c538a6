import { describeGfp } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { vmallocHonoursNofsNoio } from '../src/model/allocators.js';

export default defineRule({
  id: 'scope-single-allocation',
  summary: 'Reports memalloc scopes that wrap exactly one direct allocator call (the ad-hoc scope)',
  severity: 'info',
  confidence: 'medium',
  recommended: true,
  scope: 'function',
  startsFrom: ['scopes'],
  messages: {
    adHoc: "does the '{{opener}}()' scope around this single '{{callee}}()' call mark the reclaim-critical section? If it does, say which lock or transaction it protects in a comment; if not, widen it to cover that section",
  },
  docs: {
    rationale:
      'The scope API is meant to mark a reclaim-critical section (a lock shared with reclaim, a transaction) where it begins and ends, with a comment saying why ' +
      '(Documentation/core-api/gfp_mask-from-fs-io.rst). A scope around one allocation that takes a gfp argument is a workaround: it says nothing about the ' +
      'section it protects. Documentation/core-api/gfp_mask-from-fs-io.rst prefers scopes to flags, so the question is not "why not GFP_NOFS?" but "which ' +
      'section is this?": a scope with a comment saying why (a deliberate marker of a future transaction-wide scope, as in fs/btrfs) is quiet. ' +
      'Reported as `info`: it asks, it does not say the code is wrong.',
    fix: 'Move the save and restore to where the lock or transaction that makes reclaim unsafe is taken and released, or say in a comment at the scope which one it protects.',
    limitations:
      'Allocators without a gfp argument (`grab_cache_page_write_begin()`, `crypto_alloc_*()`) are not direct allocator calls with a mask and are never reported; ' +
      'nor are vmalloc-family calls when the target kernel is older than 5.17, where the scope was the only way to make vmalloc honour NOFS. ' +
      'A comment counts when it ends on the line before the save (or shares its line) and speaks of reclaim, locks, transactions or NOFS/NOIO.',
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
      if (explainedByComment(fn.facts.reasonComments, r.saveRng[0])) continue;
      yield {
        message: 'adHoc',
        at: r.saveRng,
        data: { opener: fn.facts.calls[r.saveIndex].callee, callee: alloc.callee },
        related: [{ at: alloc.rng, note: `the only call in the scope: '${alloc.callee}()' with '${alloc.gfpText}' (${describeGfp(model, alloc.gfp)})` }],
      };
    }
  },
});

/** A comment about the reclaim context that ends on the line before the save, or on its line. */
function explainedByComment(comments: { line: number; text: string }[], saveLine: number): boolean {
  return comments.some((c) => {
    const end = c.line + (c.text.match(/\n/g)?.length ?? 0);
    // reasonComments keep the first 300 characters: a longer comment may end further down.
    return c.line <= saveLine && (end >= saveLine - 1 || (c.text.length >= 300 && c.line >= saveLine - 16));
  });
}

import { defineRule } from '../src/engine/rule.js';
import { siteVerdicts } from '../src/program/verdicts.js';

export default defineRule({
  id: 'nofs-cargo-cult',
  summary: 'Reports per-call GFP_NOFS or GFP_NOIO masks with no visible reason in any context the function runs in',
  severity: 'info',
  confidence: 'medium',
  recommended: true,
  scope: 'program',
  startsFrom: ['allocations'],
  messages: {
    noReason: "'{{gfp}}' at '{{callee}}()' has no visible reason: {{evidence}}",
  },
  docs: {
    rationale:
      'The memory-management maintainers have long asked of each `GFP_NOFS` "which context makes this necessary?" ' +
      '(Documentation/core-api/gfp_mask-from-fs-io.rst: the per-call flags are the legacy method, and "just in case" use is abuse that causes over-reclaim). ' +
      'NOFS is needed where reclaim recursing into the filesystem could deadlock: with a lock that reclaim may take, inside a transaction or journal handle, ' +
      'or in reclaim and writeback themselves. This rule looks for any such reason in the function and in every context it runs in (its known callers, ' +
      'transitively, and the entry point it is reached through: an ops-table slot, an initcall, or the workqueue its work item is queued on) and asks the question when it finds none.',
    fix: 'If nothing in the call chain holds a lock or a transaction that reclaim needs, use `GFP_KERNEL`. If something does, open a memalloc scope where it begins ' +
      '(the lock or the transaction start) with a comment naming the hazard, and use `GFP_KERNEL` inside it.',
    limitations:
      'Severity is info: it is a question to the author. Functions with callers gfplint cannot see (exported, address taken outside a known ops slot, or non-static ' +
      'and never called in the scanned files) get no verdict. Locks the caller holds through a structure gfplint cannot follow are not seen; a comment mentioning locks, ' +
      'reclaim, journals or transactions in the function counts as a reason. A work function gets a verdict only when every queue site of its work item (matched by field name, ' +
      'tree-wide) is on a system workqueue or on one allocated with constant flags, and only outside storage code, where work often completes what reclaim waits for; ' +
      'work declared with `DECLARE_WORK()` or on the stack is not followed.',
    references: ['Documentation/core-api/gfp_mask-from-fs-io.rst', 'Documentation/core-api/memory-allocation.rst', 'include/linux/sched/mm.h'],
  },
  *check(fn, { model, program }) {
    for (const v of siteVerdicts(fn, model, program)) {
      if (v.verdict !== 'unneeded') continue;
      yield {
        message: 'noReason',
        at: v.alloc.gfpRng,
        data: { gfp: v.alloc.gfpText, callee: v.alloc.callee, evidence: v.evidence },
        related: v.related.map((w) => ({ at: w.rng, file: w.file, note: w.note })),
      };
    }
  },
});

import { scopedMaskFix } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { siteVerdicts } from '../src/program/verdicts.js';

export default defineRule({
  id: 'nofs-redundant',
  summary: 'Reports per-call GFP_NOFS or GFP_NOIO masks where an equally strict memalloc scope is already active',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'program',
  startsFrom: ['allocations'],
  messages: {
    redundant: "'{{gfp}}' is redundant: {{evidence}}",
  },
  docs: {
    rationale:
      'Inside a NOFS scope `current_gfp_context()` clears `__GFP_FS` from every allocation of the task, so `GFP_KERNEL` and `GFP_NOFS` are the same there; ' +
      'inside a NOIO scope `GFP_KERNEL`, `GFP_NOFS` and `GFP_NOIO` are all `GFP_NOIO` (spec §2.4). The per-call flag only repeats the scope, and it stays behind ' +
      'as a "just in case" NOFS when the code moves out of the scope (Documentation/core-api/gfp_mask-from-fs-io.rst). A NOFS mask inside a NOIO scope is redundant; ' +
      'a NOIO mask inside a NOFS scope is not.',
    fix: 'Use `GFP_KERNEL` (or the caller\'s mask) and let the scope constrain it; keep the comment at the scope that says why reclaim must not recurse.',
    limitations: 'An ext4 journal handle is a scope only when the journal is enabled (no-journal mode and fast-commit replay hand out handles that open none), so sites under one are never reported; ' +
      'a transaction handle received as a parameter counts only where it is tested non-NULL or every known caller passes a non-NULL one (spec §5).',
    references: ['Documentation/core-api/gfp_mask-from-fs-io.rst', 'include/linux/sched/mm.h'],
  },
  *check(fn, { model, program }) {
    for (const v of siteVerdicts(fn, model, program)) {
      if (v.verdict !== 'redundant' || v.alloc.gfpImplied) continue;
      // Safe to apply only when the scope is this function's own (not a caller's, a provider's
      // handle or a parameter's), on every path and unconditional; otherwise a suggestion: a new
      // caller may lack the scope.
      const edit = v.by ? scopedMaskFix(model, v.alloc, v.by.scopes) : undefined;
      yield {
        message: 'redundant',
        at: v.alloc.gfpRng,
        data: { gfp: v.alloc.gfpText, evidence: v.evidence },
        related: v.related.map((w) => ({ at: w.rng, file: w.file, note: w.note })),
        ...(edit ? (v.by?.own ? { fix: edit } : { suggestions: [edit] }) : {}),
      };
    }
  },
});

import { describeGfp, lineOf, scopedMaskFix } from '../src/engine/rule-helpers.js';
import { defineRule, type RuleFix } from '../src/engine/rule.js';
import { isNofsLike, isNoioLike, mustAll } from '../src/model/gfp.js';

/** A fix that rests on the callers' scope is only ever a suggestion: a new caller may lack it. */
const suggest = (f: RuleFix | undefined) => (f ? { suggestions: [f] } : {});

export default defineRule({
  id: 'nofs-redundant',
  summary: 'Reports per-call GFP_NOFS or GFP_NOIO masks where an equally strict memalloc scope is already active',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'program',
  startsFrom: ['allocations'],
  messages: {
    redundant: "'{{gfp}}' is redundant: '{{callee}}()' already runs inside the {{scope}} scope opened by '{{opener}}()' on line {{line}}{{when}}",
    redundantByCallers: "'{{gfp}}' is redundant: every known caller reaches '{{fn}}()' inside a {{scope}} scope, e.g. {{chain}}",
  },
  docs: {
    rationale:
      'Inside a NOFS scope `current_gfp_context()` clears `__GFP_FS` from every allocation of the task, so `GFP_KERNEL` and `GFP_NOFS` are the same there; ' +
      'inside a NOIO scope `GFP_KERNEL`, `GFP_NOFS` and `GFP_NOIO` are all `GFP_NOIO` (spec §2.4). The per-call flag only repeats the scope, and it stays behind ' +
      'as a "just in case" NOFS when the code moves out of the scope (Documentation/core-api/gfp_mask-from-fs-io.rst). A NOFS mask inside a NOIO scope is redundant; ' +
      'a NOIO mask inside a NOFS scope is not.',
    fix: 'Use `GFP_KERNEL` (or the caller\'s mask) and let the scope constrain it; keep the comment at the scope that says why reclaim must not recurse.',
    limitations: 'A journal handle (ext4, ocfs2) is a scope only when the journal is enabled: in ext4 no-journal mode the handle opens no scope (spec §5).',
    references: ['Documentation/core-api/gfp_mask-from-fs-io.rst', 'include/linux/sched/mm.h'],
  },
  *check(fn, { model, program }) {
    const called = program.calledIn(fn);
    for (const a of fn.allocations) {
      if (a.gfpImplied || !a.ctx.precise) continue;
      const noio = mustAll(a.gfp, (m) => isNoioLike(m, model.table));
      const nofs = noio || mustAll(a.gfp, (m) => isNofsLike(m, model.table));
      if (!nofs) continue;
      // Innermost scope strict enough: NOIO covers NOFS; NOFS does not cover NOIO.
      const scope = [...a.ctx.scopes].reverse().find((s) => s.kind === 'noio' || (!noio && s.kind === 'nofs'));
      if (scope) {
        // Safe to apply only when the scope is this function's own (not a caller's), on every
        // path (ctx.scopes are must-scopes) and unconditional; otherwise a suggestion.
        const edit = scopedMaskFix(model, a, a.ctx.scopes.map((s) => s.kind));
        const own = !scope.via && !scope.onlyWhen;
        yield {
          message: 'redundant',
          at: a.gfpRng,
          data: { gfp: a.gfpText, callee: a.callee, scope: scope.kind.toUpperCase(), opener: scope.opener, line: lineOf(scope.rng), when: scope.onlyWhen ? ` (${scope.onlyWhen})` : '' },
          related: [{ at: scope.rng, note: `'${scope.opener}()' opens the ${scope.kind} scope here; effective mask at the call: ${describeGfp(model, a.effective)}` }],
          ...(edit ? (own ? { fix: edit } : { suggestions: [edit] }) : {}),
        };
        continue;
      }
      // Interprocedural: every known caller, directly or through its own callers, is in scope.
      // (A scope is only ever concluded for a function whose callers are all known.)
      const byCallers = called?.scopes.find((s) => s.kind === 'noio' || (!noio && s.kind === 'nofs'));
      if (!byCallers) continue;
      yield {
        message: 'redundantByCallers',
        at: a.gfpRng,
        data: { gfp: a.gfpText, fn: fn.name, scope: byCallers.kind.toUpperCase(), chain: byCallers.via.map((w) => w.note).join(' → ') },
        related: byCallers.via.map((w) => ({ at: w.rng, file: w.file, note: w.note })),
        ...suggest(scopedMaskFix(model, a, [byCallers.kind])),
      };
    }
  },
});

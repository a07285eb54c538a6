import { lineOf } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import type { Model } from '../src/model/context.js';
import { restoreZeroSemantics } from '../src/model/memalloc-scopes.js';
import type { FunctionFacts } from '../src/syntax/facts.js';

export default defineRule({
  id: 'scope-unbalanced',
  summary: 'Reports memalloc scopes left open at a return, and restores of a cookie no save produced',
  severity: 'error',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['scopes', 'scopeIssues'],
  messages: {
    leak: "'{{opener}}()' scope is still open at the {{exit}} on line {{line}}: every later allocation of this task stays {{kind}}",
    noSave: "'{{restore}}({{cookie}})' restores a cookie that no save produced on some path into it",
    zeroCookie:
      "'{{restore}}({{cookie}})' restores the initial 0 on a path that skips the save: on {{version}} that clears the {{kind}} flag and ends any enclosing {{kind}} scope",
  },
  docs: {
    rationale:
      'A `memalloc_*_save()` sets a flag on the task (`PF_MEMALLOC_NOFS`, `PF_MEMALLOC_NOIO`, …) that stays set until the matching restore. ' +
      'A path that returns without restoring leaves every later allocation of the task constrained, for a kernel thread forever ' +
      '(include/linux/sched/mm.h; Documentation/core-api/gfp_mask-from-fs-io.rst). A restore of a cookie no save produced restores garbage: ' +
      'before 6.9 `restore(0)` clears the flag and ends an enclosing scope, since 6.9 it is a no-op (spec §2.2, §2.3). ' +
      'A cookie stored in a struct field, a global or returned is a hand-off (jbd2 `handle->saved_alloc_context`, XFS `tp->t_pflags`) and is not reported.',
    fix: 'Restore on every exit: route error paths through the label that restores, or restore before the early return. Guard a conditional restore with the same condition as its save.',
    limitations:
      'Paths are not correlated beyond simple conditions (`if (c) save(); … if (c) restore();` is understood; conditions computed differently are not). ' +
      'A cookie initialised to 0 whose only other value comes from the save is restored as 0 on the paths that skip the save: a no-op since 6.9, not reported ' +
      'there; before 6.9 it clears the flag and is reported as such.',
    references: ['include/linux/sched/mm.h', 'Documentation/core-api/gfp_mask-from-fs-io.rst'],
  },
  *check(fn, { model }) {
    if (!fn.precise) return;
    for (const r of fn.scopes) {
      for (const leak of r.leaks) {
        yield {
          message: 'leak',
          at: r.saveRng,
          data: { opener: fn.facts.calls[r.saveIndex].callee, exit: leak.what, line: lineOf(leak.rng), kind: r.kind },
          related: [{ at: leak.rng, note: `${leak.what} with the ${r.kind} scope still open` }],
        };
      }
    }
    for (const i of fn.scopeIssues) {
      if (i.kind !== 'no-save') continue;
      if (i.cookie && onlyZeroOrSaved(fn.facts, i.cookie, model)) {
        // include/linux/sched/mm.h: 6.12 memalloc_flags_restore(0) clears no bit; 6.1
        // memalloc_noio_restore(0) writes the flag back as 0.
        if (restoreZeroSemantics(model.version) === 'noop') continue;
        yield {
          message: 'zeroCookie',
          at: i.restoreRng,
          data: { restore: fn.facts.calls[i.restoreIndex].callee, cookie: i.cookie, version: model.versionText, kind: i.restoreKind.toUpperCase() },
        };
        continue;
      }
      yield {
        message: 'noSave',
        at: i.restoreRng,
        data: { restore: fn.facts.calls[i.restoreIndex].callee, cookie: i.cookie || '…' },
      };
    }
  },
});

/** True when every value the cookie is given is 0 or a save's result, and one of them is 0 (`unsigned int noio_flags = 0;`). */
function onlyZeroOrSaved(facts: FunctionFacts, cookie: string, model: Model): boolean {
  let zero = false;
  for (const op of facts.ops) {
    if (op.op !== 'assign' || op.l.k !== 'id' || op.l.name !== cookie) continue;
    if (op.r.k === 'num' && op.r.value === 0) zero = true;
    else if (!(op.aop === '=' && op.r.k === 'call' && model.scopeCall(op.r.fn)?.op === 'save')) return false;
  }
  return zero;
}

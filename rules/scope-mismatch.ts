import { lineOf } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';

export default defineRule({
  id: 'scope-mismatch',
  summary: 'Reports memalloc restores of another kind than their save, out of LIFO order, or restored twice',
  severity: 'error',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['scopeIssues'],
  messages: {
    kind: "'{{restore}}({{cookie}})' restores the cookie of '{{opener}}()' from line {{line}}: the restore must be of the same kind",
    order: "'{{restore}}({{cookie}})' closes the {{kind}} scope from line {{line}} while the {{innerKind}} scope from line {{innerLine}} is still open: restores must be in reverse order",
    twice: "'{{restore}}({{cookie}})' restores a cookie that was already restored",
  },
  docs: {
    rationale:
      'Before 6.9 each `*_restore()` writes back the previous value of its own flag, so a NOIO cookie given to `memalloc_nofs_restore()` clobbers the NOFS state; ' +
      'since 6.9 all restores are `memalloc_flags_restore()` and it works by accident (spec §2.2, §2.3). ' +
      'Restoring an outer cookie before an inner one ends the outer scope early (6.12) or re-sets the flag after both (6.1): the scopes leak or vanish. ' +
      'A cookie restored twice re-applies a stale state.',
    fix: 'Pair each save with a restore of the same kind, restore in reverse order of the saves, and restore each cookie once.',
    references: ['include/linux/sched/mm.h', 'Documentation/core-api/gfp_mask-from-fs-io.rst'],
  },
  *check(fn) {
    if (!fn.precise) return;
    for (const i of fn.scopeIssues) {
      const restore = fn.facts.calls[i.restoreIndex].callee;
      const cookie = i.cookie || '…';
      if (i.kind === 'kind-mismatch' && i.save) {
        yield { message: 'kind', at: i.restoreRng, data: { restore, cookie, opener: i.save.opener, line: lineOf(i.save.rng) }, related: [{ at: i.save.rng, note: `'${i.save.opener}()' opened a ${i.save.kind} scope here` }] };
      } else if (i.kind === 'not-innermost' && i.save && i.innermost) {
        yield {
          message: 'order', at: i.restoreRng,
          data: { restore, cookie, kind: i.save.kind, line: lineOf(i.save.rng), innerKind: i.innermost.kind, innerLine: lineOf(i.innermost.rng) },
          related: [{ at: i.save.rng, note: 'the scope this restore closes' }, { at: i.innermost.rng, note: 'the innermost open scope' }],
        };
      } else if (i.kind === 'double-restore') {
        yield { message: 'twice', at: i.restoreRng, data: { restore, cookie }, related: i.save ? [{ at: i.save.rng, note: 'the save of this cookie' }] : [] };
      }
    }
  },
});

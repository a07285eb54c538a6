import { defineRule } from '../src/engine/rule.js';

export default defineRule({
  id: 'scope-open-coded',
  summary: 'Reports direct writes of PF_MEMALLOC* task flags instead of the memalloc scope API',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['openCoded'],
  messages: {
    set: "'{{text}}' sets {{flags}} by hand: use the memalloc_*_save() scope API",
    clear: "'{{text}}' clears {{flags}} by hand: this also ends any enclosing scope; use the matching memalloc_*_restore()",
  },
  docs: {
    rationale:
      '`current_gfp_context()` turns `PF_MEMALLOC_NOFS`/`PF_MEMALLOC_NOIO` into mask changes; the `memalloc_*_save()/restore()` pairs set and restore ' +
      'them so that scopes nest. Writing the bits by hand bypasses the nesting: clearing `PF_MEMALLOC_NOFS` unconditionally ends an outer scope the code does not own ' +
      '(spec §2.5, include/linux/sched/mm.h).',
    fix: 'Use `memalloc_nofs_save()`/`memalloc_nofs_restore()` (or the noio, noreclaim forms) and keep the cookie; for a thread-lifetime scope, save once at thread start.',
    limitations: 'The save-a-copy-then-restore-the-bits idiom (`current_restore_flags()`) is not reported; a plain assignment of a saved copy is not either.',
    references: ['include/linux/sched/mm.h', 'include/linux/sched.h', 'Documentation/core-api/gfp_mask-from-fs-io.rst'],
  },
  *check(fn) {
    // The scope API itself lives in include/linux/sched/mm.h.
    if (fn.file.endsWith('include/linux/sched/mm.h')) return;
    for (const o of fn.openCoded) {
      if (o.how === 'assign') continue;
      yield { message: o.how === 'set' ? 'set' : 'clear', at: o.rng, data: { text: o.text, flags: o.flags.map((f) => `'${f}'`).join(', ') } };
    }
  },
});

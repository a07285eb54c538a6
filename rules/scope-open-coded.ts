import { defineRule } from '../src/engine/rule.js';
import { openCodedWrites } from '../src/function/open-coded.js';
import { MEMALLOC_FLAGS_SAVE_SINCE } from '../src/model/memalloc-scopes.js';
import { atLeast } from '../src/model/version.js';
import { lineOf } from '../src/engine/rule-helpers.js';

export default defineRule({
  id: 'scope-open-coded',
  summary: 'Reports hand-written PF_MEMALLOC* task-flag writes that break the nesting of memalloc scopes',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'program',
  startsFrom: ['openCoded'],
  messages: {
    clear: "'{{text}}' clears {{flags}} by hand: this also ends any enclosing scope a caller opened; save the flags first and put back only what was saved (memalloc_*_restore())",
    leak: "'{{text}}' sets {{flags}} by hand, and the {{exit}} on line {{line}} is reached with it still set: every later allocation of the task stays constrained",
    wholeWord: "'{{text}}' saves and restores the whole task flags by hand to set {{flags}} with {{others}}: 'memalloc_flags_save({{all}})' and 'memalloc_flags_restore()' do the same",
  },
  docs: {
    rationale:
      '`current_gfp_context()` turns `PF_MEMALLOC_NOFS`/`PF_MEMALLOC_NOIO` into mask changes; the `memalloc_*_save()/restore()` pairs set the bit and later put back ' +
      'only what was there before, so that scopes nest. A hand-written clear that does not look at what was saved ends an outer scope the code does not own, and a ' +
      'hand-written set with a path that returns without putting the bit back leaks the scope into the caller (spec §2.5, include/linux/sched/mm.h). ' +
      'The hand-written forms that keep nesting are not reported: saving a copy and putting the bits back with `current_restore_flags()` or ' +
      '`current->flags = (current->flags & ~PF_MEMALLOC_NOFS) | old`, a clear guarded by the saved bit, and flags a kernel thread sets for its whole life. ' +
      'A whole-word save and restore that sets other PF_* bits too (`PF_LOCAL_THROTTLE`) is correct; on 6.9 and later it is a suggestion to use `memalloc_flags_save()`.',
    fix: 'Use `memalloc_nofs_save()`/`memalloc_nofs_restore()` (or the noio, noreclaim forms, or `memalloc_flags_save()` since 6.9) and keep the cookie; when the bit must be cleared, save the flags first and restore them afterwards.',
    limitations:
      'A set that nothing in the function puts back is not reported: a thread function sets its flags for its whole life, and a helper may hand the bit to the ' +
      'caller that saved the flags and restores them (net/sunrpc: `xprt_prepare_transmit()` sets `PF_MEMALLOC` for `__rpc_execute()` to put back); ' +
      'only a set that the function itself puts back on some paths and not others is. A clear counts as guarded when the `if` ' +
      'around it reads a saved copy of the flags or a name for the bit (`trans->pf_memalloc_nofs`).',
    references: ['include/linux/sched/mm.h', 'include/linux/sched.h', 'Documentation/core-api/gfp_mask-from-fs-io.rst'],
  },
  *check(fn, { model, program }) {
    // The scope API itself lives in include/linux/sched/mm.h.
    if (fn.file.endsWith('include/linux/sched/mm.h')) return;
    const called = program.calledIn(fn);
    for (const w of openCodedWrites(fn)) {
      const data = { text: w.write.text, flags: w.write.flags.map((f) => `'${f}'`).join(', ') };
      if (w.write.how === 'clear') {
        if (w.guarded || w.restored === 'every') continue;
        // A thread function clearing at its end what it set at its start: no caller to nest in.
        if (w.pairedWithSet && called !== undefined && called.knownCallers === 0) continue;
        yield { message: 'clear', at: w.write.rng, data };
        continue;
      }
      if (w.restored === 'some' && w.leakAt) {
        yield {
          message: 'leak', at: w.write.rng,
          data: { ...data, exit: w.leakAt === fn.facts.r ? 'end of the function' : 'return', line: lineOf(w.leakAt === fn.facts.r ? [fn.facts.r[2], 0, 0, 0] : w.leakAt) },
          related: [{ at: w.leakAt, note: `reached with ${data.flags} still set` }],
        };
      } else if (w.restored === 'every' && w.wholeWord && w.otherBits.length && atLeast(model.version, ...MEMALLOC_FLAGS_SAVE_SINCE)) {
        const all = [...w.write.flags, ...w.otherBits];
        yield {
          message: 'wholeWord', severity: 'info', at: w.write.rng,
          data: { ...data, others: w.otherBits.map((f) => `'${f}'`).join(', '), all: all.join(' | ') },
        };
      }
    }
  },
});

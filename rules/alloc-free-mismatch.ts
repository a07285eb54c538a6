import { lineOf } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { freeMatches, freeMismatch, PLAIN_FREES } from '../src/model/allocators.js';
import type { Rng } from '../src/facts/facts.js';

export default defineRule({
  id: 'alloc-free-mismatch',
  summary: 'Reports memory freed with a function that does not match the allocator it came from',
  severity: 'error',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['frees'],
  messages: {
    mismatch: "'{{free}}({{ptr}})' frees memory from '{{alloc}}()' on line {{line}}: {{family}} memory must be freed with {{expected}}",
  },
  docs: {
    rationale:
      '`kfree()` must not get vmalloc or kvmalloc memory (a kvmalloc pointer is vmalloc memory whenever the fallback ran, so the bug shows only under fragmentation), ' +
      'and `vfree()` must not get kmalloc, kmem_cache or kvmalloc memory (`kfree_sensitive()` takes kmalloc memory only). `kvfree()` accepts all of them (mm/util.c; spec §3.1; Documentation/core-api/memory-allocation.rst).',
    fix: 'Free kvmalloc memory with `kvfree()`, vmalloc memory with `vfree()` or `kvfree()`, kmalloc and kmem_cache memory with `kfree()` or `kmem_cache_free()` (or `kvfree()`).',
    limitations: 'The pointer is followed through assignments within the function only; memory passed through helpers or stored and freed elsewhere is not seen.',
    references: ['mm/util.c', 'mm/vmalloc.c', 'Documentation/core-api/memory-allocation.rst'],
  },
  *check(fn, { model }) {
    for (const f of fn.frees) {
      const mismatch = f.sources.map((s) => ({ src: s, m: freeMismatch(f.callee, s.family) })).find((x) => x.m);
      if (!mismatch) continue;
      const { src, m } = mismatch;
      const expected = m!.expected;
      // The source's canonical free (the model's first), when it accepts every source of the pointer.
      const canonical = model.allocator(src.callee)?.frees[0];
      const fits = canonical !== undefined && canonical !== f.callee && PLAIN_FREES.has(f.callee) &&
        f.sources.every((s) => { const spec = model.allocator(s.callee); return spec !== undefined && freeMatches(spec, canonical, model.version); });
      const edit = fits
        ? { description: `Free with '${canonical}()'`, edits: [{ at: [f.rng[0], f.rng[1], f.rng[0], f.rng[1] + f.callee.length] as Rng, text: canonical, expect: f.callee }] }
        : undefined;
      // kvfree() is kfree() for kmalloc memory and vfree() for vmalloc memory (mm/util.c): for a
      // kvmalloc pointer that kfree() freed it changes nothing when kmalloc succeeded and fixes
      // the fallback case. Any other replacement is for a person to judge.
      const safe = edit !== undefined && src.family === 'kvmalloc' && f.callee === 'kfree';
      yield {
        message: 'mismatch',
        at: f.rng,
        data: { free: f.callee, ptr: f.ptr, alloc: src.callee, line: lineOf(src.rng), family: src.family, expected },
        related: [{ at: src.rng, note: `allocated with '${src.callee}()' here` }],
        ...(edit ? (safe ? { fix: edit } : { suggestions: [edit] }) : {}),
      };
    }
  },
});

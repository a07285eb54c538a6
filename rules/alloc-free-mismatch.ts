import { lineOf } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { freeMismatch } from '../src/model/allocators.js';

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
  *check(fn) {
    for (const f of fn.frees) {
      const mismatch = f.sources.map((s) => ({ src: s, m: freeMismatch(f.callee, s.family) })).find((x) => x.m);
      if (!mismatch) continue;
      const { src, m } = mismatch;
      const expected = m!.expected;
      yield {
        message: 'mismatch',
        at: f.rng,
        data: { free: f.callee, ptr: f.ptr, alloc: src.callee, line: lineOf(src.rng), family: src.family, expected },
        related: [{ at: src.rng, note: `allocated with '${src.callee}()' here` }],
      };
    }
  },
});

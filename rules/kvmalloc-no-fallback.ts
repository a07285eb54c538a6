import { oneLine } from '../src/engine/rule-helpers.js';
import type { AllocSite, FunctionView } from '../src/function/view.js';
import type { Model } from '../src/model/context.js';
import { exprKey } from '../src/facts/expr.js';
import { defineRule } from '../src/engine/rule.js';
import { kvmallocMiss } from '../src/model/allocators.js';
import { maySleep, mustAll, type GfpValue } from '../src/model/gfp.js';
import { constInt } from '../src/model/sizes.js';

type Verdict = NonNullable<ReturnType<typeof kvmallocMiss>>;

export default defineRule({
  id: 'kvmalloc-no-fallback',
  summary: 'Reports kvmalloc-family calls whose gfp mask means the vmalloc fallback never happens (or misbehaves) on the target kernel',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['allocations'],
  messages: {
    kmallocOnly:
      "on {{version}} '{{callee}}()' with '{{gfp}}' never falls back to vmalloc: a mask that is not GFP_KERNEL-compatible gets kmalloc only on 4.18–5.16, so large requests fail",
    nonBlocking:
      "on {{version}} '{{callee}}()' with '{{gfp}}' never falls back to vmalloc: with a non-blocking mask it returns NULL when kmalloc fails",
    vmallocBug:
      "on {{version}} '{{callee}}()' with non-blocking '{{gfp}}' falls back to vmalloc, which may sleep and hits a BUG splat (fixed in 6.0 by 30c19366636f)",
    warns:
      "on {{version}} '{{callee}}()' warns (WARN_ON_ONCE) about '{{gfp}}', which is not GFP_KERNEL-compatible, and its vmalloc fallback still allocates page tables with GFP_KERNEL",
  },
  docs: {
    rationale:
      'kvmalloc() tries kmalloc and falls back to vmalloc for large requests, but what the fallback does with a mask changed over time (spec §3.2). ' +
      'On 4.12–4.17 a mask that is not a superset of `GFP_KERNEL` triggers a `WARN_ON_ONCE` and vmalloc still maps with `GFP_KERNEL` page tables; ' +
      'on 4.18–5.16 (ce91f6ee5b3b) such masks (`GFP_NOFS`, `GFP_NOIO`, `GFP_ATOMIC`, `GFP_NOWAIT`) silently get kmalloc only, so requests of more than a few ' +
      'pages fail under fragmentation exactly where the author relied on the fallback. 5.17 (a421ef303008) lets NOFS/NOIO/NOFAIL fall back; non-blocking masks ' +
      'then reached vmalloc and hit a BUG splat until 6.0 (30c19366636f), after which they return NULL once kmalloc fails. The kvmalloc kernel-doc still says ' +
      'the mask must be GFP_KERNEL-compatible: stale since 5.17 for NOFS/NOIO, accurate for non-blocking masks.',
    fix:
      'Before 5.17, pass `GFP_KERNEL` and put the call inside `memalloc_nofs_save()`/`memalloc_noio_save()` (with a comment saying why). ' +
      'For a non-blocking context, use `kmalloc()` and handle failure, or allocate beforehand in a sleepable context; "kv" suggests a fallback that never happens.',
    limitations:
      'Only masks whose bits are known are judged; a `gfp_t` parameter counts only for the bits the function certainly clears. ' +
      'Calls with a constant size of at most PAGE_SIZE never fall back and are not reported; other sizes are assumed to be large. ' +
      'A call whose failure the function handles with its own blocking fallback (`if (!p) p = mempool_alloc(pool, GFP_NOFS);`, or a retry with a blocking ' +
      'mask into the same variable) is a deliberate quick attempt and is not reported.',
    references: ['mm/util.c', 'include/linux/slab.h', 'Documentation/core-api/memory-allocation.rst'],
  },
  *check(fn, { model }) {
    // The allocator's own implementation passes its caller's mask through.
    if (model.allocator(fn.name)) return;
    const t = model.table;
    const kernel = t.masks.get('GFP_KERNEL');
    if (kernel === undefined) return;
    for (const a of fn.allocations) {
      if (a.spec.family !== 'kvmalloc') continue;
      const call = fn.facts.calls[a.index];
      const sizeExpr = a.spec.sizeArg === undefined ? undefined : call.args[a.spec.sizeArg];
      const size = sizeExpr ? constInt(sizeExpr) : undefined;
      if (size !== undefined && size <= 4096) continue;
      const masks = candidates(a.gfp, kernel);
      if (!masks) continue;
      const verdicts = masks.map((m): Verdict | undefined => {
        return kvmallocMiss(model.version, m, t);
      });
      const first = verdicts[0];
      // Every possible mask must miss the fallback: one good possibility keeps the rule quiet.
      if (!first || verdicts.some((v) => v === undefined)) continue;
      if ((first === 'nonBlocking' || first === 'kmallocOnly') && explicitFallback(fn, a, model)) continue;
      yield { message: first, at: a.gfpRng, data: { version: model.versionText, callee: a.callee, gfp: oneLine(a.gfpText) } };
    }
  },
});

/**
 * The masks to judge: every possibility of a known value; for the caller's mask, GFP_KERNEL with
 * the bits the function certainly clears or adds, which fails the checks only when every caller's
 * mask would (the checks test bits of GFP_KERNEL only).
 */
function candidates(v: GfpValue, kernel: number): number[] | undefined {
  if (v.kind === 'known') return v.masks.length ? v.masks : undefined;
  if (v.kind === 'param') return [((kernel & ~v.remove) | v.add) >>> 0];
  return undefined;
}

/**
 * A blocking allocation into the same variable on the path where this one returned NULL: a
 * mempool or a retry with a blocking mask (fs/bcachefs/btree_io.c btree_bounce_alloc() tries
 * kvmalloc(GFP_NOWAIT) and falls back to its bounce mempool).
 */
function explicitFallback(fn: FunctionView, a: AllocSite, model: Model): boolean {
  const ops = fn.facts.ops;
  const storeOf = (site: AllocSite) => {
    const i = ops.findIndex((op) => op.op === 'assign' && op.r.k === 'call' && op.r.fn === site.callee && op.rng[0] <= site.rng[0] && site.rng[0] <= op.rng[2]);
    const op = ops[i];
    return op && op.op === 'assign' ? { i, key: exprKey(op.l) } : undefined;
  };
  const first = storeOf(a);
  if (!first) return false;
  return fn.allocations.some((f) => {
    if (f.index <= a.index) return false;
    const blocks = f.spec.family === 'mempool' || f.spec.sleeps === 'always' || (f.spec.sleeps !== 'never' && mustAll(f.effective, (m) => maySleep(m, model.table)));
    const second = blocks ? storeOf(f) : undefined;
    if (!second || second.key !== first.key) return false;
    // A test of the variable between the two: `if (!p)`, `if (p == NULL)`, `if (unlikely(!p))`.
    return ops.some((op, k) => op.op === 'br' && k > first.i && k < second.i && exprKey(op.cond).includes(first.key));
  });
}

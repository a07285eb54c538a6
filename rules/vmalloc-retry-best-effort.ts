import { oneLine } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import { BEST_EFFORT_RECLAIM_MODIFIERS, unsupportedReclaimModifiers } from '../src/model/allocators.js';
import { constInt } from '../src/model/sizes.js';

export default defineRule({
  id: 'vmalloc-retry-best-effort',
  summary: 'Reports vmalloc/kvmalloc calls whose __GFP_NORETRY holds only for the data pages, not for the page tables vmalloc maps them with',
  severity: 'info',
  confidence: 'medium',
  recommended: false,
  scope: 'function',
  startsFrom: ['allocations'],
  messages: {
    bestEffort:
      "'{{callee}}()' honours __GFP_NORETRY in '{{gfp}}' for its data pages only: the page tables that map them are allocated with GFP_KERNEL whatever the mask, so under pressure this call can still reclaim hard; fine for a try-big-then-smaller loop, not a guarantee to rely on",
  },
  docs: {
    rationale:
      "The kernel-doc of __vmalloc_node_range() says only __GFP_NOFAIL of the reclaim modifiers is supported, and kvmalloc's says __GFP_NORETRY is not (6.12 mm/vmalloc.c:3814-3817, mm/util.c:644-645; the same in 6.1). In the code the flag " +
      'still reaches the data pages, which give up after one reclaim pass and never invoke the OOM killer; only the page-table pages use GFP_PGTABLE_KERNEL (include/asm-generic/pgalloc.h). ' +
      'So the flag is best effort, not ignored: the common "try a large buffer, halve it on failure" loop works as meant. This note is off by default and says what the flag does not promise.',
    fix: 'Nothing to change for a fall-back-to-smaller loop. Code that must not enter hard reclaim at all (a GPU reset or dma-fence path) needs a non-vmalloc allocation or preallocation, since vmalloc itself may sleep.',
    limitations: '__GFP_RETRY_MAYFAIL is not noted: kvmalloc passes it to vmalloc itself and documents it as supported. A kvmalloc call whose mask never reaches the vmalloc fallback (non-blocking, kmalloc-only on 4.18-5.16, a constant size of at most PAGE_SIZE) is not noted.',
    references: ['mm/vmalloc.c', 'mm/util.c', 'include/asm-generic/pgalloc.h'],
  },
  *check(fn, { model }) {
    // The allocator's own implementation is not a caller.
    if (model.allocator(fn.name)) return;
    const t = model.table;
    const kernel = t.masks.get('GFP_KERNEL') ?? 0;
    for (const a of fn.allocations) {
      if (a.spec.family !== 'vmalloc' && a.spec.family !== 'kvmalloc') continue;
      const masks = a.gfp.kind === 'known' ? a.gfp.masks : a.gfp.kind === 'param' ? [((kernel & ~a.gfp.remove) | a.gfp.add) >>> 0] : [];
      const sizeExpr = a.spec.sizeArg === undefined ? undefined : fn.facts.calls[a.index].args[a.spec.sizeArg];
      const size = sizeExpr ? constInt(sizeExpr) : undefined;
      // Noted when every mask the call may get has the flag and reaches vmalloc with it.
      const every = masks.length > 0 && masks.every((m) => unsupportedReclaimModifiers(model.version, a.spec.family, m, t, size).some((f) => BEST_EFFORT_RECLAIM_MODIFIERS.includes(f)));
      if (!every) continue;
      yield { message: 'bestEffort', at: a.gfpRng, data: { callee: a.callee, gfp: oneLine(a.gfpText) } };
    }
  },
});

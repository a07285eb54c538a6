import { VMALLOC_UNSUPPORTED_ZONES, vmallocHonoursNofail, vmallocHonoursNofsNoio, vmallocTakesZones } from '../src/model/allocators.js';
import { mustHaveBit, mustLackBit, type GfpValue } from '../src/model/gfp.js';
import { describeGfp, oneLine } from '../src/engine/rule-helpers.js';
import type { Model } from '../src/model/context.js';
import type { AllocSite } from '../src/function/view.js';
import { defineRule } from '../src/engine/rule.js';

export default defineRule({
  id: 'vmalloc-unsupported-gfp',
  summary: 'Reports vmalloc-family calls whose gfp mask the target kernel does not honour: NOFS/NOIO or __GFP_NOFAIL before 5.17, non-blocking masks, zone modifiers',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['allocations'],
  messages: {
    nofsNoio:
      "on {{version}} '{{callee}}()' ignores the {{kind}} part of '{{gfp}}'{{valueOf}}: vmalloc allocates its page tables with GFP_KERNEL before 5.17, so reclaim may still recurse into {{into}}",
    nofail: "on {{version}} '{{callee}}()' does not support __GFP_NOFAIL in '{{gfp}}'{{valueOf}}: vmalloc can still fail before 5.17",
    nonBlocking:
      "'{{callee}}()' does not support non-blocking '{{gfp}}'{{valueOf}}: vmalloc may sleep in alloc_vmap_area() and allocates its page tables with a blocking mask{{context}}",
    zone: "'{{callee}}()' does not support the zone modifier {{zone}} in '{{gfp}}'{{valueOf}}{{hint}}",
  },
  docs: {
    rationale:
      'vmalloc maps its pages through page tables that are allocated with `GFP_PGTABLE_KERNEL`, whatever the caller asked for. Since 5.17 ' +
      '(451769ebb7e7 "mm/vmalloc: alloc GFP_NO{FS,IO} for vmalloc") `__vmalloc_area_node()` enters a NOFS or NOIO scope around the mapping, so `GFP_NOFS` and ' +
      '`GFP_NOIO` work; before that, reclaim from those page-table allocations could recurse into the filesystem or start I/O, and `__GFP_NOFAIL` was not ' +
      'supported either (9376130c390a). Non-blocking masks (`GFP_ATOMIC`, `GFP_NOWAIT`, anything without `__GFP_DIRECT_RECLAIM`) are unsupported on every ' +
      'modelled kernel: `alloc_vmap_area()` calls `might_sleep()` and the page tables are allocated with a blocking mask. Zone modifiers are not supported ' +
      '(`__vmalloc_node_range()` kernel-doc); `vmalloc_32()` is the interface for 32-bit addressable memory (spec §3.3, P19). ' +
      '`Documentation/core-api/gfp_mask-from-fs-io.rst` still calls NOFS vmalloc a bug in 6.1 and 6.12: that text is stale since 5.17, and this rule follows the code. ' +
      'Of the reclaim modifiers vmalloc supports only `__GFP_NOFAIL` (`__vmalloc_node_range()` kernel-doc, 6.1 and 6.12): `__GFP_NORETRY` and `__GFP_RETRY_MAYFAIL` ' +
      'reach the page allocator for the data pages only, while the page tables are allocated with `GFP_PGTABLE_KERNEL`, so the call may still retry and ' +
      'invoke the OOM killer. kvmalloc documents `__GFP_NORETRY` as unsupported (`__GFP_RETRY_MAYFAIL` is supported): its kmalloc attempt above a page adds ' +
      '`__GFP_NORETRY` itself, so the flag changes only the vmalloc fallback, where it is not honoured.',
    fix:
      'Before 5.17, pass `GFP_KERNEL` and wrap the call in `memalloc_nofs_save()`/`memalloc_nofs_restore()` (or the noio pair), with a comment saying which ' +
      'lock or transaction reclaim must not re-enter. For a non-blocking context, allocate beforehand or defer to a worker; for 32-bit addressable memory, use `vmalloc_32()`. ' +
      'For `__GFP_NORETRY`: drop it from a kvmalloc or vmalloc mask (kvmalloc already tries kmalloc with it), or use `kmalloc()` when failing early matters more than getting the memory.',
    limitations:
      'Only masks whose bits are known are judged: a mask from the caller (`gfp_t` parameter) counts only for the bits the function certainly adds or clears. ' +
      'A scope entered by a caller is not seen here, so a pre-5.17 NOFS call already inside the caller\'s scope is reported. ' +
      'A non-blocking mask is not reported in a function that has known callers, none of them in an atomic section (boot-time hash tables ' +
      'pass `GFP_ATOMIC` to mean "fail fast"): vmalloc sleeps there, which is allowed.',
    references: ['mm/vmalloc.c', 'mm/util.c', 'Documentation/core-api/gfp_mask-from-fs-io.rst', 'include/linux/vmalloc.h'],
  },
  *check(fn, { model, program }) {
    // The allocator's own implementation (vmalloc_32_user() passing GFP_VMALLOC32, …) is not a caller.
    if (model.allocator(fn.name)) return;
    const t = model.table;
    const must = (v: GfpValue, pred: (v: GfpValue) => boolean) => v.kind !== 'unknown' && pred(v);
    for (const a of fn.allocations) {
      if (a.spec.family !== 'vmalloc') continue;
      const base = { callee: a.callee, version: model.versionText, ...shownMask(model, a) };
      // Scopes never add bits (spec §2.4): the written mask decides whether the call can block.
      const nonBlocking = must(a.gfp, (v) => mustLackBit(v, '__GFP_DIRECT_RECLAIM', t));
      if (nonBlocking) {
        // A non-blocking mask in a function whose known callers all may sleep, with no atomic
        // section here (mm/mm_init.c alloc_large_system_hash() at boot), asks vmalloc to fail
        // fast, which it cannot: that is no sleep in atomic context.
        const atomicHere = a.ctx.mayHeld.find((h) => h.atomic);
        const called = program.calledIn(fn);
        const sleepable = !atomicHere && called !== undefined && called.knownCallers > 0 && !called.atomicWitness;
        if (!sleepable) {
          const context = atomicHere ? ` (here inside '${atomicHere.what}': ${atomicHere.reason})` : called?.atomicWitness ? ` (${called.atomicWitness[called.atomicWitness.length - 1].note})` : '';
          yield {
            message: 'nonBlocking', at: a.gfpRng, data: { ...base, context },
            related: called?.atomicWitness?.map((w) => ({ at: w.rng, file: w.file, note: w.note })),
          };
        }
      }
      if (!vmallocHonoursNofsNoio(model.version) && !nonBlocking && a.ctx.precise) {
        const noFs = must(a.gfp, (v) => mustLackBit(v, '__GFP_FS', t));
        const noIo = must(a.gfp, (v) => mustLackBit(v, '__GFP_IO', t));
        // A scope the function itself holds already does what the mask cannot: the documented fix.
        const kinds = new Set(a.ctx.scopes.map((s) => s.kind));
        const covered = kinds.has('noio') || (!noIo && kinds.has('nofs'));
        if ((noFs || noIo) && !covered) {
          yield {
            message: 'nofsNoio',
            at: a.gfpRng,
            data: { ...base, kind: noIo ? 'NOIO' : 'NOFS', into: noIo ? 'the filesystem or start I/O' : 'the filesystem' },
          };
        }
      }
      if (!vmallocHonoursNofail(model.version) && must(a.gfp, (v) => mustHaveBit(v, '__GFP_NOFAIL', t))) {
        yield { message: 'nofail', at: a.gfpRng, data: base };
      }
      if (!vmallocTakesZones(a.spec)) {
        for (const [zone, why] of Object.entries(VMALLOC_UNSUPPORTED_ZONES)) {
          if (!must(a.gfp, (v) => mustHaveBit(v, zone, t))) continue;
          const hint = `: ${why}`;
          yield { message: 'zone', at: a.gfpRng, data: { ...base, zone, hint } };
        }
      }
    }
  },
});

/** The mask as written, with its value when the text is a variable (`gfp_flags`, which is GFP_ATOMIC). */
function shownMask(model: Model, a: AllocSite): { gfp: string; valueOf: string } {
  const text = oneLine(a.gfpText);
  const named = /^[A-Za-z_]\w*$/.test(text) && !model.table.masks.has(text) && !model.table.bits.has(text);
  if (!named || a.gfp.kind !== 'known') return { gfp: text, valueOf: '' };
  return { gfp: describeGfp(model, a.gfp), valueOf: ` (the value of '${text}')` };
}

import { defineRule } from '../src/engine/rule.js';
import type { Expr } from '../src/facts/expr.js';
import { SLAB_IGNORED_ZONES } from '../src/model/allocators.js';
import { bit, hasBit, mustAll, RECLAIM_BITS } from '../src/model/gfp.js';

/** The named operands of an OR chain: `GFP_KERNEL | GFP_NOFS | __GFP_ZERO` → the three names. */
function orOperands(e: Expr, out: string[] = []): string[] | undefined {
  if (e.k === 'bin' && e.op === '|') return orOperands(e.l, out) && orOperands(e.r, out);
  if (e.k === 'cast') return orOperands(e.e, out);
  if (e.k === 'id') {
    out.push(e.name);
    return out;
  }
  return undefined;
}

export default defineRule({
  id: 'gfp-contradiction',
  summary: 'Reports masks that ask for opposite things, such as GFP_KERNEL | GFP_NOFS or __GFP_NORETRY with __GFP_RETRY_MAYFAIL',
  severity: 'warning',
  confidence: 'high',
  recommended: true,
  scope: 'function',
  startsFrom: ['allocations'],
  messages: {
    widened: "'{{gfp}}' is just '{{wide}}': OR-ing '{{narrow}}' into it cannot clear {{lost}}; drop the redundant '{{narrow}}'",
    retry: "'{{gfp}}' asks for both __GFP_NORETRY and __GFP_RETRY_MAYFAIL",
    atomicReclaim: "'{{gfp}}' combines __GFP_ATOMIC with __GFP_DIRECT_RECLAIM: the page allocator warns and drops __GFP_ATOMIC",
    zone: "'{{gfp}}' passes {{zone}} to '{{callee}}()', which ignores it: slab has no such caches and warns 'Unexpected gfp'",
    fsWithoutIo: "'{{gfp}}' allows __GFP_FS without __GFP_IO: reclaim may recurse into the filesystem but not start I/O, which no scope ever produces",
  },
  docs: {
    rationale:
      'OR can only add bits: `GFP_KERNEL | GFP_NOFS` is `GFP_KERNEL`, so the author\'s NOFS intent silently disappears (spec §1.3; 6.1 `fs/nfsd/vfs.c` has two). ' +
      '`__GFP_NORETRY` (fail early) and `__GFP_RETRY_MAYFAIL` (try hard) are opposite failure policies (spec §1.3, §4). ' +
      'In 6.1, `__GFP_ATOMIC` with direct reclaim makes `__alloc_pages_slowpath()` warn (spec §3.4). Slab ignores `__GFP_DMA32` and `__GFP_HIGHMEM` and warns ' +
      '(`GFP_SLAB_BUG_MASK`, mm/slab_common.c). Clearing `__GFP_IO` but not `__GFP_FS` is a mask `current_gfp_context()` never produces (spec §1.3).',
    fix: 'Drop the redundant flag: the mask already behaves as the wider one, and a memalloc scope (a transaction\'s, say) still narrows it at run time. ' +
      'Where reclaim really must not enter the filesystem or start I/O, use `GFP_NOFS`/`GFP_NOIO` alone or a scope. Otherwise pick one mask: one failure policy; `dma_alloc_*()` or the page allocator for zone constraints; clear `__GFP_FS` together with `__GFP_IO`.',
    references: ['include/linux/gfp_types.h', 'Documentation/core-api/memory-allocation.rst', 'mm/slab_common.c'],
  },
  *check(fn, { model }) {
    const t = model.table;
    const has = (name: string) => (m: number) => hasBit(m, name, t);
    for (const a of fn.allocations) {
      if (a.gfpImplied || a.spec.gfpArg === null) continue;
      const expr = fn.facts.calls[a.index].args[a.spec.gfpArg];
      const gfp = a.gfpText;
      const names = expr ? orOperands(expr) : undefined;
      let widened = false;
      if (names && names.length > 1) {
        const reclaim = RECLAIM_BITS.reduce((acc, n) => acc | bit(t, n), 0);
        const composites = names.filter((n) => /^GFP_/.test(n) || model.table.masks.has(n)).map((n) => ({ n, v: model.table.masks.get(n) }));
        for (const narrow of composites) {
          for (const wide of composites) {
            if (narrow.v === undefined || wide.v === undefined || narrow === wide) continue;
            const nr = narrow.v & reclaim;
            const wr = wide.v & reclaim;
            // A zone-only modifier (GFP_DMA) has no reclaim bits and is meant to be OR-ed in.
            if (nr === 0 || (nr & wr) !== nr || nr === wr) continue;
            const lost = RECLAIM_BITS.filter((b) => (wr & bit(t, b)) && !(nr & bit(t, b)));
            // Which operand the author meant is a guess: offered, never applied.
            const keep = names.filter((n) => n !== wide.n).join(' | ');
            const suggestion = { description: `Keep the '${narrow.n}' intent: drop '${wide.n}'`, edits: [{ at: a.gfpRng, text: keep, expect: gfp }] };
            yield { message: 'widened', at: a.gfpRng, data: { gfp, wide: wide.n, narrow: narrow.n, lost: lost.join(' and ') }, suggestions: [suggestion] };
            widened = true;
            break;
          }
          if (widened) break;
        }
      }
      if (mustAll(a.gfp, (m) => has('__GFP_NORETRY')(m) && has('__GFP_RETRY_MAYFAIL')(m))) yield { message: 'retry', at: a.gfpRng, data: { gfp } };
      if (mustAll(a.gfp, (m) => has('__GFP_ATOMIC')(m) && has('__GFP_DIRECT_RECLAIM')(m))) yield { message: 'atomicReclaim', at: a.gfpRng, data: { gfp } };
      if (Object.hasOwn(SLAB_IGNORED_ZONES, a.spec.family)) {
        for (const zone of SLAB_IGNORED_ZONES[a.spec.family]!) {
          if (mustAll(a.gfp, has(zone))) yield { message: 'zone', at: a.gfpRng, data: { gfp, zone, callee: a.callee } };
        }
      }
      if (!widened && mustAll(a.gfp, (m) => has('__GFP_FS')(m) && !has('__GFP_IO')(m))) yield { message: 'fsWithoutIo', at: a.gfpRng, data: { gfp } };
    }
  },
});

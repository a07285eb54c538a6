import { bitOf, oneLine } from '../src/engine/rule-helpers.js';
import { defineRule } from '../src/engine/rule.js';
import type { AllocatorSpec } from '../src/model/allocators.js';
import { evalGfp, type GfpValue } from '../src/model/gfp.js';
import { applyScopes, type ScopeKind } from '../src/model/memalloc-scopes.js';
import { identifiersOf, type Expr } from '../src/syntax/expr.js';
import type { FunctionFacts, Rng } from '../src/syntax/facts.js';
import type { Model } from '../src/model/context.js';

/**
 * Allocators whose implied mask is not a choice the function made: user copies allocate with
 * GFP_KERNEL/GFP_USER on purpose because copy_from_user() can fault anyway (mm/util.c
 * strndup_user()), and page-cache helpers take the mapping's mask.
 */
const IMPLIED_BY_DESIGN = new Set(['memdup_user', 'memdup_user_nul', 'strndup_user', 'vmemdup_user']);

/**
 * Calls that store a mask for later allocations instead of allocating under it now: a parameter
 * that only reaches these (or a struct field) is a setting, not the caller's context
 * (fs/nilfs2/mdt.c nilfs_mdt_init() passes its mask to mapping_set_gfp_mask()).
 */
const MASK_SETTERS = new Set(['mapping_set_gfp_mask']);

interface Site {
  callee: string;
  spec?: AllocatorSpec;
  gfpText: string;
  implied: boolean;
  gfp: GfpValue;
  scopes: ScopeKind[];
  at: Rng;
}

/**
 * What a caller's mask asks for that the constant mask `site` ignores (Documentation/core-api/
 * gfp_mask-from-fs-io.rst, memory-allocation.rst): no reclaim into the filesystem (GFP_NOFS), no
 * I/O (GFP_NOIO), or no sleeping at all. An allocator that always sleeps (vmalloc) cannot serve a
 * non-blocking caller whatever mask it gets: only the reclaim constraints count there.
 */
function ignoredBy(model: Model, caller: number, site: number, alwaysSleeps: boolean): string | undefined {
  const lacks = (name: string) => (site & bitOf(model, name)) !== 0 && (caller & bitOf(model, name)) === 0;
  // A mask with no reclaim or priority bit at all (`GFP_DMA`, `__GFP_ZERO`) picks a zone or a
  // placement: it says nothing of the caller's context (kernel/dma/swiotlb.c swiotlb_init_late()).
  const context = ['__GFP_DIRECT_RECLAIM', '__GFP_KSWAPD_RECLAIM', '__GFP_IO', '__GFP_FS', '__GFP_HIGH'].reduce((m, n) => m | bitOf(model, n), 0);
  if ((caller & context) === 0) return undefined;
  if (!alwaysSleeps && lacks('__GFP_DIRECT_RECLAIM')) return 'sleep';
  if (lacks('__GFP_IO')) return 'start I/O';
  if (lacks('__GFP_FS')) return 'recurse into the filesystem';
  return undefined;
}

function orList(xs: string[]): string {
  return xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs[xs.length - 1]}`;
}

export default defineRule({
  id: 'gfp-param-ignored',
  summary: 'Reports allocations with a constant mask in functions whose callers pass a stricter mask in a gfp_t parameter',
  severity: 'warning',
  confidence: 'medium',
  recommended: true,
  scope: 'program',
  messages: {
    constant:
      "'{{caller}}()' passes '{{mask}}' via '{{via}}()' into '{{param}}', but '{{callee}}()' here uses '{{gfp}}', which may {{what}}{{more}}",
    implied:
      "'{{caller}}()' passes '{{mask}}' via '{{via}}()' into '{{param}}', but '{{callee}}()' here always allocates with '{{gfp}}', which may {{what}}{{more}}",
  },
  docs: {
    rationale:
      'A `gfp_t` parameter says the caller knows the context: it passes `GFP_NOFS` under a filesystem lock or transaction, `GFP_NOIO` on the block I/O path, ' +
      '`GFP_ATOMIC` under a spinlock. An allocation in the same function with a hard-coded `GFP_KERNEL` throws that away: reclaim may recurse into the ' +
      'filesystem or start I/O (deadlock), or the call sleeps in atomic context (spec §6(d): `kstrdup_quotable_cmdline()`, `ttm_pool_alloc_page()`, ' +
      '`__iommu_dma_alloc_pages()`, …). Allocators without a mask argument count with their implied mask (`vmalloc()` is `GFP_KERNEL`). ' +
      'The rule follows the known callers (through functions that pass their own `gfp_t` on, and `ops->fn()` slots) and reports only when one of them ' +
      'writes a mask that forbids something the constant allows; the message names that caller, its mask and the call it goes through. A constant at ' +
      'least as strict as every caller (`GFP_NOWAIT`, `GFP_ATOMIC`), a mask computed from the parameter, and a parameter whose callers all pass the same ' +
      'reclaim bits as the constant (a zone or page-placement choice such as `GFP_DMA32` or `__GFP_ZERO`) are fine.',
    fix:
      'Pass the parameter (or a mask derived from it: `gfp | __GFP_ZERO`, `gfp & ~__GFP_HIGHMEM`). For allocators without a mask argument, use the variant ' +
      'that takes one (`__vmalloc(size, gfp)`) or enter `memalloc_nofs_save()`/`memalloc_noio_save()` around the call.',
    limitations:
      'Functions that inspect the parameter in a condition (`if (gfpflags_allow_blocking(gfp))`) are skipped whole: the constant may sit on the branch that ' +
      'already knows the caller\'s context. A function whose callers are not known (callbacks, exported functions called only from other trees) ' +
      'is not reported: without a real caller the ignored constraint is only hypothetical. Masks kept in locals or fields on the way are not followed. ' +
      'A parameter the function never passes to a call (unused, or only stored, e.g. through `mapping_set_gfp_mask()`) is not taken as the caller\'s context. ' +
      'Allocation wrappers count only when the interprocedural summaries know them.',
    references: ['Documentation/core-api/gfp_mask-from-fs-io.rst', 'Documentation/core-api/memory-allocation.rst', 'include/linux/gfp_types.h'],
  },
  *check(fn, { model, program }) {
    if (!fn.gfpParams.length || model.allocator(fn.name)) return;
    // Only parameters the function hands to some call (directly or through a local computed
    // from them) are the caller's allocation context; a function that looks at them in a
    // condition may have chosen the constant knowingly.
    const params = fn.gfpParams.map((p) => p.name).filter((name) => {
      const derived = derivedFrom(fn.facts.ops, name);
      return fn.facts.calls.some((c) => !MASK_SETTERS.has(c.callee) && c.args.some((a) => [...identifiersOf(a)].some((n) => derived.has(n))));
    });
    if (!params.length || params.some((name) => inspects(fn.facts.ops, derivedFrom(fn.facts.ops, name)))) return;
    const sites: Site[] = fn.allocations.map((a) => ({
      callee: a.callee,
      spec: a.spec,
      gfpText: a.gfpText,
      implied: a.gfpImplied,
      gfp: a.gfp,
      scopes: a.ctx.precise ? a.ctx.scopes.map((s) => s.kind) : [],
      at: a.gfpRng,
    }));
    // Calls to known wrappers that pass a constant where they take their caller's mask.
    for (const c of fn.calls) {
      if (model.allocator(c.call.callee)) continue;
      const wraps = program.summaryOf(c.call.callee, fn.file)?.wrapsGfpParam;
      const arg = wraps === undefined ? undefined : c.call.args[wraps];
      if (wraps === undefined || !arg) continue;
      const gfp = evalGfp(arg, { table: model.table });
      sites.push({
        callee: c.call.callee,
        gfpText: c.call.argText[wraps],
        implied: false,
        gfp,
        scopes: c.ctx.precise ? c.ctx.scopes.map((s) => s.kind) : [],
        at: c.call.argRng[wraps],
      });
    }
    const called = program.calledIn(fn);
    const passes = (called?.gfpCallers ?? []).filter((g) => params.includes(fn.facts.params[g.param]?.name ?? '')).flatMap((g) => g.passes.map((p) => ({ ...p, param: fn.facts.params[g.param].name })));
    if (!passes.length) return;
    for (const s of sites) {
      if (s.gfp.kind !== 'known' || !s.gfp.masks.length) continue;
      if (s.implied && (IMPLIED_BY_DESIGN.has(s.spec?.name ?? '') || /mapping_gfp_mask/.test(s.gfpText))) continue;
      const alwaysSleeps = s.spec?.sleeps === 'always';
      const effective = s.gfp.masks.map((m) => applyScopes(m, s.scopes, model.table));
      // A caller whose every possible mask forbids something every possible constant allows:
      // `blocking ? GFP_KERNEL : GFP_ATOMIC` is a choice, and so is a caller's `nofs ? GFP_NOFS : GFP_KERNEL`.
      const ignoring = passes
        .map((p) => ({ p, what: p.masks.map((cm) => effective.map((m) => ignoredBy(model, cm, m, alwaysSleeps))).flat() }))
        .filter((x) => x.what.every((w) => w !== undefined));
      if (!ignoring.length) continue;
      const first = ignoring[0];
      const others = new Set(ignoring.slice(1).map((x) => x.p.caller).filter((c) => c !== first.p.caller));
      yield {
        message: s.implied ? 'implied' : 'constant',
        at: s.at,
        data: {
          callee: s.callee, gfp: oneLine(s.gfpText), param: first.p.param, caller: first.p.caller, via: first.p.via, mask: first.p.text,
          what: first.what[0], more: others.size ? ` (${others.size} more caller${others.size > 1 ? 's' : ''} with a stricter mask: ${orList([...others].slice(0, 3).map((c) => `'${c}()'`))}${others.size > 3 ? ', …' : ''})` : '',
        },
        related: first.p.chain.map((w) => ({ at: w.rng, file: w.file, note: w.note })),
      };
    }
  },
});

/**
 * True when `e` looks at the value of one of `names`: directly, in operators, or through gfp
 * predicates (`gfpflags_allow_blocking(gfp)`). Passing the mask on to another call
 * (`if (foo_init(x, gfp))`) is not looking at it.
 */
function reads(e: Expr, names: Set<string>): boolean {
  switch (e.k) {
    case 'id': return names.has(e.name);
    case 'bin':
      // `gfp & __GFP_DMA` picks a zone, it does not ask whether the caller may sleep or recurse.
      if (e.op === '&' && (onlyNonContextBits(e.l) || onlyNonContextBits(e.r))) return false;
      return reads(e.l, names) || reads(e.r, names);
    case 'assign': return reads(e.l, names) || reads(e.r, names);
    case 'un': case 'cast': return reads(e.e, names);
    case 'cond': return reads(e.c, names) || reads(e.t, names) || reads(e.f, names);
    case 'field': return reads(e.base, names);
    case 'index': return reads(e.base, names) || reads(e.index, names);
    case 'call': return /gfp/i.test(e.fn) && e.args.some((a) => reads(a, names));
    default: return false;
  }
}

/**
 * Flags that say nothing about the caller's reclaim context (zone, placement and action bits,
 * include/linux/gfp_types.h): testing them is not inspecting the context.
 */
const NON_CONTEXT_BITS = new Set([
  '__GFP_DMA', '__GFP_DMA32', '__GFP_HIGHMEM', '__GFP_MOVABLE', 'GFP_DMA', 'GFP_DMA32', 'GFP_ZONEMASK',
  '__GFP_ZERO', '__GFP_NOWARN', '__GFP_COMP', '__GFP_ACCOUNT', '__GFP_THISNODE', '__GFP_HARDWALL', '__GFP_WRITE',
]);

function onlyNonContextBits(e: Expr): boolean {
  const ids = identifiersOf(e);
  return ids.size > 0 && [...ids].every((n) => NON_CONTEXT_BITS.has(n));
}

/** `name` and the locals computed from its value (`gfp_t flags = gfp | __GFP_ZERO`). */
function derivedFrom(ops: FunctionFacts['ops'], name: string): Set<string> {
  const derived = new Set([name]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const op of ops) {
      if (op.op !== 'assign' || op.l.k !== 'id' || derived.has(op.l.name) || !reads(op.r, derived)) continue;
      derived.add(op.l.name);
      changed = true;
    }
  }
  return derived;
}

/** True when a branch condition reads one of `names` (`if (!gfpflags_allow_blocking(gfp))`). */
function inspects(ops: FunctionFacts['ops'], names: Set<string>): boolean {
  return ops.some((op) => op.op === 'br' && reads(op.cond, names));
}

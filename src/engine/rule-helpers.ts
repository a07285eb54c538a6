/**
 * Small presentation helpers rules share: line numbers and mask spellings for messages. Questions
 * about masks, sizes and allocators belong to the model (src/model), not here.
 */
import type { AllocSite } from '../function/view.js';
import { scopedRewriteKeepsBehaviour } from '../model/allocators.js';
import type { Model } from '../model/context.js';
import { SCOPED_MASK_REPLACEMENT, type ScopeKind } from '../model/memalloc-scopes.js';
import { bit, formatGfpValue, type GfpValue } from '../model/gfp.js';
import type { Rng } from '../facts/facts.js';
import type { RuleFix } from './rule.js';

/** The value rendered for a message: `GFP_NOFS`, `GFP_NOFS or GFP_KERNEL`, `gfp & ~__GFP_FS` (the model's one formatter). */
export function describeGfp(model: Model, v: GfpValue): string {
  return formatGfpValue(v, model.table);
}

export function lineOf(r: Rng): number {
  return r[0] + 1;
}

/** Source text for a message on one line: `GFP_NOFS |\n\t\t __GFP_ZERO` → `GFP_NOFS | __GFP_ZERO`. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * The fix that writes the plain mask instead of a leading per-call `GFP_NOFS`/`GFP_NOIO` at an
 * allocation (`GFP_NOFS`, `GFP_NOFS | __GFP_ZERO`), when the model proves that under `scopes` (active
 * on every path to the call) the allocator does exactly the same with either mask. Undefined when
 * the argument has another shape, the mask is not fully known, or the proof fails.
 */
export function scopedMaskFix(model: Model, a: AllocSite, scopes: readonly ScopeKind[]): RuleFix | undefined {
  if (a.gfpImplied || a.gfp.kind !== 'known') return undefined;
  const m = /^(\w+)(?:\s*\|\s*__GFP_\w+)*\s*$/.exec(a.gfpText);
  const token = m?.[1];
  const replacement = token !== undefined && Object.hasOwn(SCOPED_MASK_REPLACEMENT, token) ? SCOPED_MASK_REPLACEMENT[token] : undefined;
  if (!token || !replacement) return undefined;
  const plain = bit(model.table, replacement);
  if (!plain || !a.gfp.masks.every((from) => scopedRewriteKeepsBehaviour(a.spec, model.version, from, (from | plain) >>> 0, scopes, model.table))) return undefined;
  const [line, col] = a.gfpRng;
  return {
    description: `Replace '${token}' with '${replacement}': the enclosing scope already strips the same bits`,
    edits: [{ at: [line, col, line, col + token.length], text: replacement, expect: token }],
  };
}

/**
 * Small presentation helpers rules share: line numbers and mask spellings for messages. Questions
 * about masks, sizes and allocators belong to the model (src/model), not here.
 */
import type { Model } from '../model/context.js';
import { formatGfpValue, type GfpValue } from '../model/gfp.js';
import type { Rng } from '../facts/facts.js';

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

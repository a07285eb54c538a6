/**
 * The scope inventory of one function view: the memalloc scope regions it opens, its open-coded
 * PF_MEMALLOC writes, and whether it returns with a NOFS/NOIO scope open (a provider). Facts the
 * analysis already made; the census counts them per subsystem.
 */
import type { FunctionView } from '../function/view.js';
import type { ScopeInventory } from './lint-types.js';
import type { ViewFact } from './rule.js';

/** The view facts the inventory reads: pass B re-analyses every function holding one (lint.ts mayReport()). */
export const INVENTORY_FACTS: readonly ViewFact[] = ['scopes', 'openCoded', 'exitScopes'];

export function emptyInventory(): ScopeInventory {
  return { scopes: [], openCoded: [], providers: [] };
}

export function addToInventory(inv: ScopeInventory, fv: FunctionView): void {
  const base = { file: fv.file, function: fv.name };
  for (const r of fv.scopes) {
    const inner = new Set(r.innerCalls);
    inv.scopes.push({
      ...base, line: r.saveRng[0] + 1, kind: r.kind, opener: fv.facts.calls[r.saveIndex]?.callee ?? '',
      calls: r.innerCalls.length, allocations: fv.allocations.filter((a) => inner.has(a.index)).length, commented: r.comment !== undefined,
    });
  }
  for (const o of fv.openCoded) inv.openCoded.push({ ...base, line: o.rng[0] + 1, how: o.how, flags: o.flags });
  const open = fv.exitScopes.find((e) => e.kind === 'nofs' || e.kind === 'noio');
  if (open) inv.providers.push({ ...base, line: fv.facts.nameRng[0] + 1, kind: open.kind, opener: open.opener });
}

/** Stable order, so that the same tree gives the same inventory whatever the batching. */
export function sortInventory(inv: ScopeInventory): ScopeInventory {
  const by = (a: { file: string; line: number }, b: { file: string; line: number }) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line);
  inv.scopes.sort(by);
  inv.openCoded.sort(by);
  inv.providers.sort(by);
  return inv;
}

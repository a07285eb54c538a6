/**
 * The names that make a source file matter before it is parsed (the pre-scan in
 * src/program/prescan.ts), for every modelled kernel version at once: what the model knows a call
 * of, and the spellings whose mere mention matters.
 */
import { ALLOCATOR_ROWS } from './allocators.js';
import { GUARD_MACROS, lockCallNames } from './locks.js';
import { everyScopeProvider, SCOPE_FUNCTIONS } from './memalloc-scopes.js';
import { WORKQUEUE_CALLS } from './workqueues.js';

/** A GFP flag or `gfp` name (`gfp_t`, `mapping_gfp_mask`), the memalloc scope API, `PF_MEMALLOC*`. */
export const KERNEL_MENTIONS = /GFP_|gfp|PF_MEMALLOC|memalloc_/;

/**
 * The names whose calls make a file matter: allocators, the scope API, scope providers, lock and
 * atomic-context primitives (a file taking locks can define a lock wrapper), queue sites (they
 * decide a work function's context, workqueues.ts). Free functions do not count: a free only
 * matters next to its allocation.
 */
export function modelCallNames(): string[] {
  const names = new Set<string>();
  for (const r of ALLOCATOR_ROWS) names.add(r.name);
  for (const n of Object.keys(SCOPE_FUNCTIONS)) names.add(n);
  for (const n of lockCallNames()) names.add(n);
  for (const n of WORKQUEUE_CALLS) names.add(n);
  for (const n of GUARD_MACROS) names.add(n);
  for (const p of everyScopeProvider()) {
    names.add(p.start);
    if (p.stop) names.add(p.stop);
    for (const s of p.altStops ?? []) names.add(s);
  }
  return [...names].sort();
}

/** What makes a function interesting for the default widening: allocators, the scope API, provider starts (not locks). */
export function widenModelNames(): Set<string> {
  const names = new Set<string>();
  for (const r of ALLOCATOR_ROWS) names.add(r.name);
  for (const n of Object.keys(SCOPE_FUNCTIONS)) names.add(n);
  for (const p of everyScopeProvider()) names.add(p.start);
  return names;
}

/**
 * The model as one object for a configured kernel version: the GFP table (from the scanned tree's
 * gfp_types.h or built in, plus aliases found in scanned code) and version-bound table lookups.
 */
import { lookupAllocator, lookupFree, type AllocatorSpec } from './allocators.js';
import type { GfpTable } from './gfp-tables.js';
import { guardClass, lockCall } from './locks.js';
import type { Expr } from '../facts/expr.js';
import { pfMemallocFlagKind, scopeCall, scopeProviders, type ScopeKind, type ScopeProvider } from './memalloc-scopes.js';
import { handleScope, type HandleScope } from './reclaim.js';
import { formatVersion, type KernelVersion } from './version.js';

export interface Model {
  version: KernelVersion;
  versionText: string;
  table: GfpTable;
  allocator(name: string): AllocatorSpec | undefined;
  free: typeof lookupFree;
  /** The scope API call `name`; with its first argument, memalloc_flags_save(PF_…) resolves to the scope it opens. */
  scopeCall(name: string, firstArg?: Expr): ReturnType<typeof scopeCall>;
  /** The scope kind of a PF_MEMALLOC* task flag on this kernel (for open-coded `current->flags |= …`). */
  pfMemallocFlagKind(name: string): ScopeKind | undefined;
  lockCall: typeof lockCall;
  guardClass: typeof guardClass;
  /** Provider start functions by name (jbd2, xfs, …: spec §5). */
  providerStart(name: string): ScopeProvider | undefined;
  /** Provider stop functions by name. */
  providerStop(name: string): ScopeProvider | undefined;
  /** The scope a live handle of this declared type carries in this file (src/model/reclaim.ts). */
  handleScope(type: string, file: string): HandleScope | undefined;
}

export function createModel(version: KernelVersion, table: GfpTable): Model {
  const starts = new Map<string, ScopeProvider>();
  const stops = new Map<string, ScopeProvider>();
  for (const p of scopeProviders(version)) {
    // A whole-body provider (kjournald2, sunrpc workers) scopes its own callees, not its caller.
    if (p.wholeBody) continue;
    starts.set(p.start, p);
    for (const stop of [p.stop, ...(p.altStops ?? [])]) if (stop) stops.set(stop, p);
  }
  const allocCache = new Map<string, AllocatorSpec | undefined>();
  return {
    version,
    versionText: formatVersion(version),
    table,
    allocator(name) {
      if (!allocCache.has(name)) allocCache.set(name, lookupAllocator(name, version));
      return allocCache.get(name);
    },
    free: lookupFree,
    scopeCall: (name, firstArg) => scopeCall(name, version, firstArg),
    pfMemallocFlagKind: (name) => pfMemallocFlagKind(name, version),
    lockCall,
    guardClass,
    providerStart: (name) => starts.get(name),
    providerStop: (name) => stops.get(name),
    handleScope: (type, file) => handleScope(type, file, version),
  };
}

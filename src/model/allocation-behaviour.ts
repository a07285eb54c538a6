/**
 * What the allocator does with one concrete mask on one kernel version, in sentences for people
 * (the editor's hover): whether it may sleep, what direct reclaim may enter, how failure behaves,
 * and the family-specific caveats of allocators.ts (vmalloc, kvmalloc, __GFP_NOFAIL).
 */
import type { AllocatorSpec } from './allocators.js';
import { kvmallocBehaviour, nofailProblems, vmallocMaskProblems } from './allocators.js';
import type { GfpTable } from './gfp-tables.js';
import { allowsFs, allowsIo, hasBit, maySleep } from './gfp.js';
import type { KernelVersion } from './version.js';

/**
 * One sentence per behaviour of `spec` called with `mask` on kernel `v`. `order` is the page
 * order when the call has a constant one (for __GFP_NOFAIL).
 */
export function allocationBehaviour(spec: AllocatorSpec, mask: number, v: KernelVersion, table: GfpTable, order?: number): string[] {
  const out: string[] = [];
  const blocking = maySleep(mask, table);
  // gfpflags_allow_blocking() (include/linux/gfp.h) decides whether __alloc_pages_slowpath()
  // enters direct reclaim and compaction (mm/page_alloc.c).
  if (spec.sleeps === 'always') out.push(`may sleep whatever the mask${spec.note ? ` (${spec.note})` : ''}`);
  else if (spec.sleeps === 'never') out.push('never sleeps');
  else if (blocking) out.push('may sleep: with __GFP_DIRECT_RECLAIM it enters direct reclaim and compaction when memory is short');
  else out.push(`does not sleep: without __GFP_DIRECT_RECLAIM it fails rather than reclaim${hasBit(mask, '__GFP_KSWAPD_RECLAIM', table) ? ' (it wakes kswapd)' : ''}`);
  if (blocking || spec.sleeps === 'always') {
    // shrink_folio_list() and the shrinkers test __GFP_FS / __GFP_IO (mm/vmscan.c).
    out.push(allowsFs(mask, table) ? 'direct reclaim may call into filesystems (__GFP_FS): writeback, inode and dentry shrinkers' : 'direct reclaim does not call into filesystems (__GFP_FS clear)');
    out.push(allowsIo(mask, table) ? 'direct reclaim may start I/O (__GFP_IO): swap-out, block writeback' : 'direct reclaim starts no I/O (__GFP_IO clear)');
  }
  if (hasBit(mask, '__GFP_HIGH', table)) out.push('may dip into the reserves below the min watermark (__GFP_HIGH)');
  // __alloc_pages_slowpath(): NOFAIL loops, RETRY_MAYFAIL retries without the OOM killer, NORETRY gives up early.
  if (hasBit(mask, '__GFP_NOFAIL', table)) out.push('never returns NULL: retries until it succeeds (__GFP_NOFAIL)');
  else if (hasBit(mask, '__GFP_RETRY_MAYFAIL', table)) out.push('retries hard but may fail; never invokes the OOM killer (__GFP_RETRY_MAYFAIL)');
  else if (hasBit(mask, '__GFP_NORETRY', table)) out.push('gives up after one light reclaim attempt (__GFP_NORETRY)');
  if (hasBit(mask, '__GFP_NOWARN', table)) out.push('prints no allocation-failure warning (__GFP_NOWARN)');
  if (spec.family === 'kvmalloc') out.push(kvmallocBehaviour(v, mask, table).what);
  if (spec.family === 'vmalloc') out.push(...vmallocMaskProblems(v, mask, table));
  out.push(...nofailProblems(v, mask, table, { family: spec.family, order: order ?? spec.fixedOrder }));
  return out;
}

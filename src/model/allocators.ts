/**
 * The allocation APIs (allocator-model.md §3.1): where each takes its gfp argument per kernel
 * version, what it implies or adds, whether it sleeps and how it is freed, plus the
 * version-dependent vmalloc/kvmalloc/__GFP_NOFAIL behaviour of §3.2, §3.3 and §4.
 *
 * 6.10+ spells most allocators `NAME(...) alloc_hooks(NAME_noprof(...))` (§1.6): lookupAllocator
 * resolves `NAME_noprof` to NAME; unwrapping `alloc_hooks(...)` is the caller's job.
 */

import type { Expr } from '../facts/expr.js';
import { mustParseCExpr } from '../facts/c-expr.js';
import type { GfpTable } from './gfp-tables.js';
import { evalGfp, hasBit, isNonBlocking, known, maskNames, orGfp, unknown, type GfpEnv, type GfpValue } from './gfp.js';
import { applyScopes, type ScopeKind } from './memalloc-scopes.js';
import { atLeast, inRange, type KernelVersion, type VersionRange } from './version.js';

/** Allocator families, for free-function pairing and per-family rules. */
export type AllocFamily =
  | 'kmalloc' | 'kmem_cache' | 'kvmalloc' | 'vmalloc' | 'page' | 'folio' | 'mempool' | 'percpu' | 'dma'
  | 'bio' | 'skb' | 'devm' | 'idr' | 'xarray' | 'pagecache' | 'other';

/** One allocation API as it is on one kernel version (§3.1). */
export interface AllocatorSpec {
  name: string;
  family: AllocFamily;
  /** 0-based index of the gfp argument for this version; null = implied mask. */
  gfpArg: number | null;
  /** What the argument at gfpArg is: a gfp mask, or XFS `KM_*` flags (see xfsKmFlagsToGfp). */
  gfpArgKind?: 'gfp' | 'xfs-km';
  /** Mask spelling when there is no gfp argument (a C expression over table names). */
  implied?: string;
  /** kmalloc_obj() family (6.12.117): the argument may be omitted → GFP_KERNEL. */
  optionalGfp?: boolean;
  /** Bits the API adds (__GFP_ZERO for kzalloc, __GFP_COMP for folio_alloc). */
  adds?: string[];
  sleeps: 'always' | 'if-blocking' | 'never';
  /** Page-allocator order argument (for __GFP_NOFAIL with order > 1). */
  orderArg?: number;
  /** The order when the API fixes it (alloc_page: 0). */
  fixedOrder?: number;
  /** Byte-size argument, for kmalloc size checks (absent for n × size APIs). */
  sizeArg?: number;
  /** Matching free functions, canonical first. */
  frees: string[];
  /** False when the call does not return the allocated object (idr_alloc, xa_store, preloads). */
  returnsPointer: boolean;
  note?: string;
  /**
   * Inferred wrappers only: the allocation runs on some paths through the wrapper, not all (a
   * retry after a non-blocking attempt failed, lib/maple_tree.c mas_nomem()); says where.
   */
  onlySomePaths?: string;
}

/** A row of the allocator table; also the shape a configuration declares an extra allocator in. */
export type AllocatorRow = Row;
type Row = Omit<AllocatorSpec, 'returnsPointer' | 'sleeps' | 'frees'> & VersionRange & {
  returnsPointer?: boolean;
  sleeps?: AllocatorSpec['sleeps'];
  frees?: string[];
};

const FAMILY_FREES: Readonly<Record<AllocFamily, readonly string[]>> = {
  kmalloc: ['kfree', 'kvfree', 'kfree_sensitive'],
  kmem_cache: ['kmem_cache_free'],
  kvmalloc: ['kvfree', 'kvfree_sensitive'],
  vmalloc: ['vfree', 'kvfree'],
  page: ['__free_pages', '__free_page', 'put_page'],
  folio: ['folio_put'],
  mempool: ['mempool_free'],
  percpu: ['free_percpu'],
  dma: ['dma_free_coherent'],
  bio: ['bio_put'],
  skb: ['kfree_skb', 'consume_skb', 'dev_kfree_skb', 'dev_kfree_skb_any'],
  devm: ['devm_kfree'],
  idr: ['idr_remove'],
  xarray: ['xa_erase'],
  pagecache: ['folio_put', 'put_page'],
  other: [],
};

/** Every allocator family, for validating declared allocators. */
export const ALLOC_FAMILIES = Object.keys(FAMILY_FREES) as AllocFamily[];

const Z = ['__GFP_ZERO'];

function k(name: string, gfpArg: number, extra: Partial<Row> = {}): Row {
  return { name, family: 'kmalloc', gfpArg, ...extra };
}

/**
 * The master table (§3.1). Rows with `since`/`until` apply to those kernels only (since
 * inclusive, until exclusive). Signatures outside the spec were read in the 6.1 and 6.12 trees.
 */
export const ALLOCATOR_ROWS: readonly Row[] = [
  // slab: include/linux/slab.h, mm/slab_common.c, mm/util.c
  k('kmalloc', 1, { sizeArg: 0 }),
  k('kzalloc', 1, { sizeArg: 0, adds: Z }),
  k('kcalloc', 2, { adds: Z }),
  k('kmalloc_array', 2),
  k('krealloc', 2, { sizeArg: 1 }),
  k('krealloc_array', 3),
  k('kmalloc_node', 1, { sizeArg: 0 }),
  k('kzalloc_node', 1, { sizeArg: 0, adds: Z }),
  k('kcalloc_node', 2, { adds: Z }),
  k('kmalloc_array_node', 2),
  k('kmalloc_track_caller', 1, { sizeArg: 0 }),
  k('kmalloc_node_track_caller', 1, { sizeArg: 0 }),
  k('__kmalloc', 1, { sizeArg: 0 }),
  k('__kmalloc_node', 1, { sizeArg: 0 }),
  k('kmalloc_large', 1, { sizeArg: 0, note: 'always served by the page allocator' }),
  k('kstrdup', 1),
  k('kstrdup_const', 1, { frees: ['kfree_const'] }),
  k('kstrndup', 2),
  k('kmemdup', 2, { sizeArg: 1 }),
  k('kmemdup_nul', 2),
  k('kmemdup_array', 3, { since: [6, 12], note: 'in 6.12 include/linux/string.h, not in 6.1' }),
  k('kasprintf', 0),
  k('kvasprintf', 0),
  k('kvasprintf_const', 0, { frees: ['kfree_const'] }),
  { name: 'memdup_user', family: 'kmalloc', gfpArg: null, implied: 'GFP_USER | __GFP_NOWARN', sleeps: 'always', note: 'copy_from_user() may fault' },
  { name: 'memdup_user_nul', family: 'kmalloc', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', note: 'copy_from_user() may fault' },
  { name: 'strndup_user', family: 'kmalloc', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', note: 'GFP_KERNEL on purpose: copy_from_user() can fault (mm/util.c)' },
  k('kmem_buckets_alloc', 2, { sizeArg: 1, since: [6, 10] }),
  k('kmem_buckets_alloc_track_caller', 2, { sizeArg: 1, since: [6, 10] }),
  // kmalloc_obj() family: default_gfp() in include/linux/gfp.h, a 6.12.117 stable backport
  ...(['kmalloc', 'kzalloc', 'kvmalloc', 'kvzalloc'] as const).flatMap((base): Row[] => {
    const family: AllocFamily = base.startsWith('kv') ? 'kvmalloc' : 'kmalloc';
    const adds = base.includes('z') ? Z : undefined;
    const note = `${base}() with the size of the type; the gfp argument is optional (GFP_KERNEL), 6.12.117 stable backport`;
    return [
      { name: `${base}_obj`, family, gfpArg: 1, optionalGfp: true, adds, since: [6, 12], note },
      { name: `${base}_objs`, family, gfpArg: 2, optionalGfp: true, adds, since: [6, 12], note },
      { name: `${base}_flex`, family, gfpArg: 3, optionalGfp: true, adds, since: [6, 12], note },
    ];
  }),

  // kmem_cache: 6.12's kmem_cache_free() kernel-doc also allows kfree()/kvfree() (§3.1, P21)
  ...[
    { name: 'kmem_cache_alloc', gfpArg: 1 },
    { name: 'kmem_cache_zalloc', gfpArg: 1, adds: Z },
    { name: 'kmem_cache_alloc_node', gfpArg: 1 },
    { name: 'kmem_cache_alloc_lru', gfpArg: 2 },
  ].flatMap((r): Row[] => [
    { ...r, family: 'kmem_cache', until: [6, 12] },
    { ...r, family: 'kmem_cache', since: [6, 12], frees: ['kmem_cache_free', 'kfree', 'kvfree'] },
  ]),
  { name: 'kmem_cache_alloc_bulk', family: 'kmem_cache', gfpArg: 1, returnsPointer: false, frees: ['kmem_cache_free_bulk'], note: 'returns the number of objects' },

  // kvmalloc: §3.2
  { name: 'kvmalloc', family: 'kvmalloc', gfpArg: 1, sizeArg: 0 },
  { name: 'kvzalloc', family: 'kvmalloc', gfpArg: 1, sizeArg: 0, adds: Z },
  { name: 'kvmalloc_node', family: 'kvmalloc', gfpArg: 1, sizeArg: 0 },
  { name: 'kvzalloc_node', family: 'kvmalloc', gfpArg: 1, sizeArg: 0, adds: Z },
  { name: 'kvmalloc_array', family: 'kvmalloc', gfpArg: 2 },
  { name: 'kvcalloc', family: 'kvmalloc', gfpArg: 2, adds: Z },
  { name: 'kvmalloc_array_node', family: 'kvmalloc', gfpArg: 2, since: [6, 12] },
  { name: 'kvcalloc_node', family: 'kvmalloc', gfpArg: 2, adds: Z, since: [6, 12] },
  { name: 'kvrealloc', family: 'kvmalloc', gfpArg: 3, sizeArg: 2, until: [6, 12], note: 'kvrealloc(p, oldsize, newsize, gfp): grow-only kvmalloc + memcpy + kvfree' },
  { name: 'kvrealloc', family: 'kvmalloc', gfpArg: 2, sizeArg: 1, since: [6, 12], note: 'kvrealloc(p, size, gfp) since "mm: kvmalloc: align kvrealloc() with krealloc()" (6.12)' },
  { name: 'kvmemdup', family: 'kvmalloc', gfpArg: 2, sizeArg: 1, since: [6, 12], note: 'not in 6.1 include/linux/string.h' },
  { name: 'kmem_buckets_valloc', family: 'kvmalloc', gfpArg: 2, sizeArg: 1, since: [6, 10] },
  { name: 'vmemdup_user', family: 'kvmalloc', gfpArg: null, implied: 'GFP_USER', sleeps: 'always', note: 'kvmalloc (6.1) / kmem_buckets_valloc (6.12); copy_from_user() may fault' },

  // vmalloc: §3.3, mm/vmalloc.c; always sleeps (might_sleep() in alloc_vmap_area())
  ...([
    ['vmalloc', 'GFP_KERNEL', 0], ['vzalloc', 'GFP_KERNEL | __GFP_ZERO', 0],
    ['vmalloc_node', 'GFP_KERNEL', 0], ['vzalloc_node', 'GFP_KERNEL | __GFP_ZERO', 0],
    ['vmalloc_user', 'GFP_KERNEL | __GFP_ZERO', 0], ['vmalloc_32', 'GFP_VMALLOC32', 0],
    ['vmalloc_32_user', 'GFP_VMALLOC32 | __GFP_ZERO', 0],
    ['vmalloc_array', 'GFP_KERNEL', undefined], ['vcalloc', 'GFP_KERNEL | __GFP_ZERO', undefined],
  ] as const).map(([name, implied, sizeArg]): Row => ({ name, family: 'vmalloc', gfpArg: null, implied, sizeArg, sleeps: 'always' })),
  { name: '__vmalloc', family: 'vmalloc', gfpArg: 1, sizeArg: 0, sleeps: 'always', note: '__vmalloc(size, gfp, prot) before 5.8 (88dca4ca5a93), gfp index 1 either way' },
  { name: '__vmalloc_array', family: 'vmalloc', gfpArg: 2, sleeps: 'always' },
  { name: '__vcalloc', family: 'vmalloc', gfpArg: 2, adds: Z, sleeps: 'always' },
  { name: 'vmalloc_huge', family: 'vmalloc', gfpArg: 1, sizeArg: 0, sleeps: 'always' },
  { name: '__vmalloc_node', family: 'vmalloc', gfpArg: 2, sizeArg: 0, sleeps: 'always', note: 'exported only for the vmalloc test module' },
  { name: '__vmalloc_node_range', family: 'vmalloc', gfpArg: 4, sizeArg: 0, sleeps: 'always' },
  { name: 'vrealloc', family: 'vmalloc', gfpArg: 2, sizeArg: 1, sleeps: 'always', since: [6, 12], note: '"mm: vmalloc: implement vrealloc()" (6.12)' },

  // page allocator: include/linux/gfp.h, mm/page_alloc.c
  { name: 'alloc_pages', family: 'page', gfpArg: 0, orderArg: 1 },
  { name: 'alloc_page', family: 'page', gfpArg: 0, fixedOrder: 0 },
  { name: 'alloc_pages_node', family: 'page', gfpArg: 1, orderArg: 2 },
  { name: '__alloc_pages_node', family: 'page', gfpArg: 1, orderArg: 2 },
  { name: '__alloc_pages', family: 'page', gfpArg: 0, orderArg: 1 },
  { name: '__get_free_pages', family: 'page', gfpArg: 0, orderArg: 1, frees: ['free_pages'], note: 'returns an address; __GFP_HIGHMEM is silently stripped' },
  { name: '__get_free_page', family: 'page', gfpArg: 0, fixedOrder: 0, frees: ['free_page', 'free_pages'] },
  { name: 'get_zeroed_page', family: 'page', gfpArg: 0, fixedOrder: 0, adds: Z, frees: ['free_page', 'free_pages'] },
  { name: 'alloc_pages_exact', family: 'page', gfpArg: 1, sizeArg: 0, frees: ['free_pages_exact'], note: 'WARN_ON_ONCE on __GFP_COMP or __GFP_HIGHMEM' },
  { name: 'alloc_pages_exact_nid', family: 'page', gfpArg: 2, sizeArg: 1, frees: ['free_pages_exact'] },
  { name: 'folio_alloc', family: 'folio', gfpArg: 0, orderArg: 1, adds: ['__GFP_COMP'] },
  { name: '__folio_alloc', family: 'folio', gfpArg: 0, orderArg: 1, adds: ['__GFP_COMP'] },
  { name: 'vma_alloc_folio', family: 'folio', gfpArg: 0, orderArg: 1, adds: ['__GFP_COMP'] },
  { name: 'filemap_alloc_folio', family: 'folio', gfpArg: 0, orderArg: 1 },

  // mempool: mm/mempool.c, §3.4
  { name: 'mempool_alloc', family: 'mempool', gfpArg: 1, note: 'a blocking mask never returns NULL (waits for the pool); always adds __GFP_NOMEMALLOC|__GFP_NORETRY|__GFP_NOWARN' },
  { name: 'mempool_create', family: 'mempool', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', frees: ['mempool_destroy'] },
  { name: 'mempool_create_kmalloc_pool', family: 'mempool', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', frees: ['mempool_destroy'] },
  { name: 'mempool_create_slab_pool', family: 'mempool', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', frees: ['mempool_destroy'] },
  { name: 'mempool_create_page_pool', family: 'mempool', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', frees: ['mempool_destroy'] },
  { name: 'mempool_create_node', family: 'mempool', gfpArg: 4, frees: ['mempool_destroy'] },
  { name: 'mempool_init', family: 'mempool', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', returnsPointer: false, frees: ['mempool_exit'] },
  { name: 'mempool_init_node', family: 'mempool', gfpArg: 5, returnsPointer: false, frees: ['mempool_exit'] },

  // radix tree, IDR, IDA: lib/radix-tree.c, lib/idr.c
  { name: 'radix_tree_preload', family: 'idr', gfpArg: 0, sleeps: 'always', returnsPointer: false, frees: ['radix_tree_preload_end'], note: 'returns with the per-cpu preload lock held; WARN_ON_ONCE if the mask cannot block' },
  { name: 'radix_tree_maybe_preload', family: 'idr', gfpArg: 0, returnsPointer: false, frees: ['radix_tree_preload_end'], note: 'preloads only if the mask can block' },
  { name: 'idr_preload', family: 'idr', gfpArg: 0, returnsPointer: false, frees: ['idr_preload_end'] },
  { name: 'idr_alloc', family: 'idr', gfpArg: 4, returnsPointer: false },
  { name: 'idr_alloc_cyclic', family: 'idr', gfpArg: 4, returnsPointer: false },
  { name: 'idr_alloc_u32', family: 'idr', gfpArg: 4, returnsPointer: false },
  { name: 'ida_alloc', family: 'idr', gfpArg: 1, returnsPointer: false, frees: ['ida_free'] },
  { name: 'ida_alloc_min', family: 'idr', gfpArg: 2, returnsPointer: false, frees: ['ida_free'] },
  { name: 'ida_alloc_max', family: 'idr', gfpArg: 2, returnsPointer: false, frees: ['ida_free'] },
  { name: 'ida_alloc_range', family: 'idr', gfpArg: 3, returnsPointer: false, frees: ['ida_free'] },
  { name: 'ida_simple_get', family: 'idr', gfpArg: 3, returnsPointer: false, frees: ['ida_simple_remove'], note: 'deprecated wrapper of ida_alloc_range()' },

  // XArray: include/linux/xarray.h; the _bh/_irq forms take the lock themselves
  ...['xa_store', 'xa_store_bh', 'xa_store_irq', '__xa_store', 'xa_insert', 'xa_insert_bh', 'xa_insert_irq', '__xa_insert'].map(
    (name): Row => ({ name, family: 'xarray', gfpArg: 3, returnsPointer: false, note: 'may drop the xa_lock to allocate when the mask can block' }),
  ),
  ...['xa_cmpxchg', 'xa_cmpxchg_bh', 'xa_cmpxchg_irq', '__xa_cmpxchg', 'xa_alloc', 'xa_alloc_bh', 'xa_alloc_irq', '__xa_alloc'].map(
    (name): Row => ({ name, family: 'xarray', gfpArg: 4, returnsPointer: false }),
  ),
  ...['xa_alloc_cyclic', 'xa_alloc_cyclic_bh', 'xa_alloc_cyclic_irq', '__xa_alloc_cyclic'].map(
    (name): Row => ({ name, family: 'xarray', gfpArg: 5, returnsPointer: false }),
  ),
  ...['xa_reserve', 'xa_reserve_bh', 'xa_reserve_irq'].map(
    (name): Row => ({ name, family: 'xarray', gfpArg: 2, returnsPointer: false, frees: ['xa_release'] }),
  ),

  // devres: drivers/base/devres.c; the devres node uses the same gfp
  { name: 'devm_kmalloc', family: 'devm', gfpArg: 2, sizeArg: 1 },
  { name: 'devm_kzalloc', family: 'devm', gfpArg: 2, sizeArg: 1, adds: Z },
  { name: 'devm_kcalloc', family: 'devm', gfpArg: 3, adds: Z },
  { name: 'devm_kmalloc_array', family: 'devm', gfpArg: 3 },
  { name: 'devm_krealloc', family: 'devm', gfpArg: 3, sizeArg: 2 },
  { name: 'devm_kmemdup', family: 'devm', gfpArg: 3, sizeArg: 2 },
  { name: 'devm_kstrdup', family: 'devm', gfpArg: 2 },
  { name: 'devm_kasprintf', family: 'devm', gfpArg: 1 },
  { name: 'devm_kvasprintf', family: 'devm', gfpArg: 1 },
  { name: 'devm_get_free_pages', family: 'devm', gfpArg: 1, orderArg: 2, frees: ['devm_free_pages'] },

  // skb: include/linux/skbuff.h, net/core/skbuff.c
  { name: 'alloc_skb', family: 'skb', gfpArg: 1, sizeArg: 0 },
  { name: '__alloc_skb', family: 'skb', gfpArg: 1, sizeArg: 0 },
  { name: 'skb_clone', family: 'skb', gfpArg: 1 },
  { name: 'skb_copy', family: 'skb', gfpArg: 1 },
  { name: 'pskb_copy', family: 'skb', gfpArg: 1 },
  { name: '__netdev_alloc_skb', family: 'skb', gfpArg: 2 },
  { name: 'netdev_alloc_skb', family: 'skb', gfpArg: null, implied: 'GFP_ATOMIC' },
  { name: 'dev_alloc_skb', family: 'skb', gfpArg: null, implied: 'GFP_ATOMIC' },
  { name: 'napi_alloc_skb', family: 'skb', gfpArg: null, implied: 'GFP_ATOMIC', until: [6, 12] },
  { name: 'napi_alloc_skb', family: 'skb', gfpArg: null, implied: 'GFP_ATOMIC | __GFP_NOWARN', since: [6, 12], note: 'net/core/skbuff.c (6.12)' },

  // DMA: kernel/dma/mapping.c, mm/dmapool.c; zone bits are stripped
  { name: 'dma_alloc_coherent', family: 'dma', gfpArg: 3, sizeArg: 1 },
  { name: 'dmam_alloc_coherent', family: 'dma', gfpArg: 3, sizeArg: 1, frees: ['dmam_free_coherent'] },
  { name: 'dma_alloc_attrs', family: 'dma', gfpArg: 3, sizeArg: 1, frees: ['dma_free_attrs'] },
  { name: 'dma_alloc_noncoherent', family: 'dma', gfpArg: 4, sizeArg: 1, frees: ['dma_free_noncoherent'] },
  { name: 'dma_pool_alloc', family: 'dma', gfpArg: 1, frees: ['dma_pool_free'] },
  { name: 'dma_pool_zalloc', family: 'dma', gfpArg: 1, adds: Z, frees: ['dma_pool_free'] },

  // bio: block/bio.c. 07888c665b40/609be1066731 (5.18) moved gfp to index 3; 066ff571011d (5.19)
  // turned bio_kmalloc() into a kmalloc wrapper taking (nr_vecs, gfp)
  { name: 'bio_alloc', family: 'bio', gfpArg: 0, until: [5, 18], note: 'bio_alloc(gfp, nr_iovecs) before 5.18' },
  { name: 'bio_alloc', family: 'bio', gfpArg: 3, since: [5, 18], note: 'never fails with __GFP_DIRECT_RECLAIM (mempool)' },
  { name: 'bio_alloc_bioset', family: 'bio', gfpArg: 0, until: [5, 18], note: 'bio_alloc_bioset(gfp, nr_iovecs, bs) before 5.18' },
  { name: 'bio_alloc_bioset', family: 'bio', gfpArg: 3, since: [5, 18], note: 'under current->bio_list it first tries without direct reclaim' },
  { name: 'bio_kmalloc', family: 'bio', gfpArg: 0, until: [5, 19], note: 'bio_kmalloc(gfp, nr_iovecs) before 5.19 [unconfirmed release]' },
  { name: 'bio_kmalloc', family: 'kmalloc', gfpArg: 1, since: [5, 19], frees: ['kfree'], note: 'plain kmalloc wrapper: bio_uninit() then kfree()' },
  { name: 'bio_alloc_clone', family: 'bio', gfpArg: 2, since: [5, 18] },

  // page cache: include/linux/pagemap.h, mm/filemap.c
  { name: 'find_or_create_page', family: 'pagecache', gfpArg: 2, sleeps: 'always', note: 'may sleep even with an atomic mask (page lock)' },
  { name: 'pagecache_get_page', family: 'pagecache', gfpArg: 3, sleeps: 'always', note: 'FGP_NOFS/FGP_NOWAIT rewrite the mask; sleeps unless FGP_NOWAIT' },
  { name: '__filemap_get_folio', family: 'pagecache', gfpArg: 3, sleeps: 'always', note: 'FGP_NOFS/FGP_NOWAIT rewrite the mask; returns ERR_PTR in 6.12, NULL in 6.1' },
  { name: 'grab_cache_page', family: 'pagecache', gfpArg: null, implied: 'mapping_gfp_mask(mapping)', sleeps: 'always' },
  { name: 'grab_cache_page_write_begin', family: 'pagecache', gfpArg: null, implied: 'mapping_gfp_mask(mapping)', sleeps: 'always' },
  { name: 'read_cache_folio', family: 'pagecache', gfpArg: null, implied: 'mapping_gfp_mask(mapping)', sleeps: 'always' },
  { name: 'read_mapping_page', family: 'pagecache', gfpArg: null, implied: 'mapping_gfp_mask(mapping)', sleeps: 'always' },
  { name: 'filemap_grab_folio', family: 'pagecache', gfpArg: null, implied: 'mapping_gfp_mask(mapping)', sleeps: 'always' },

  // percpu: mm/percpu.c applies current_gfp_context(); non-blocking uses the atomic pool
  { name: 'alloc_percpu_gfp', family: 'percpu', gfpArg: 1 },
  { name: '__alloc_percpu_gfp', family: 'percpu', gfpArg: 2, sizeArg: 0 },
  { name: 'alloc_percpu', family: 'percpu', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always' },
  { name: '__alloc_percpu', family: 'percpu', gfpArg: null, implied: 'GFP_KERNEL', sleeps: 'always', sizeArg: 0 },

  { name: 'sg_alloc_table', family: 'other', gfpArg: 2, returnsPointer: false, frees: ['sg_free_table'] },

  // XFS kmem wrappers, removed in 6.9 by f078d4ea8276 "xfs: convert kmem_alloc() to kmalloc()" (§3.5)
  { name: 'kmem_alloc', family: 'kmalloc', gfpArg: 1, gfpArgKind: 'xfs-km', sizeArg: 0, until: [6, 9], sleeps: 'always', frees: ['kmem_free', 'kvfree', 'kfree'], note: 'fs/xfs/kmem.c: without KM_MAYFAIL it loops forever (open-coded __GFP_NOFAIL)' },
  { name: 'kmem_zalloc', family: 'kmalloc', gfpArg: 1, gfpArgKind: 'xfs-km', sizeArg: 0, adds: Z, until: [6, 9], sleeps: 'always', frees: ['kmem_free', 'kvfree', 'kfree'], note: 'fs/xfs/kmem.h: kmem_alloc(size, flags | KM_ZERO)' },
];

/** The spec of a table row (defaults: may sleep if blocking, the family's frees, returns the object). */
export function toSpec(r: Row): AllocatorSpec {
  const spec: AllocatorSpec = {
    name: r.name,
    family: r.family,
    gfpArg: r.gfpArg,
    sleeps: r.sleeps ?? 'if-blocking',
    frees: [...(r.frees ?? FAMILY_FREES[r.family])],
    returnsPointer: r.returnsPointer ?? true,
  };
  for (const key of ['gfpArgKind', 'implied', 'optionalGfp', 'adds', 'orderArg', 'fixedOrder', 'sizeArg', 'note'] as const) {
    if (r[key] !== undefined) (spec as unknown as Record<string, unknown>)[key] = r[key];
  }
  return spec;
}

const rowsByName = new Map<string, Row[]>();
for (const r of ALLOCATOR_ROWS) {
  const list = rowsByName.get(r.name) ?? [];
  list.push(r);
  rowsByName.set(r.name, list);
}

/**
 * The allocator `name` of kernel `v`, or undefined. `NAME_noprof` resolves to NAME (the
 * memory-allocation-profiling layer of 6.10+, §1.6); accepting it on older versions is harmless.
 */
export function lookupAllocator(name: string, v: KernelVersion): AllocatorSpec | undefined {
  const direct = rowsByName.get(name)?.find((r) => inRange(v, r));
  if (direct) return toSpec(direct);
  if (name.endsWith('_noprof')) {
    const base = rowsByName.get(name.slice(0, -'_noprof'.length))?.find((r) => inRange(v, r));
    if (base) return toSpec(base);
  }
  return undefined;
}

/** Every allocator name of kernel `v` (for pre-filters and docs). */
export function allocatorNames(v: KernelVersion): string[] {
  return [...rowsByName.keys()].filter((n) => lookupAllocator(n, v) !== undefined).sort();
}

interface FreeRow {
  accepts: AllocFamily[];
  /** Families accepted only from a release on. */
  acceptsSince?: Partial<Record<AllocFamily, [number, number]>>;
  note?: string;
}

/**
 * Free functions and what they may free (§3.1 "Free-function pairing", P21). kfree()/kvfree() of
 * kmem_cache objects is documented from the 6.12 kernel-doc on; the spec does not date the change.
 */
export const FREE_FUNCTIONS: Readonly<Record<string, FreeRow>> = {
  kfree: { accepts: ['kmalloc', 'kmem_cache'], acceptsSince: { kmem_cache: [6, 12] } },
  kfree_sensitive: { accepts: ['kmalloc'] },
  kzfree: { accepts: ['kmalloc'], note: 'old name of kfree_sensitive()' },
  kfree_const: { accepts: ['kmalloc'] },
  kfree_rcu: { accepts: ['kmalloc'] },
  kvfree: { accepts: ['kmalloc', 'kmem_cache', 'kvmalloc', 'vmalloc'], acceptsSince: { kmem_cache: [6, 12] }, note: 'may sleep for vmalloc memory (mm/vmalloc.c vfree())' },
  kvfree_sensitive: { accepts: ['kmalloc', 'kvmalloc', 'vmalloc'] },
  kvfree_rcu: { accepts: ['kmalloc', 'kvmalloc', 'vmalloc'] },
  vfree: { accepts: ['vmalloc'], note: 'may sleep in process context: never under a spinlock (mm/vmalloc.c)' },
  vfree_atomic: { accepts: ['vmalloc'] },
  kmem_free: { accepts: ['kmalloc', 'kvmalloc', 'vmalloc'], note: 'XFS before 6.9: kvfree() (fs/xfs/kmem.h)' },
  kmem_cache_free: { accepts: ['kmem_cache'] },
  kmem_cache_free_bulk: { accepts: ['kmem_cache'] },
  __free_pages: { accepts: ['page'] },
  __free_page: { accepts: ['page'] },
  free_pages: { accepts: ['page'] },
  free_page: { accepts: ['page'] },
  free_pages_exact: { accepts: ['page'] },
  put_page: { accepts: ['page', 'pagecache'] },
  folio_put: { accepts: ['folio', 'pagecache'] },
  mempool_free: { accepts: ['mempool'] },
  mempool_destroy: { accepts: ['mempool'] },
  mempool_exit: { accepts: ['mempool'] },
  free_percpu: { accepts: ['percpu'] },
  dma_free_coherent: { accepts: ['dma'] },
  dmam_free_coherent: { accepts: ['dma'] },
  dma_free_attrs: { accepts: ['dma'] },
  dma_free_noncoherent: { accepts: ['dma'] },
  dma_pool_free: { accepts: ['dma'] },
  bio_put: { accepts: ['bio'] },
  kfree_skb: { accepts: ['skb'] },
  consume_skb: { accepts: ['skb'] },
  dev_kfree_skb: { accepts: ['skb'] },
  dev_kfree_skb_any: { accepts: ['skb'] },
  dev_kfree_skb_irq: { accepts: ['skb'] },
  napi_consume_skb: { accepts: ['skb'] },
  devm_kfree: { accepts: ['devm'] },
  devm_free_pages: { accepts: ['devm'] },
  idr_remove: { accepts: ['idr'] },
  idr_preload_end: { accepts: ['idr'] },
  radix_tree_preload_end: { accepts: ['idr'] },
  ida_free: { accepts: ['idr'] },
  ida_simple_remove: { accepts: ['idr'] },
  xa_erase: { accepts: ['xarray'] },
  xa_erase_bh: { accepts: ['xarray'] },
  xa_erase_irq: { accepts: ['xarray'] },
  __xa_erase: { accepts: ['xarray'] },
  xa_release: { accepts: ['xarray'] },
  sg_free_table: { accepts: ['other'] },
};

/**
 * The free function `name` and the allocation families it accepts. Without `v` the newest
 * rules apply (kvfree() of kmem_cache objects allowed, as documented in 6.12).
 */
export function lookupFree(name: string, v?: KernelVersion): { name: string; accepts: AllocFamily[]; note?: string } | undefined {
  if (!Object.hasOwn(FREE_FUNCTIONS, name)) return undefined;
  const row = FREE_FUNCTIONS[name];
  const accepts = row.accepts.filter((f) => {
    const since = row.acceptsSince?.[f];
    return !since || !v || atLeast(v, since[0], since[1]);
  });
  return row.note === undefined ? { name, accepts } : { name, accepts, note: row.note };
}

/** True when `freeName` may free memory of `spec` (its family, or listed in `spec.frees`). */
export function freeMatches(spec: AllocatorSpec, freeName: string, v?: KernelVersion): boolean {
  return spec.frees.includes(freeName) || (lookupFree(freeName, v)?.accepts.includes(spec.family) ?? false);
}

/**
 * The frees whose misuse is a defect on every path (spec §3.1 "Free-function pairing"): they take
 * the object as their first argument and work out nothing from it. kvfree() accepts all four
 * families and is never wrong; kmem_cache_free()'s first argument is the cache, not the object.
 */
const STRICT_FREES = new Set(['kfree', 'kfree_sensitive', 'vfree']);

/** Frees whose replacement by the canonical one loses nothing (the *_sensitive ones also zero the memory, mm/slab_common.c kfree_sensitive()). */
export const PLAIN_FREES: ReadonlySet<string> = new Set(['kfree', 'vfree']);

/** The families the strict frees tell apart, and what frees each (canonical spellings for messages). */
const HEAP_FAMILY_FREES: Readonly<Partial<Record<AllocFamily, string>>> = {
  kmalloc: "'kfree()' or 'kvfree()'",
  kmem_cache: "'kmem_cache_free()'",
  kvmalloc: "'kvfree()'",
  vmalloc: "'vfree()' or 'kvfree()'",
};

/**
 * When `freeName(p)` with `p` from an allocator of `family` is a defect: what must free it instead.
 * kfree() of vmalloc or kvmalloc memory (a kvmalloc pointer is vmalloc memory whenever the
 * fallback ran, mm/util.c), vfree() of slab or kvmalloc memory (mm/vmalloc.c vfree() warns and
 * leaks for an address outside the vmalloc area). Judged by the newest rules ({@link lookupFree}
 * without a version): kfree() of kmem_cache objects worked before 6.12 documented it.
 */
export function freeMismatch(freeName: string, family: AllocFamily): { expected: string } | undefined {
  const expected = Object.hasOwn(HEAP_FAMILY_FREES, family) ? HEAP_FAMILY_FREES[family] : undefined;
  if (!STRICT_FREES.has(freeName) || expected === undefined) return undefined;
  return lookupFree(freeName)?.accepts.includes(family) ? undefined : { expected };
}

/**
 * Allocators whose implied mask is not a choice their caller made: user copies allocate with
 * GFP_KERNEL/GFP_USER on purpose because copy_from_user() can fault anyway (mm/util.c:222-304 in
 * 6.12, memdup_user() … memdup_user_nul()).
 */
const IMPLIED_BY_DESIGN = new Set(['memdup_user', 'memdup_user_nul', 'strndup_user', 'vmemdup_user']);

/**
 * True when an allocation's implied mask (spelled `maskText`) is the API's design, not a choice:
 * the user-copy helpers, and page-cache helpers that take the mapping's mask (mapping_gfp_mask()).
 */
export function impliedMaskByDesign(allocator: string | undefined, maskText: string): boolean {
  return IMPLIED_BY_DESIGN.has(allocator ?? '') || /mapping_gfp_mask/.test(maskText);
}

/**
 * True when `spec` is called with the lock taken by `lockCall` held and drops it to allocate with
 * a blocking mask: the __xa_*() calls under xa_lock() (lib/xarray.c __xas_nomem(), 6.12 and 6.1).
 */
export function dropsLockToAllocate(spec: AllocatorSpec, lockCall: string): boolean {
  return spec.family === 'xarray' && lockCall.startsWith('xa_lock');
}

/**
 * Pointer tests that tell allocator families apart, and the families each outcome leaves:
 * is_vmalloc_addr() (mm/vmalloc.c:79 in 6.12) is true for vmalloc memory and false for slab memory;
 * a kvmalloc pointer may be either, so it is kept on neither side.
 */
const POINTER_TESTS: Readonly<Record<string, { ifTrue: readonly AllocFamily[]; ifFalse: readonly AllocFamily[] }>> = {
  is_vmalloc_addr: { ifTrue: ['vmalloc'], ifFalse: ['kmalloc', 'kmem_cache'] },
};

/** The families a branch on `fn(p)` keeps on each side, or undefined when `fn` tests nothing of the kind. */
export function pointerTest(fn: string): { ifTrue: readonly AllocFamily[]; ifFalse: readonly AllocFamily[] } | undefined {
  return Object.hasOwn(POINTER_TESTS, fn) ? POINTER_TESTS[fn] : undefined;
}

/**
 * Zone modifiers the slab allocator cannot serve: GFP_SLAB_BUG_MASK (mm/internal.h:45 in 6.12,
 * :36 in 6.1) makes kmalloc_fix_flags() warn "Unexpected gfp" and clear them.
 */
export const SLAB_IGNORED_ZONES: Readonly<Partial<Record<AllocFamily, readonly string[]>>> = {
  kmalloc: ['__GFP_DMA32', '__GFP_HIGHMEM'],
  kmem_cache: ['__GFP_DMA32', '__GFP_HIGHMEM'],
};

/**
 * XFS `KM_*` flags (fs/xfs/kmem.h (6.1) kmem_flags_convert()): the base is GFP_KERNEL |
 * __GFP_NOWARN; each flag clears or adds bits (§3.5).
 */
export const XFS_KM_FLAGS: Readonly<Record<string, { value: number; clears?: string; adds?: string }>> = {
  KM_NOFS: { value: 0x4, clears: '__GFP_FS' },
  KM_MAYFAIL: { value: 0x8, adds: '__GFP_RETRY_MAYFAIL' },
  KM_ZERO: { value: 0x10, adds: '__GFP_ZERO' },
  KM_NOLOCKDEP: { value: 0x20, adds: '__GFP_NOLOCKDEP' },
};
const XFS_KM_BASE = 'GFP_KERNEL | __GFP_NOWARN';

/** The gfp value an XFS `KM_*` flags expression converts to (kmem_flags_convert(), 6.1). */
export function xfsKmFlagsToGfp(flags: Expr, table: GfpTable): GfpValue {
  const kmTable: GfpTable = {
    version: table.version,
    source: 'fs/xfs/kmem.h',
    bits: new Map(),
    masks: new Map(Object.entries(XFS_KM_FLAGS).map(([n, f]) => [n, f.value])),
  };
  const km = evalGfp(flags, { table: kmTable });
  if (km.kind === 'param') return unknown([], `XFS KM flags of the caller ('${km.name}')`);
  if (km.kind === 'unknown') return km;
  const base = evalGfp(mustParseCExpr(XFS_KM_BASE), { table });
  if (base.kind !== 'known') return base;
  const out: number[] = [];
  let all = 0;
  for (const f of Object.values(XFS_KM_FLAGS)) all |= f.value;
  for (const m of km.masks) {
    if (m & ~all) return unknown([], `unknown XFS KM flag bits 0x${(m & ~all).toString(16)}`);
    let g = base.masks[0];
    for (const f of Object.values(XFS_KM_FLAGS)) {
      if (!(m & f.value)) continue;
      if (f.clears) g &= ~(table.bits.get(f.clears) ?? 0);
      if (f.adds) g |= table.bits.get(f.adds) ?? 0;
    }
    out.push(g);
  }
  return known(out);
}

const impliedCache = new Map<string, Expr>();

/** The mask an omitted optional gfp argument means (the kmalloc_obj() family, 6.12.117). */
const OMITTED_GFP = 'GFP_KERNEL';

/** The spelling of the mask a call without a gfp argument uses ('' when the API has none). */
export function impliedGfpText(spec: AllocatorSpec): string {
  return spec.implied ?? (spec.optionalGfp ? OMITTED_GFP : '');
}

/**
 * The literal gfp value of a call to `spec` with `args` (the call's arguments, `alloc_hooks()`
 * already unwrapped): the gfp argument, the implied mask, or GFP_KERNEL for an omitted optional
 * argument, with the API's added bits OR-ed in. Scopes are not applied (see applyScopes).
 */
export function allocatorGfp(spec: AllocatorSpec, args: readonly Expr[], env: GfpEnv): GfpValue {
  let v: GfpValue;
  if (spec.gfpArg !== null && args.length > spec.gfpArg) {
    v = spec.gfpArgKind === 'xfs-km' ? xfsKmFlagsToGfp(args[spec.gfpArg], env.table) : evalGfp(args[spec.gfpArg], env);
  } else if (spec.gfpArg !== null && spec.optionalGfp) {
    v = evalGfp({ k: 'id', name: OMITTED_GFP }, env);
  } else if (spec.implied !== undefined) {
    let e = impliedCache.get(spec.implied);
    if (!e) {
      e = mustParseCExpr(spec.implied);
      impliedCache.set(spec.implied, e);
    }
    v = evalGfp(e, env);
  } else {
    return unknown([], `'${spec.name}()' called without its gfp argument`);
  }
  for (const name of spec.adds ?? []) {
    const b = env.table.bits.get(name);
    if (b !== undefined) v = orGfp(v, known(b));
  }
  return v;
}

/** May a call with this literal value sleep (over-approximation)? */
export function allocMaySleep(spec: AllocatorSpec, value: GfpValue, table: GfpTable): boolean {
  if (spec.sleeps === 'always') return true;
  if (spec.sleeps === 'never') return false;
  const b = table.bits.get('__GFP_DIRECT_RECLAIM') ?? 0;
  if (value.kind === 'known') return value.masks.some((m) => (m & b) !== 0);
  if (value.kind === 'param') return (value.add & b) !== 0 || (value.remove & b) === 0;
  return true;
}

/** vmalloc honours GFP_NOFS/GFP_NOIO since 5.17 (451769ebb7e7 "mm/vmalloc: alloc GFP_NO{FS,IO} for vmalloc"). */
export function vmallocHonoursNofsNoio(v: KernelVersion): boolean {
  return atLeast(v, 5, 17);
}

/** vmalloc honours __GFP_NOFAIL since 5.17 (9376130c390a "mm/vmalloc: add support for __GFP_NOFAIL"). */
export function vmallocHonoursNofail(v: KernelVersion): boolean {
  return atLeast(v, 5, 17);
}

/**
 * Reclaim modifiers the vmalloc family does not support, and why (spec §3.3). vmalloc hands the
 * mask to the page allocator for its data pages, but maps them through page tables allocated
 * with GFP_PGTABLE_KERNEL (`GFP_KERNEL | __GFP_ZERO`, include/asm-generic/pgalloc.h:7) whatever
 * the mask, under at most a NOFS/NOIO scope (6.12 mm/vmalloc.c:3768): neither "fail early"
 * (__GFP_NORETRY) nor "fail rather than OOM-kill" (__GFP_RETRY_MAYFAIL) holds. The
 * __vmalloc_node_range() kernel-doc says so in both trees: "only __GFP_NOFAIL is supported (i.e.
 * __GFP_NORETRY and __GFP_RETRY_MAYFAIL are not supported)" (6.12 mm/vmalloc.c:3814-3817, 6.1
 * mm/vmalloc.c:3203-3206); page tables were GFP_KERNEL before 5.17 as well, so it holds on every
 * modelled version.
 *
 * kvmalloc: "neither is the __GFP_NORETRY modifier" supported, while "__GFP_RETRY_MAYFAIL is
 * supported" (6.12 mm/util.c:644-645, 6.1 mm/util.c:553-554). Its kmalloc attempt adds
 * __GFP_NORETRY itself above PAGE_SIZE (6.12 kmalloc_gfp_adjust() mm/util.c:623-624, 6.1
 * kvmalloc_node() mm/util.c:574-575), so the caller's flag changes only the vmalloc fallback,
 * which gets the caller's mask (6.12 mm/util.c:680, 6.1 mm/util.c:606). Where the mask never
 * reaches vmalloc (kvmallocBehaviour(): non-blocking, kmalloc-only on 4.18-5.16, at most a
 * page) the flag is harmless and not listed.
 */
const UNSUPPORTED_RECLAIM_MODIFIERS: Partial<Record<AllocFamily, readonly string[]>> = {
  vmalloc: ['__GFP_NORETRY', '__GFP_RETRY_MAYFAIL'],
  kvmalloc: ['__GFP_NORETRY'],
};

/**
 * What "unsupported" means in practice: best effort, not ignored. The data pages (and the pages[]
 * array, gfp & GFP_RECLAIM_MASK, 6.12 mm/vmalloc.c:3687, 6.1:3094) get the caller's mask, so
 * __GFP_NORETRY still gives up after one reclaim pass there and never OOM-kills (6.12
 * mm/page_alloc.c:4500); only the few page-table pages use GFP_KERNEL. A "try big, fall back to
 * smaller" loop therefore works as meant, and dropping the flag would be a regression: nothing for
 * a caller to fix, only a guarantee not to rely on. __GFP_RETRY_MAYFAIL is left out: mm passes it
 * to vmalloc itself from kvmalloc, which documents it as supported.
 */
export const BEST_EFFORT_RECLAIM_MODIFIERS: readonly string[] = ['__GFP_NORETRY'];

/** The reclaim modifiers of `mask` a `family` call does not honour on `v` (see above); `size` in bytes when known. */
export function unsupportedReclaimModifiers(v: KernelVersion, family: AllocFamily, mask: number, table: GfpTable, size?: number): string[] {
  const flags = UNSUPPORTED_RECLAIM_MODIFIERS[family] ?? [];
  const present = flags.filter((f) => (mask & (table.bits.get(f) ?? 0)) !== 0);
  if (!present.length) return [];
  if (family === 'kvmalloc' && !kvmallocBehaviour(v, mask, table, size).fallback) return [];
  // A non-blocking mask is unsupported whole (vmallocMaskProblems()); its modifiers add nothing.
  if (family === 'vmalloc' && isNonBlocking(mask, table)) return [];
  return present;
}

function gfpKernelCompatible(mask: number, table: GfpTable): boolean {
  const k = table.masks.get('GFP_KERNEL') ?? 0;
  return (mask & k) === k;
}

/**
 * What kvmalloc() does with `mask` on kernel `v` when the kmalloc attempt fails (§3.2):
 * whether it falls back to vmalloc, and a sentence for messages. `size` (bytes), when known,
 * settles the ≤ PAGE_SIZE case, which never falls back.
 *
 * 4.12–4.17 warned on masks that are not GFP_KERNEL-compatible and then still fell back to
 * vmalloc, whose page tables used GFP_KERNEL regardless (a7c3e901a46f: WARN_ON_ONCE followed by
 * the __vmalloc_node_flags() fallback); ce91f6ee5b3b (4.18) made such masks kmalloc-only.
 */
export function kvmallocBehaviour(v: KernelVersion, mask: number, table: GfpTable, size?: number): { fallback: boolean; warns: boolean; what: string } {
  const spelled = maskNames(mask, table);
  if (size !== undefined && size <= 4096) {
    return { fallback: false, warns: false, what: `kvmalloc() of at most PAGE_SIZE is plain kmalloc() and never falls back to vmalloc` };
  }
  if (!atLeast(v, 4, 12)) return { fallback: false, warns: false, what: 'kvmalloc() does not exist before 4.12 (a7c3e901a46f)' };
  const blocking = !isNonBlocking(mask, table);
  const compatible = gfpKernelCompatible(mask, table);
  if (!atLeast(v, 4, 18)) {
    if (compatible) return { fallback: true, warns: false, what: 'kvmalloc() falls back to vmalloc when kmalloc fails' };
    return {
      fallback: true,
      warns: true,
      what: `kvmalloc() warns (WARN_ON_ONCE) on '${spelled}', which is not GFP_KERNEL-compatible, on 4.12–4.17 and then still falls back to vmalloc, whose page tables use GFP_KERNEL (a7c3e901a46f)`,
    };
  }
  if (!atLeast(v, 5, 17)) {
    if (compatible) return { fallback: true, warns: false, what: 'kvmalloc() falls back to vmalloc when kmalloc fails' };
    return {
      fallback: false,
      warns: false,
      what: `kvmalloc() silently uses kmalloc only for '${spelled}', which is not GFP_KERNEL-compatible, on 4.18–5.16 (ce91f6ee5b3b): there is no vmalloc fallback`,
    };
  }
  if (!blocking) {
    if (!atLeast(v, 6, 0)) {
      return {
        fallback: true,
        warns: true,
        what: `kvmalloc() with non-blocking '${spelled}' reaches vmalloc on 5.17–5.19 and hits a BUG splat (fixed by 30c19366636f in 6.0)`,
      };
    }
    return {
      fallback: false,
      warns: false,
      what: `kvmalloc() with non-blocking '${spelled}' never falls back to vmalloc: it returns NULL after the kmalloc attempt (30c19366636f)`,
    };
  }
  return {
    fallback: true,
    warns: false,
    what: `kvmalloc() falls back to vmalloc with '${spelled}', which honours GFP_NOFS, GFP_NOIO and __GFP_NOFAIL since 5.17 (a421ef303008)`,
  };
}

/**
 * How kvmalloc() misses its vmalloc fallback with `mask` on kernel `v`, or undefined when it
 * falls back (see {@link kvmallocBehaviour}): `warns` on 4.12–4.17 (WARN_ON_ONCE, then vmalloc
 * anyway), `vmallocBug` for the 5.17–5.19 non-blocking BUG splat, `nonBlocking` when a
 * non-blocking mask returns NULL after kmalloc (5.17+), `kmallocOnly` otherwise.
 */
export function kvmallocMiss(v: KernelVersion, mask: number, table: GfpTable): 'warns' | 'vmallocBug' | 'nonBlocking' | 'kmallocOnly' | undefined {
  const b = kvmallocBehaviour(v, mask, table);
  if (b.warns) return atLeast(v, 4, 18) ? 'vmallocBug' : 'warns';
  if (b.fallback) return undefined;
  return atLeast(v, 5, 17) && isNonBlocking(mask, table) ? 'nonBlocking' : 'kmallocOnly';
}

/**
 * Where the page allocator reports a __GFP_NOFAIL request of order > 1 on kernel `v`: on entry to
 * the slow path since 6.12 (903edea6c53f), in rmqueue() on every such request before.
 */
export function nofailHighOrderWarning(v: KernelVersion): string {
  return atLeast(v, 6, 12) ? '__alloc_pages_slowpath() warns: use kvmalloc()' : 'rmqueue() warns on every such request';
}

/**
 * Zone modifiers vmalloc does not support ("Zone modifiers are not supported",
 * __vmalloc_node_range() kernel-doc, mm/vmalloc.c), with why, for messages. __GFP_HIGHMEM is left
 * out: vmalloc adds it to its own pages unless GFP_DMA/GFP_DMA32 is given (__vmalloc_area_node()),
 * so passing it changes nothing (spec §3.3 lists it as supported).
 */
export const VMALLOC_UNSUPPORTED_ZONES: Readonly<Record<string, string>> = {
  __GFP_DMA: 'use vmalloc_32() for 32-bit addressable memory',
  __GFP_DMA32: 'use vmalloc_32() for 32-bit addressable memory',
  __GFP_MOVABLE: 'vmalloc pages cannot be migrated',
};

/** vmalloc_32*() is the one interface that may ask for DMA/DMA32 pages (GFP_VMALLOC32, mm/vmalloc.c). */
export function vmallocTakesZones(spec: AllocatorSpec): boolean {
  return /^vmalloc_32/.test(spec.name);
}

/**
 * What vmalloc does not support in `mask` on kernel `v` (§3.3), one sentence per problem;
 * empty when the mask is fine.
 */
export function vmallocMaskProblems(v: KernelVersion, mask: number, table: GfpTable): string[] {
  const out: string[] = [];
  const spelled = maskNames(mask, table);
  if (isNonBlocking(mask, table)) {
    out.push(`vmalloc does not support non-blocking '${spelled}': alloc_vmap_area() may sleep and page tables are allocated with a blocking mask (mm/vmalloc.c)`);
  }
  const io = table.bits.get('__GFP_IO') ?? 0;
  const fs = table.bits.get('__GFP_FS') ?? 0;
  if (!vmallocHonoursNofsNoio(v) && (mask & (io | fs)) !== (io | fs) && !isNonBlocking(mask, table)) {
    out.push(`vmalloc ignores the NOFS/NOIO part of '${spelled}' before 5.17: page tables use GFP_KERNEL (fixed by 451769ebb7e7); use a memalloc scope`);
  }
  if (!vmallocHonoursNofail(v) && hasBit(mask, '__GFP_NOFAIL', table)) {
    out.push('vmalloc does not support __GFP_NOFAIL before 5.17 (9376130c390a)');
  }
  const zones = Object.keys(VMALLOC_UNSUPPORTED_ZONES).filter((n) => hasBit(mask, n, table));
  if (zones.length) out.push(`vmalloc does not support zone modifiers (${zones.join(', ')}); vmalloc_32() is the only user of GFP_DMA/GFP_DMA32`);
  if (hasBit(mask, '__GFP_NORETRY', table)) out.push('vmalloc does not support __GFP_NORETRY (documented in __vmalloc_node_range())');
  return out;
}

/** Where __GFP_NOFAIL is used: the allocation family, and what the caller knows about it. */
export interface NofailSite {
  family: AllocFamily;
  /** Page-allocator order, when the call has one and it is a constant. */
  order?: number;
  /** The task is in a PF_MEMALLOC scope (memalloc_noreclaim_save(), kswapd). */
  pfMemalloc?: boolean;
}

/**
 * Unsupported or contradictory uses of __GFP_NOFAIL in `mask` (§4), one sentence each; empty
 * when the mask has no __GFP_NOFAIL or the use is fine. 6.12 checks them on entry to the slow
 * path (903edea6c53f), 6.1 partly at `nopage:`: both only under memory pressure.
 */
export function nofailProblems(v: KernelVersion, mask: number, table: GfpTable, site: NofailSite): string[] {
  if (!hasBit(mask, '__GFP_NOFAIL', table)) return [];
  const out: string[] = [];
  const spelled = maskNames(mask, table);
  if (isNonBlocking(mask, table)) {
    out.push(`__GFP_NOFAIL without __GFP_DIRECT_RECLAIM in '${spelled}' is unsupported and can return NULL (17d75422604f documents NOFAIL must be blockable)`);
  }
  if ((site.family === 'page' || site.family === 'folio') && site.order !== undefined && site.order > 1) {
    out.push(atLeast(v, 6, 12)
      ? `__GFP_NOFAIL with order ${site.order} > 1 is not supported by the page allocator: use kvmalloc() (WARN_ON_ONCE in __alloc_pages_slowpath(), 903edea6c53f)`
      : `__GFP_NOFAIL with order ${site.order} > 1 warns in rmqueue() on every call that reaches the buddy allocator${site.order > 3 ? ', and costly orders (> 3) also warn at nopage:' : ''}`);
  }
  if (site.pfMemalloc) {
    out.push('__GFP_NOFAIL inside a PF_MEMALLOC context (memalloc_noreclaim_save(), kswapd) cannot reclaim: __alloc_pages_slowpath() warns');
  }
  const contradicting = ['__GFP_NORETRY', '__GFP_RETRY_MAYFAIL'].filter((n) => hasBit(mask, n, table));
  if (contradicting.length) {
    out.push(`__GFP_NOFAIL contradicts ${contradicting.join(' and ')} in '${spelled}': the page allocator lets NOFAIL win`);
  }
  if ((site.family === 'vmalloc' || site.family === 'kvmalloc') && !vmallocHonoursNofail(v)) {
    out.push(`${site.family}() does not support __GFP_NOFAIL before 5.17 (9376130c390a, a421ef303008)`);
  }
  return out;
}

/**
 * Whether writing mask `to` instead of `from` at a call of `spec` changes nothing the allocator
 * does while `scopes` are active on every path to the call: the masks are equal after
 * current_gfp_context() (include/linux/sched/mm.h), and the allocator takes no decision on the
 * written mask before applying it. kvmalloc does on some versions (its vmalloc fallback,
 * {@link kvmallocBehaviour}), so both masks must behave alike there. Families whose handling of
 * the written mask is not modelled here answer false.
 *
 * - kmalloc, kmem_cache, page, folio: the page allocator applies current_gfp_context() on entry
 *   (mm/page_alloc.c __alloc_pages(), "Apply scoped allocation constraints", 6.1 and 6.12), slab
 *   gets its pages from it, and slab's cache choice (kmalloc_type()) reads only the zone,
 *   reclaimable and account bits.
 * - vmalloc: before 5.17 it ignored the written NOFS/NOIO (page tables with GFP_KERNEL), which the
 *   scope strips as well; from 5.17 it opens the matching scope from the mask itself
 *   (451769ebb7e7), which an outer scope already is.
 */
export function scopedRewriteKeepsBehaviour(spec: AllocatorSpec, v: KernelVersion, from: number, to: number, scopes: readonly ScopeKind[], table: GfpTable): boolean {
  if (applyScopes(from, scopes, table) !== applyScopes(to, scopes, table)) return false;
  switch (spec.family) {
    case 'kmalloc':
    case 'kmem_cache':
    case 'page':
    case 'folio':
    case 'vmalloc':
      return true;
    case 'kvmalloc': {
      const a = kvmallocBehaviour(v, from, table);
      const b = kvmallocBehaviour(v, to, table);
      return a.fallback === b.fallback && a.warns === b.warns;
    }
    default:
      return false;
  }
}

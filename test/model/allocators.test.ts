import { describe, expect, it } from 'vitest';
import {
  allocatorGfp, allocatorNames, allocMaySleep, dropsLockToAllocate, freeMatches, freeMismatch, impliedGfpText, impliedMaskByDesign, kvmallocMiss, nofailHighOrderWarning, pointerTest, kvmallocBehaviour, lookupAllocator, lookupFree, nofailProblems,
  unsupportedReclaimModifiers, vmallocHonoursNofail, vmallocHonoursNofsNoio, vmallocMaskProblems, xfsKmFlagsToGfp,
} from '../../src/model/allocators.js';
import { parseCExpr } from '../../src/facts/c-expr.js';
import { builtinGfpTable } from '../../src/model/gfp-tables.js';
import { known, type GfpValue } from '../../src/model/gfp.js';
import type { Expr } from '../../src/facts/expr.js';

const V61 = { major: 6, minor: 1 };
const V612 = { major: 6, minor: 12 };
const ver = (major: number, minor: number) => ({ major, minor });
const t61 = builtinGfpTable(V61);
const t612 = builtinGfpTable(V612);

function expr(text: string): Expr {
  const e = parseCExpr(text);
  if ('error' in e) throw new Error(e.error);
  return e;
}
const args = (...texts: string[]) => texts.map(expr);

// §1.1/§1.2 values
const KERNEL = 0xcc0;
const NOFS = 0xc40;
const ZERO = 0x100;
const NOWARN = 0x2000;
const MAYFAIL = 0x4000;
const NOFAIL = 0x8000;
const COMP = 0x40000;

// allocator-model.md §3.1: gfp index in 6.1 / 6.12 (null = not in that tree)
const INDEX: [string, number | null, number | null][] = [
  ['kmalloc', 1, 1], ['kzalloc', 1, 1], ['kcalloc', 2, 2], ['kmalloc_array', 2, 2], ['krealloc', 2, 2],
  ['krealloc_array', 3, 3], ['kmalloc_node', 1, 1], ['kzalloc_node', 1, 1], ['kcalloc_node', 2, 2],
  ['kmalloc_array_node', 2, 2], ['kmalloc_track_caller', 1, 1], ['kmem_cache_alloc', 1, 1], ['kmem_cache_zalloc', 1, 1],
  ['kmem_cache_alloc_node', 1, 1], ['kmem_cache_alloc_lru', 2, 2], ['kmem_cache_alloc_bulk', 1, 1], ['kstrdup', 1, 1],
  ['kstrdup_const', 1, 1], ['kstrndup', 2, 2], ['kmemdup', 2, 2], ['kmemdup_nul', 2, 2], ['kvmemdup', null, 2],
  ['kasprintf', 0, 0], ['kvasprintf', 0, 0], ['kmalloc_obj', null, 1], ['kzalloc_obj', null, 1], ['kvmalloc_obj', null, 1],
  ['kmalloc_objs', null, 2], ['kmalloc_flex', null, 3], ['kvzalloc_flex', null, 3],
  ['kvmalloc', 1, 1], ['kvzalloc', 1, 1], ['kvmalloc_node', 1, 1], ['kvzalloc_node', 1, 1], ['kvmalloc_array', 2, 2],
  ['kvcalloc', 2, 2], ['kvcalloc_node', null, 2], ['kvmalloc_array_node', null, 2], ['kvrealloc', 3, 2],
  ['kmem_buckets_alloc', null, 2], ['kmem_buckets_valloc', null, 2],
  ['__vmalloc', 1, 1], ['__vmalloc_array', 2, 2], ['__vcalloc', 2, 2], ['vmalloc_huge', 1, 1], ['__vmalloc_node', 2, 2],
  ['__vmalloc_node_range', 4, 4], ['vrealloc', null, 2],
  ['alloc_pages', 0, 0], ['alloc_page', 0, 0], ['alloc_pages_node', 1, 1], ['__alloc_pages_node', 1, 1], ['__alloc_pages', 0, 0],
  ['__get_free_pages', 0, 0], ['__get_free_page', 0, 0], ['get_zeroed_page', 0, 0], ['alloc_pages_exact', 1, 1],
  ['folio_alloc', 0, 0], ['filemap_alloc_folio', 0, 0], ['mempool_alloc', 1, 1], ['mempool_create_node', 4, 4],
  ['radix_tree_preload', 0, 0], ['radix_tree_maybe_preload', 0, 0], ['idr_preload', 0, 0], ['idr_alloc', 4, 4],
  ['idr_alloc_cyclic', 4, 4], ['idr_alloc_u32', 4, 4], ['ida_alloc', 1, 1], ['ida_alloc_min', 2, 2], ['ida_alloc_max', 2, 2],
  ['ida_alloc_range', 3, 3], ['xa_store', 3, 3], ['xa_insert', 3, 3], ['xa_alloc', 4, 4], ['xa_alloc_cyclic', 5, 5],
  ['xa_reserve', 2, 2], ['devm_kmalloc', 2, 2], ['devm_kzalloc', 2, 2], ['devm_kcalloc', 3, 3], ['devm_kmalloc_array', 3, 3],
  ['devm_krealloc', 3, 3], ['devm_kmemdup', 3, 3], ['devm_kstrdup', 2, 2], ['devm_kasprintf', 1, 1],
  ['alloc_skb', 1, 1], ['__alloc_skb', 1, 1], ['skb_clone', 1, 1], ['skb_copy', 1, 1],
  ['dma_alloc_coherent', 3, 3], ['dmam_alloc_coherent', 3, 3], ['dma_alloc_attrs', 3, 3], ['dma_pool_alloc', 1, 1],
  ['dma_pool_zalloc', 1, 1], ['bio_alloc', 3, 3], ['bio_alloc_bioset', 3, 3], ['bio_kmalloc', 1, 1], ['bio_alloc_clone', 2, 2],
  ['find_or_create_page', 2, 2], ['pagecache_get_page', 3, 3], ['__filemap_get_folio', 3, 3],
  ['alloc_percpu_gfp', 1, 1], ['__alloc_percpu_gfp', 2, 2], ['sg_alloc_table', 2, 2], ['kmem_alloc', 1, null], ['kmem_zalloc', 1, null],
];

// §3.1 APIs without a gfp argument and their implicit mask
const IMPLIED: [string, string][] = [
  ['memdup_user', 'GFP_USER | __GFP_NOWARN'], ['vmemdup_user', 'GFP_USER'], ['strndup_user', 'GFP_KERNEL'],
  ['vmalloc', 'GFP_KERNEL'], ['vzalloc', 'GFP_KERNEL | __GFP_ZERO'], ['vmalloc_node', 'GFP_KERNEL'],
  ['vzalloc_node', 'GFP_KERNEL | __GFP_ZERO'], ['vmalloc_user', 'GFP_KERNEL | __GFP_ZERO'], ['vmalloc_32', 'GFP_VMALLOC32'],
  ['vmalloc_32_user', 'GFP_VMALLOC32 | __GFP_ZERO'], ['vmalloc_array', 'GFP_KERNEL'], ['vcalloc', 'GFP_KERNEL | __GFP_ZERO'],
  ['mempool_create', 'GFP_KERNEL'], ['netdev_alloc_skb', 'GFP_ATOMIC'], ['grab_cache_page_write_begin', 'mapping_gfp_mask(mapping)'],
];

describe('lookupAllocator', () => {
  it.each(INDEX)('%s: gfp index %s in 6.1, %s in 6.12 (§3.1)', (name, i61, i612) => {
    expect(lookupAllocator(name, V61)?.gfpArg ?? null).toBe(i61);
    expect(lookupAllocator(name, V612)?.gfpArg ?? null).toBe(i612);
  });

  it.each(IMPLIED)('%s has no gfp argument and implies %s', (name, implied) => {
    const s = lookupAllocator(name, V612)!;
    expect(s.gfpArg).toBeNull();
    const value = allocatorGfp(s, [], { table: t612 });
    const expected = allocatorGfp({ ...s, implied, adds: undefined }, [], { table: t612 });
    expect(value).toEqual(expected);
  });

  it('kvrealloc moved its gfp from index 3 to 2 in 6.12', () => {
    expect(lookupAllocator('kvrealloc', ver(6, 11))?.gfpArg).toBe(3);
    expect(lookupAllocator('kvrealloc', ver(6, 12))?.gfpArg).toBe(2);
  });

  it('bio_alloc and bio_alloc_bioset took gfp first before 5.18; bio_kmalloc before 5.19', () => {
    expect(lookupAllocator('bio_alloc', ver(5, 17))?.gfpArg).toBe(0);
    expect(lookupAllocator('bio_alloc', ver(5, 18))?.gfpArg).toBe(3);
    expect(lookupAllocator('bio_alloc_bioset', ver(5, 17))?.gfpArg).toBe(0);
    expect(lookupAllocator('bio_alloc_bioset', ver(5, 18))?.gfpArg).toBe(3);
    expect(lookupAllocator('bio_kmalloc', ver(5, 18))?.gfpArg).toBe(0);
    expect(lookupAllocator('bio_kmalloc', ver(5, 19))?.gfpArg).toBe(1);
  });

  it('__vmalloc has gfp at index 1 before and after 5.8', () => {
    expect(lookupAllocator('__vmalloc', ver(5, 4))?.gfpArg).toBe(1);
    expect(lookupAllocator('__vmalloc', ver(5, 8))?.gfpArg).toBe(1);
  });

  it('resolves NAME_noprof to NAME (§1.6)', () => {
    const s = lookupAllocator('kmalloc_noprof', V612);
    expect(s?.name).toBe('kmalloc');
    expect(s?.gfpArg).toBe(1);
    expect(lookupAllocator('kvrealloc_noprof', V612)?.gfpArg).toBe(2);
    expect(lookupAllocator('alloc_pages_noprof', V612)?.orderArg).toBe(1);
    expect(lookupAllocator('not_an_allocator_noprof', V612)).toBeUndefined();
  });

  it('the kmalloc_obj() family has an optional gfp defaulting to GFP_KERNEL (6.12.117)', () => {
    const s = lookupAllocator('kmalloc_obj', V612)!;
    expect(s.optionalGfp).toBe(true);
    expect(allocatorGfp(s, args('p'), { table: t612 })).toEqual(known(KERNEL));
    expect(allocatorGfp(s, args('p', 'GFP_NOFS'), { table: t612 })).toEqual(known(NOFS));
    expect(allocatorGfp(lookupAllocator('kzalloc_flex', V612)!, args('p', 'items', 'n'), { table: t612 })).toEqual(known(KERNEL | ZERO));
    expect(lookupAllocator('kvzalloc_objs', V612)?.family).toBe('kvmalloc');
    expect(lookupAllocator('kmalloc_obj', V61)).toBeUndefined();
  });

  it('adds the bits the API adds', () => {
    expect(allocatorGfp(lookupAllocator('kzalloc', V612)!, args('n', 'GFP_NOFS'), { table: t612 })).toEqual(known(NOFS | ZERO));
    expect(allocatorGfp(lookupAllocator('folio_alloc', V612)!, args('GFP_KERNEL', '2'), { table: t612 })).toEqual(known(KERNEL | COMP));
    const p = allocatorGfp(lookupAllocator('kcalloc', V612)!, args('n', 'size', 'gfp'), { table: t612, paramIndex: (n) => (n === 'gfp' ? 2 : undefined) });
    expect(p).toEqual({ kind: 'param', param: 2, name: 'gfp', add: ZERO, remove: 0 });
  });

  it('reports a missing gfp argument as unknown', () => {
    expect(allocatorGfp(lookupAllocator('kmalloc', V612)!, args('n'), { table: t612 }).kind).toBe('unknown');
  });

  it('XFS kmem_alloc(KM_*) exists only before 6.9 and converts KM flags (§3.5)', () => {
    expect(lookupAllocator('kmem_alloc', ver(6, 8))?.gfpArgKind).toBe('xfs-km');
    expect(lookupAllocator('kmem_alloc', ver(6, 9))).toBeUndefined();
    expect(xfsKmFlagsToGfp(expr('0'), t61)).toEqual(known(KERNEL | NOWARN));
    expect(xfsKmFlagsToGfp(expr('KM_NOFS'), t61)).toEqual(known(NOFS | NOWARN));
    expect(xfsKmFlagsToGfp(expr('KM_NOFS | KM_MAYFAIL'), t61)).toEqual(known(NOFS | NOWARN | MAYFAIL));
    expect(xfsKmFlagsToGfp(expr('KM_ZERO'), t61)).toEqual(known(KERNEL | NOWARN | ZERO));
    expect(allocatorGfp(lookupAllocator('kmem_zalloc', V61)!, args('size', 'KM_NOFS'), { table: t61 })).toEqual(known(NOFS | NOWARN | ZERO));
    expect(xfsKmFlagsToGfp(expr('KM_SOMETHING'), t61).kind).toBe('unknown');
  });

  it('vmalloc-family allocators always sleep; kmalloc sleeps only with a blocking mask', () => {
    const vm = lookupAllocator('vmalloc', V612)!;
    const km = lookupAllocator('kmalloc', V612)!;
    expect(vm.sleeps).toBe('always');
    expect(km.sleeps).toBe('if-blocking');
    expect(allocMaySleep(km, known(0x820), t612)).toBe(false);
    expect(allocMaySleep(km, known(KERNEL), t612)).toBe(true);
    expect(allocMaySleep(vm, known(0x820), t612)).toBe(true);
    const fcp = lookupAllocator('find_or_create_page', V612)!;
    expect(allocMaySleep(fcp, known(0x820), t612)).toBe(true);
    const unknownMask: GfpValue = { kind: 'unknown', unresolved: ['X'] };
    expect(allocMaySleep(km, unknownMask, t612)).toBe(true);
  });

  it('knows which calls return no object and which give the order', () => {
    expect(lookupAllocator('idr_alloc', V612)?.returnsPointer).toBe(false);
    expect(lookupAllocator('xa_store', V612)?.returnsPointer).toBe(false);
    expect(lookupAllocator('kmalloc', V612)?.returnsPointer).toBe(true);
    expect(lookupAllocator('alloc_pages_node', V612)?.orderArg).toBe(2);
    expect(lookupAllocator('alloc_page', V612)?.fixedOrder).toBe(0);
    expect(lookupAllocator('kmalloc', V612)?.sizeArg).toBe(0);
  });
});

describe('free functions', () => {
  it('kvfree accepts kmalloc, kmem_cache (6.12 doc), kvmalloc and vmalloc memory', () => {
    expect(lookupFree('kvfree')?.accepts.sort()).toEqual(['kmalloc', 'kmem_cache', 'kvmalloc', 'vmalloc']);
    expect(lookupFree('kvfree', V61)?.accepts).not.toContain('kmem_cache');
  });

  it('kfree never accepts vmalloc or kvmalloc memory; vfree never kmalloc memory (§3.1)', () => {
    expect(lookupFree('kfree')?.accepts).not.toContain('vmalloc');
    expect(lookupFree('kfree')?.accepts).not.toContain('kvmalloc');
    expect(lookupFree('vfree')?.accepts).toEqual(['vmalloc']);
    expect(lookupFree('kmem_cache_free')?.accepts).toEqual(['kmem_cache']);
    expect(lookupFree('not_a_free')).toBeUndefined();
    expect(freeMatches(lookupAllocator('kvmalloc', V612)!, 'kfree', V612)).toBe(false);
    expect(freeMatches(lookupAllocator('kmem_cache_alloc', V612)!, 'kfree', V612)).toBe(true);
    expect(freeMatches(lookupAllocator('kmem_cache_alloc', V61)!, 'kfree', V61)).toBe(false);
  });

  it('every free an allocator lists is known and accepts that family', () => {
    for (const v of [ver(4, 14), ver(5, 10), V61, V612]) {
      for (const name of allocatorNames(v)) {
        const s = lookupAllocator(name, v)!;
        expect(s.frees.length, name).toBeGreaterThan(0);
        for (const f of s.frees) expect(lookupFree(f, v)?.accepts, `${name} → ${f}`).toContain(s.family);
      }
    }
  });
});

describe('vmalloc and kvmalloc history (§3.2, §3.3)', () => {
  it('vmalloc honours NOFS/NOIO and NOFAIL from 5.17', () => {
    expect(vmallocHonoursNofsNoio(ver(5, 16))).toBe(false);
    expect(vmallocHonoursNofsNoio(ver(5, 17))).toBe(true);
    expect(vmallocHonoursNofail(ver(5, 16))).toBe(false);
    expect(vmallocHonoursNofail(V61)).toBe(true);
  });

  it.each<[string, { major: number; minor: number }, string, boolean]>([
    ['4.14 GFP_NOFS: warns, then vmalloc', ver(4, 14), 'GFP_NOFS', true],
    ['4.18 GFP_NOFS: kmalloc only', ver(4, 18), 'GFP_NOFS', false],
    ['5.16 GFP_NOIO: kmalloc only', ver(5, 16), 'GFP_NOIO', false],
    ['5.17 GFP_NOFS: vmalloc fallback', ver(5, 17), 'GFP_NOFS', true],
    ['6.1 GFP_NOFS: vmalloc fallback', V61, 'GFP_NOFS', true],
    ['6.1 GFP_KERNEL', V61, 'GFP_KERNEL', true],
    ['4.18 GFP_KERNEL', ver(4, 18), 'GFP_KERNEL', true],
    ['6.1 GFP_ATOMIC: never vmalloc', V61, 'GFP_ATOMIC', false],
    ['6.12 GFP_NOWAIT: never vmalloc', V612, 'GFP_NOWAIT', false],
    ['5.10 GFP_ATOMIC: kmalloc only', ver(5, 10), 'GFP_ATOMIC', false],
    ['6.12 GFP_KERNEL | __GFP_NOFAIL', V612, 'GFP_KERNEL | __GFP_NOFAIL', true],
  ])('%s', (_label, v, mask, fallback) => {
    const t = builtinGfpTable(v);
    const m = (allocatorGfp({ name: 'x', family: 'kvmalloc', gfpArg: 0, sleeps: 'if-blocking', frees: [], returnsPointer: true }, [expr(mask)], { table: t }) as { masks: number[] }).masks[0];
    const b = kvmallocBehaviour(v, m, t);
    expect(b.fallback).toBe(fallback);
    expect(b.what).toMatch(/^kvmalloc\(\)/);
    expect(b.what.endsWith('.')).toBe(false);
  });

  it('4.12–4.17 warn on non-GFP_KERNEL masks and cite the commits', () => {
    expect(kvmallocBehaviour(ver(4, 14), NOFS, builtinGfpTable(ver(4, 14))).warns).toBe(true);
    expect(kvmallocBehaviour(ver(4, 18), NOFS, builtinGfpTable(ver(4, 18))).what).toMatch(/ce91f6ee5b3b/);
    expect(kvmallocBehaviour(V61, 0x820, t61).what).toMatch(/30c19366636f/);
    expect(kvmallocBehaviour(V61, NOFS, t61).what).toMatch(/a421ef303008/);
  });

  it('requests of at most PAGE_SIZE never fall back', () => {
    expect(kvmallocBehaviour(V612, KERNEL, t612, 64).fallback).toBe(false);
    expect(kvmallocBehaviour(V612, KERNEL, t612, 65536).fallback).toBe(true);
  });

  it('vmallocMaskProblems follows the version switch', () => {
    expect(vmallocMaskProblems(V61, NOFS, t61)).toEqual([]);
    expect(vmallocMaskProblems(V61, KERNEL | ZERO, t61)).toEqual([]);
    const old = vmallocMaskProblems(ver(5, 10), NOFS, builtinGfpTable(ver(5, 10)));
    expect(old).toHaveLength(1);
    expect(old[0]).toMatch(/5\.17/);
    expect(vmallocMaskProblems(V612, 0x820, t612)[0]).toMatch(/non-blocking/);
    expect(vmallocMaskProblems(ver(5, 10), KERNEL | NOFAIL, builtinGfpTable(ver(5, 10))).join()).toMatch(/__GFP_NOFAIL/);
    expect(vmallocMaskProblems(V612, KERNEL | 0x4, t612).join()).toMatch(/__GFP_DMA32/);
  });
});

describe('__GFP_NOFAIL (§4)', () => {
  it('must be blockable', () => {
    const p = nofailProblems(V61, 0xa20 | NOFAIL, t61, { family: 'page', order: 0 });
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(/__GFP_DIRECT_RECLAIM/);
  });

  it('buddy order > 1 is unsupported; order 1 is fine', () => {
    expect(nofailProblems(V612, KERNEL | NOFAIL, t612, { family: 'page', order: 2 })).toHaveLength(1);
    expect(nofailProblems(V612, KERNEL | NOFAIL, t612, { family: 'page', order: 1 })).toEqual([]);
    expect(nofailProblems(V61, KERNEL | NOFAIL, t61, { family: 'page', order: 4 })[0]).toMatch(/costly/);
  });

  it('is fine with kvmalloc/vmalloc from 5.17 only', () => {
    expect(nofailProblems(V61, KERNEL | NOFAIL, t61, { family: 'kvmalloc' })).toEqual([]);
    expect(nofailProblems(ver(5, 10), KERNEL | NOFAIL, builtinGfpTable(ver(5, 10)), { family: 'vmalloc' })).toHaveLength(1);
  });

  it('contradicts NORETRY/RETRY_MAYFAIL and PF_MEMALLOC', () => {
    expect(nofailProblems(V612, KERNEL | NOFAIL | 0x10000, t612, { family: 'kmalloc' })[0]).toMatch(/__GFP_NORETRY/);
    expect(nofailProblems(V612, KERNEL | NOFAIL, t612, { family: 'kmalloc', pfMemalloc: true })[0]).toMatch(/PF_MEMALLOC/);
    expect(nofailProblems(V612, KERNEL, t612, { family: 'page', order: 5 })).toEqual([]);
  });
});

describe('facts the analysis and rules ask of allocators', () => {
  it('freeMismatch: the strict frees against the heap families, by the model\'s free table', () => {
    expect(freeMismatch('kfree', 'vmalloc')).toEqual({ expected: "'vfree()' or 'kvfree()'" });
    expect(freeMismatch('kfree', 'kvmalloc')).toEqual({ expected: "'kvfree()'" });
    expect(freeMismatch('vfree', 'kmalloc')).toEqual({ expected: "'kfree()' or 'kvfree()'" });
    expect(freeMismatch('vfree', 'kvmalloc')).toEqual({ expected: "'kvfree()'" });
    expect(freeMismatch('kfree_sensitive', 'kmem_cache')).toEqual({ expected: "'kmem_cache_free()'" });
    expect(freeMismatch('kfree', 'kmem_cache')).toBeUndefined();
    expect(freeMismatch('kvfree', 'vmalloc')).toBeUndefined();
    // kmem_cache_free()'s first argument is the cache; page memory is not told apart here.
    expect(freeMismatch('kmem_cache_free', 'kmalloc')).toBeUndefined();
    expect(freeMismatch('kfree', 'page')).toBeUndefined();
  });

  it('pointerTest: is_vmalloc_addr() splits vmalloc from slab memory', () => {
    expect(pointerTest('is_vmalloc_addr')).toEqual({ ifTrue: ['vmalloc'], ifFalse: ['kmalloc', 'kmem_cache'] });
    expect(pointerTest('virt_addr_valid')).toBeUndefined();
  });

  it('implied masks: their spelling, and which are the API\'s design', () => {
    expect(impliedGfpText(lookupAllocator('strndup_user', V612)!)).toBe('GFP_KERNEL');
    expect(impliedGfpText(lookupAllocator('kmalloc', V612)!)).toBe('');
    expect(impliedMaskByDesign('strndup_user', 'GFP_KERNEL')).toBe(true);
    expect(impliedMaskByDesign('read_mapping_page', 'mapping_gfp_mask(mapping)')).toBe(true);
    expect(impliedMaskByDesign('vmalloc', 'GFP_KERNEL')).toBe(false);
  });

  it('dropsLockToAllocate: the __xa_*() calls under xa_lock', () => {
    const xa = lookupAllocator('__xa_alloc', V612)!;
    expect(xa.family).toBe('xarray');
    expect(dropsLockToAllocate(xa, 'xa_lock_irq')).toBe(true);
    expect(dropsLockToAllocate(xa, 'spin_lock')).toBe(false);
    expect(dropsLockToAllocate(lookupAllocator('kmalloc', V612)!, 'xa_lock')).toBe(false);
  });
});

describe('version facts the rules report', () => {
  const t = builtinGfpTable(V612);
  const g = (name: string) => t.masks.get(name)!;
  it('kvmallocMiss names how kvmalloc() misses its fallback on each release', () => {
    expect(kvmallocMiss(V612, g('GFP_KERNEL'), t)).toBeUndefined();
    expect(kvmallocMiss(V612, g('GFP_NOFS'), t)).toBeUndefined();
    expect(kvmallocMiss(V612, g('GFP_NOWAIT'), t)).toBe('nonBlocking');
    expect(kvmallocMiss({ major: 5, minor: 10 }, g('GFP_NOFS'), t)).toBe('kmallocOnly');
    expect(kvmallocMiss({ major: 5, minor: 18 }, g('GFP_NOWAIT'), t)).toBe('vmallocBug');
    expect(kvmallocMiss({ major: 4, minor: 14 }, g('GFP_NOFS'), t)).toBe('warns');
  });

  it('nofailHighOrderWarning: the slow path since 6.12, rmqueue() before', () => {
    expect(nofailHighOrderWarning(V612)).toMatch(/__alloc_pages_slowpath/);
    expect(nofailHighOrderWarning(V61)).toMatch(/rmqueue/);
  });
});

describe('reclaim modifiers the vmalloc path does not honour (§3.3, kvmalloc §3.2)', () => {
  const NORETRY = 0x10000;
  const NOWAIT = 0x800;

  it.each([
    [V61, t61], [V612, t612], [ver(5, 10), builtinGfpTable(ver(5, 10))],
  ])('vmalloc: __GFP_NORETRY and __GFP_RETRY_MAYFAIL are unsupported, __GFP_NOFAIL is not listed (%o)', (v, t) => {
    expect(unsupportedReclaimModifiers(v, 'vmalloc', KERNEL | NORETRY, t)).toEqual(['__GFP_NORETRY']);
    expect(unsupportedReclaimModifiers(v, 'vmalloc', KERNEL | MAYFAIL | NORETRY, t)).toEqual(['__GFP_NORETRY', '__GFP_RETRY_MAYFAIL']);
    expect(unsupportedReclaimModifiers(v, 'vmalloc', KERNEL | NOFAIL, t)).toEqual([]);
    expect(unsupportedReclaimModifiers(v, 'vmalloc', KERNEL, t)).toEqual([]);
  });

  it('a non-blocking vmalloc mask is unsupported whole; its modifiers are not listed again', () => {
    expect(unsupportedReclaimModifiers(V612, 'vmalloc', NOWAIT | NORETRY, t612)).toEqual([]);
  });

  it('kvmalloc: __GFP_NORETRY only, and only where the mask reaches the vmalloc fallback', () => {
    expect(unsupportedReclaimModifiers(V612, 'kvmalloc', KERNEL | NORETRY, t612)).toEqual(['__GFP_NORETRY']);
    expect(unsupportedReclaimModifiers(V61, 'kvmalloc', KERNEL | NORETRY, t61)).toEqual(['__GFP_NORETRY']);
    expect(unsupportedReclaimModifiers(V612, 'kvmalloc', KERNEL | MAYFAIL, t612)).toEqual([]);
    expect(unsupportedReclaimModifiers(V612, 'kvmalloc', KERNEL | NORETRY, t612, 128)).toEqual([]);
    expect(unsupportedReclaimModifiers(V612, 'kvmalloc', NOWAIT | NORETRY, t612)).toEqual([]);
    // 4.18–5.16: a mask that is not GFP_KERNEL-compatible gets kmalloc only (ce91f6ee5b3b).
    expect(unsupportedReclaimModifiers(ver(5, 10), 'kvmalloc', NOFS | NORETRY, builtinGfpTable(ver(5, 10)))).toEqual([]);
    expect(unsupportedReclaimModifiers(V612, 'kvmalloc', NOFS | NORETRY, t612)).toEqual(['__GFP_NORETRY']);
  });

  it('other families have no such list', () => {
    expect(unsupportedReclaimModifiers(V612, 'kmalloc', KERNEL | NORETRY, t612)).toEqual([]);
  });
});

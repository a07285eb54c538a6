/**
 * Small questions rules ask of GFP values, in may/must form, so that every rule treats unknown
 * bits the same way (it stays quiet) and names masks the same way in messages.
 */
import type { Model } from '../model/context.js';
import { formatGfpValue, type GfpValue } from '../model/gfp.js';
import type { Expr } from '../facts/expr.js';
import type { Rng } from '../facts/facts.js';

/** The value of a `__GFP_*` bit or `GFP_*` mask name in the configured table (0 when absent). */
export function bitOf(model: Model, name: string): number {
  return model.table.masks.get(name) ?? model.table.bits.get(name) ?? 0;
}

/** True when the value is known and every possible mask satisfies `pred`. */
export function mustAll(v: GfpValue, pred: (mask: number) => boolean): boolean {
  return v.kind === 'known' && v.masks.length > 0 && v.masks.every(pred);
}

/** True when the value is known and some possible mask satisfies `pred`. */
export function mayAny(v: GfpValue, pred: (mask: number) => boolean): boolean {
  return v.kind === 'known' && v.masks.some(pred);
}

/** The value rendered for a message: `GFP_NOFS`, `GFP_NOFS or GFP_KERNEL`, `gfp & ~__GFP_FS` (the model's one formatter). */
export function describeGfp(model: Model, v: GfpValue): string {
  return formatGfpValue(v, model.table);
}

export function lineOf(r: Rng): number {
  return r[0] + 1;
}

/** A mask that blocks and cannot recurse into the filesystem: GFP_NOFS and its relatives. */
export function isNofsLike(model: Model, m: number): boolean {
  const dr = bitOf(model, '__GFP_DIRECT_RECLAIM');
  return (m & dr) !== 0 && (m & bitOf(model, '__GFP_FS')) === 0;
}

/** A mask that blocks and cannot start I/O: GFP_NOIO and its relatives. */
export function isNoioLike(model: Model, m: number): boolean {
  const dr = bitOf(model, '__GFP_DIRECT_RECLAIM');
  return (m & dr) !== 0 && (m & bitOf(model, '__GFP_IO')) === 0;
}

export function allowsDirectReclaim(model: Model, m: number): boolean {
  return (m & bitOf(model, '__GFP_DIRECT_RECLAIM')) !== 0;
}

/**
 * Named integer constants that size and order arguments use, for 4 KiB pages (the spec's
 * assumption for KMALLOC_MAX_CACHE_SIZE, §3.1): include/asm-generic/page.h, include/linux/sizes.h,
 * include/linux/mmzone.h (PAGE_ALLOC_COSTLY_ORDER).
 */
const INT_CONSTANTS: Readonly<Record<string, number>> = {
  PAGE_SIZE: 4096,
  PAGE_SHIFT: 12,
  PAGE_ALLOC_COSTLY_ORDER: 3,
};

/**
 * The value of a constant integer expression (a size or order argument): literals, PAGE_SIZE,
 * SZ_4K…SZ_1G, arithmetic and get_order(); undefined for anything else (sizeof, variables).
 */
export function constInt(e: Expr): number | undefined {
  switch (e.k) {
    case 'num':
      return e.value !== null && Number.isInteger(e.value) && e.value >= 0 ? e.value : undefined;
    case 'id': {
      if (Object.hasOwn(INT_CONSTANTS, e.name)) return INT_CONSTANTS[e.name];
      const sz = /^SZ_(\d+)([KMG]?)$/.exec(e.name);
      return sz ? Number(sz[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[sz[2]] : undefined;
    }
    case 'cast':
      return constInt(e.e);
    case 'bin': {
      const l = constInt(e.l);
      const r = constInt(e.r);
      if (l === undefined || r === undefined) return undefined;
      switch (e.op) {
        case '+': return l + r;
        case '-': return l - r >= 0 ? l - r : undefined;
        case '*': return l * r;
        case '/': return r ? Math.floor(l / r) : undefined;
        case '<<': return r < 40 ? l * 2 ** r : undefined;
        case '>>': return Math.floor(l / 2 ** r);
        default: return undefined;
      }
    }
    case 'call': {
      // include/asm-generic/getorder.h: the smallest order whose pages hold `size` bytes
      if (e.fn !== 'get_order' || e.args.length !== 1) return undefined;
      const size = constInt(e.args[0]);
      return size === undefined || size === 0 ? undefined : pageOrder(size);
    }
    default:
      return undefined;
  }
}

/** get_order(size) for 4 KiB pages. */
export function pageOrder(size: number): number {
  let order = 0;
  while (INT_CONSTANTS.PAGE_SIZE * 2 ** order < size) order++;
  return order;
}

/** Source text for a message on one line: `GFP_NOFS |\n\t\t __GFP_ZERO` → `GFP_NOFS | __GFP_ZERO`. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

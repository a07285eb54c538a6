/**
 * Integer constants that size and order arguments use, for 4 KiB pages (the spec's assumption
 * for KMALLOC_MAX_CACHE_SIZE, §3.1), and the constant folding the size checks need.
 */
import type { Expr } from '../facts/expr.js';

/**
 * include/asm-generic/page.h (PAGE_SHIFT 12), include/linux/mmzone.h:46 (PAGE_ALLOC_COSTLY_ORDER,
 * 6.12; the same in 6.1); SZ_* come from include/linux/sizes.h.
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

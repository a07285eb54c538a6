import { describe, expect, it } from 'vitest';
import { parseCExpr } from '../../src/facts/c-expr.js';
import type { Expr } from '../../src/facts/expr.js';
import { constInt, pageOrder } from '../../src/model/sizes.js';

function expr(text: string): Expr {
  const e = parseCExpr(text);
  if ('error' in e) throw new Error(e.error);
  return e;
}

describe('constant sizes and orders (4 KiB pages)', () => {
  it.each<[string, number | undefined]>([
    ['PAGE_SIZE', 4096],
    ['2 * PAGE_SIZE', 8192],
    ['PAGE_SIZE << 2', 16384],
    ['SZ_64K', 65536],
    ['SZ_1M + 1', 1024 * 1024 + 1],
    ['get_order(SZ_16K)', 2],
    ['PAGE_ALLOC_COSTLY_ORDER', 3],
    ['(size_t)128', 128],
    ['sizeof(struct foo)', undefined],
    ['n * PAGE_SIZE', undefined],
    ['1 - 2', undefined],
  ])('%s', (text, value) => {
    expect(constInt(expr(text))).toBe(value);
  });

  it('pageOrder is get_order()', () => {
    expect(pageOrder(1)).toBe(0);
    expect(pageOrder(4096)).toBe(0);
    expect(pageOrder(4097)).toBe(1);
    expect(pageOrder(32768)).toBe(3);
  });
});

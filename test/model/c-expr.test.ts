import { describe, expect, it } from 'vitest';
import { parseCExpr, parseCInteger } from '../../src/facts/c-expr.js';

describe('parseCExpr', () => {
  it('parses (__force gfp_t) casts', () => {
    expect(parseCExpr('((__force gfp_t)___GFP_DMA)')).toEqual({ k: 'cast', type: '__force gfp_t', e: { k: 'id', name: '___GFP_DMA' } });
  });

  it('does not take a parenthesised name for a cast', () => {
    expect(parseCExpr('(GFP_KERNEL) | __GFP_ZERO')).toEqual({
      k: 'bin', op: '|', l: { k: 'id', name: 'GFP_KERNEL' }, r: { k: 'id', name: '__GFP_ZERO' },
    });
  });

  it('follows C precedence: & binds tighter than |, ~ tighter than &', () => {
    expect(parseCExpr('A | B & ~C')).toEqual({
      k: 'bin', op: '|', l: { k: 'id', name: 'A' },
      r: { k: 'bin', op: '&', l: { k: 'id', name: 'B' }, r: { k: 'un', op: '~', e: { k: 'id', name: 'C' } } },
    });
  });

  it('parses calls, fields, ternaries and integer literals', () => {
    expect(parseCExpr('mapping_gfp_constraint(inode->i_mapping, ~__GFP_FS)')).toMatchObject({
      k: 'call', fn: 'mapping_gfp_constraint', args: [{ k: 'field', field: 'i_mapping', arrow: true }, { k: 'un', op: '~' }],
    });
    expect(parseCExpr('c ? 0x01u : 010')).toMatchObject({ k: 'cond', t: { k: 'num', value: 1 }, f: { k: 'num', value: 8 } });
  });

  it('reports errors instead of throwing', () => {
    expect(parseCExpr('(A | B')).toHaveProperty('error');
    expect(parseCExpr('A B')).toHaveProperty('error');
    expect(parseCExpr('')).toHaveProperty('error');
    expect(parseCExpr('A @ B')).toHaveProperty('error');
  });
});

describe('parseCInteger', () => {
  it.each([['0x01u', 1], ['0x4000000u', 0x4000000], ['12', 12], ['0', 0], ['010', 8], ['1UL', 1], ['0b101', 5]])('%s = %s', (text, value) => {
    expect(parseCInteger(text)).toBe(value);
  });
  it('rejects non-integers', () => {
    expect(parseCInteger('1.5')).toBeNull();
    expect(parseCInteger('0x')).toBeNull();
  });
});

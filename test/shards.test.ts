/** How lint() cuts a large tree into shards (src/engine/lint.ts shardInputs()). */
import { describe, expect, test } from 'vitest';
import { shardInputs } from '../src/engine/lint.js';

const files = (...paths: string[]) => paths.map((path) => ({ path }));

describe('shardInputs', () => {
  test('a small tree is one shard', () => {
    const input = files('fs/a.c', 'mm/b.c');
    expect(shardInputs(input, 10)).toEqual([input]);
  });

  test('include/ comes first, directories stay together, neighbours merge up to the limit', () => {
    const input = files('mm/a.c', 'fs/x/a.c', 'fs/x/b.c', 'include/linux/a.h', 'fs/y/a.c', 'mm/b.c');
    const shards = shardInputs(input, 3).map((s) => s.map((f) => f.path));
    expect(shards[0][0]).toBe('include/linux/a.h');
    expect(shards.flat().sort()).toEqual(input.map((f) => f.path).sort());
    for (const s of shards) expect(s.length).toBeLessThanOrEqual(3);
    // fs/x is never cut in two.
    expect(shards.filter((s) => s.some((p) => p.startsWith('fs/x/'))).length).toBe(1);
  });

  test('a directory larger than a shard is split one component deeper (drivers/gpu)', () => {
    const gpu = Array.from({ length: 12 }, (_, i) => `drivers/gpu/drm/d${i % 4}/f${i}.c`);
    const shards = shardInputs(files(...gpu, 'drivers/net/a.c'), 4);
    for (const s of shards) expect(s.length).toBeLessThanOrEqual(4);
    expect(shards.flat().length).toBe(13);
  });
});

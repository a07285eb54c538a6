/**
 * Per-shard memos of the two passes (issue 6: a re-run after one file changed). A shard's pass A
 * is a function of its files' content and of what the shards before it left behind (inferred
 * wrappers and providers, macro aliases, widening names); its pass B, of its files' content, the
 * functions pass A selected and the global view. Each is remembered under a key made of exactly
 * those, so that after a change only the changed shard is analysed again, and a shard after it
 * whose incoming state is unchanged is replayed, not recomputed.
 *
 * Entries are gzip JSON, written atomically; a damaged or foreign entry reads as a miss. Entries
 * not used for MAX_AGE_MS, and the oldest beyond MAX_ENTRIES, are removed after a run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, utimesSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { writeAtomic } from '../program/facts-cache.js';

const MAX_ENTRIES = 400;
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function digestOf(...parts: unknown[]): string {
  const h = createHash('sha1');
  for (const p of parts) h.update(typeof p === 'string' || Buffer.isBuffer(p) ? p : JSON.stringify(p) ?? 'undefined').update('\0');
  return h.digest('hex');
}

export class ShardMemo {
  private readonly dir: string;
  private wrote = false;

  constructor(cacheDir: string) {
    this.dir = path.join(cacheDir, 'shards');
  }

  /** The value remembered under `key` if there is one and it has the shape `valid` checks. */
  read<T>(key: string, valid: (value: unknown) => value is T): T | undefined {
    const file = path.join(this.dir, `${key}.json.gz`);
    try {
      const r = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { key: string; value: unknown };
      if (r.key !== key || !valid(r.value)) return undefined;
      const now = new Date();
      utimesSync(file, now, now); // in use: kept by prune()
      return r.value;
    } catch {
      return undefined;
    }
  }

  write(key: string, value: unknown): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      writeAtomic(path.join(this.dir, `${key}.json.gz`), gzipSync(JSON.stringify({ key, value }), { level: 1 }));
      this.wrote = true;
    } catch {
      // a read-only or full cache directory: the next run recomputes
    }
  }

  /** Drops entries unused for a week, and the least recently used beyond MAX_ENTRIES. */
  prune(): void {
    if (!this.wrote) return;
    try {
      const now = Date.now();
      const entries = readdirSync(this.dir).filter((n) => n.endsWith('.json.gz'))
        .map((n) => ({ n, t: statSync(path.join(this.dir, n)).mtimeMs }))
        .sort((a, b) => b.t - a.t || (a.n < b.n ? -1 : 1));
      entries.forEach(({ n, t }, i) => {
        if (i >= MAX_ENTRIES || now - t > MAX_AGE_MS) rmSync(path.join(this.dir, n), { force: true });
      });
    } catch {
      // another run pruning at the same time
    }
  }
}

/** A shape check for memo values: an object whose named fields are all arrays. */
export function hasArrays<T>(...fields: string[]): (value: unknown) => value is T {
  return (value: unknown): value is T =>
    typeof value === 'object' && value !== null && fields.every((f) => Array.isArray((value as Record<string, unknown>)[f]));
}

/**
 * A Map that also logs every set(), so that a memo can capture what a step changed (`log.slice(mark)`)
 * including entries it replaced, which comparing sizes would miss, and a replay can set them again.
 */
export class LoggedMap<K, V> extends Map<K, V> {
  readonly log: [K, V][] = [];

  override set(key: K, value: V): this {
    // Map's constructor calls set() for an initial iterable, before `log` exists: none is passed.
    this.log?.push([key, value]);
    return super.set(key, value);
  }

  /** The entries set since `mark` (a log length), the last value of each key, in first-set order. */
  since(mark: number): [K, V][] {
    return [...new Map(this.log.slice(mark))];
  }
}

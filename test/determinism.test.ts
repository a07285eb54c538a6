/**
 * Output is the same whatever the number of workers and whether the facts cache was used (issue
 * 6). The tree: every fixture, plus files that exercise the other paths of step 2 — a file the
 * pre-scan finds trivial, one pulled in by widening (it calls a fixture's allocating function),
 * skipped files (empty, not UTF-8) — in a temporary directory with a temporary cache.
 *
 * Worker threads need compiled JavaScript, so the worker comparisons import the pipeline from
 * dist/ (`npm test` builds first); under vitest the TypeScript pipeline runs its jobs in-process,
 * and it must agree with the compiled one too.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lint as lintTs } from '../src/engine/lint.js';
import type { LintOptions, LintResult } from '../src/engine/lint-types.js';
import { RACY_SLACK_MS } from '../src/program/facts-cache.js';
import { collectFacts } from '../src/program/workers.js';
import { repoRoot } from './expectations.js';

type Lint = (opts: LintOptions) => Promise<LintResult>;

const distLint = join(repoRoot, 'dist', 'src', 'engine', 'lint.js');
const haveDist = existsSync(distLint) && existsSync(join(repoRoot, 'dist', 'src', 'program', 'facts-worker.js'));

let dir: string;
let tree: string;

/** Everything a user sees, minus timings and cache counters. */
function observable(r: LintResult): string {
  const { seconds: _s, cacheHits: _c, remembered: _r, rememberedShards: _m, ...stats } = r.stats;
  return JSON.stringify({ ...r, stats }, null, 1);
}

function entries(root: string): number {
  let n = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith('.f')) n++;
    }
  };
  if (existsSync(root)) walk(root);
  return n;
}

/** Waits until every file written so far is older than the stat index's racy window. */
let lastWrite = 0;
async function ageTree(): Promise<void> {
  lastWrite = Math.max(lastWrite, Date.now());
  const wait = lastWrite + RACY_SLACK_MS + 200 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-determinism-'));
  tree = join(dir, 'tree');
  cpSync(join(repoRoot, 'fixtures'), join(tree, 'fixtures'), { recursive: true });
  cpSync(join(repoRoot, 'examples'), join(tree, 'examples'), { recursive: true });
  writeFileSync(join(tree, 'trivial.c'), 'static int add(int a, int b)\n{\n\treturn a + b;\n}\n');
  // Only calls a function that allocates (defined in maker.c): widening parses it.
  writeFileSync(join(tree, 'caller.c'), 'void *make_buffer(void);\nstatic void user(void)\n{\n\tmake_buffer();\n}\n');
  // Takes a lock and calls the same function: kept by the pre-scan itself.
  writeFileSync(join(tree, 'locker.c'), 'static void locked(void)\n{\n\tspin_lock(&l);\n\tmake_buffer();\n\tspin_unlock(&l);\n}\n');
  writeFileSync(join(tree, 'maker.c'), 'void *make_buffer(void)\n{\n\treturn kmalloc(64, GFP_KERNEL);\n}\n');
  // A caller whose shard comes before the shard defining the allocator wrapper it calls: only
  // settling lets the sharded run see the wrapper.
  mkdirSync(join(tree, 'a-early'));
  mkdirSync(join(tree, 'z-late'));
  writeFileSync(join(tree, 'a-early', 'user.c'), 'static void poll_dev(struct dev *d)\n{\n\tspin_lock(&d->lock);\n\td->buf = zl_alloc(d, GFP_KERNEL);\n\tspin_unlock(&d->lock);\n}\n');
  writeFileSync(join(tree, 'z-late', 'wrap.c'), 'void *zl_alloc(struct dev *d, gfp_t gfp)\n{\n\treturn kmalloc(d->size, gfp);\n}\n');
  writeFileSync(join(tree, 'empty.c'), '');
  writeFileSync(join(tree, 'latin1.c'), Buffer.from([0x2f, 0x2a, 0xe9, 0x2a, 0x2f, 0x0a]));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The facts cache and the pipeline behind it; remembered results have a test of their own. */
function opts(extra: Partial<LintOptions>): LintOptions {
  return { paths: ['.'], cwd: tree, rememberResults: false, ...extra };
}

describe('determinism of step 2 (workers, cache, pre-scan)', () => {
  test('cold and warm cache give the same output (in-process)', async () => {
    const cache = join(dir, 'cache-ts');
    const none = await lintTs(opts({ noCache: true }));
    const cold = await lintTs(opts({ cacheDir: cache }));
    const warm = await lintTs(opts({ cacheDir: cache }));
    expect(none.stats.cacheHits).toBe(0);
    expect(cold.stats.cacheHits).toBe(0);
    expect(warm.stats.cacheHits).toBeGreaterThan(0);
    expect(observable(cold)).toBe(observable(none));
    expect(observable(warm)).toBe(observable(none));
    expect(none.skipped.map((s) => s.file).sort()).toEqual(['empty.c', 'latin1.c']);
  });

  test('the two-pass pipeline of a sharded tree finds what one pass over the whole tree finds', async () => {
    const cache = join(dir, 'cache-shards');
    const whole = await lintTs(opts({ noCache: true }));
    // Shards of a few files: every multi-file fixture is split across shards, so its callers and
    // callees meet only in the global view, and pass B re-analyses only what rules can report on.
    const sharded = await lintTs(opts({ noCache: true, shardFiles: 3 }));
    const cached = await lintTs(opts({ cacheDir: cache, shardFiles: 3 }));
    expect(whole.findings.length).toBeGreaterThan(50);
    expect(whole.findings.filter((f) => f.file === 'a-early/user.c').map((f) => `${f.rule}:${f.line}`)).toEqual(['sleep-in-atomic:4']);
    expect(observable(sharded)).toBe(observable(whole));
    expect(observable(cached)).toBe(observable(whole));
  });

  test('shard memos of a run with fewer rules do not narrow a later run with more', async () => {
    // Pass B re-analyses only the functions holding a fact some selected rule starts from: a
    // replayed pass A must have chosen them for this run's rules, not for an earlier run's.
    await ageTree();
    const cache = join(dir, 'cache-rule-subset');
    const sharded = (extra: Partial<LintOptions> = {}) => lintTs(opts({ cacheDir: cache, rememberResults: true, shardFiles: 3, ...extra }));
    const fewer = await sharded({ rules: ['scope-open-coded'] });
    expect(fewer.findings.every((f) => f.rule === 'scope-open-coded')).toBe(true);
    const all = await sharded();
    const fresh = await lintTs(opts({ cacheDir: join(dir, 'cache-rule-subset-fresh'), rememberResults: true, shardFiles: 3 }));
    expect(observable(all)).toBe(observable(fresh));
  });

  test('a re-run with nothing changed is the remembered result; any change runs the pipeline', async () => {
    // The stat index trusts no timestamp within RACY_SLACK_MS of its run (as git does): let the
    // tree's files age past it first.
    await ageTree();
    const cache = join(dir, 'cache-memo');
    const first = await lintTs(opts({ cacheDir: cache, rememberResults: true }));
    const again = await lintTs(opts({ cacheDir: cache, rememberResults: true }));
    expect(first.stats.remembered).toBeUndefined();
    expect(again.stats.remembered).toBe(true);
    expect(observable(again)).toBe(observable(first));
    // Other options are another result.
    const oneRule = await lintTs(opts({ cacheDir: cache, rememberResults: true, rules: ['sleep-in-atomic'] }));
    expect(oneRule.stats.remembered).toBeUndefined();
    // A changed file (new content, new inode) is seen by the stat index: the pipeline runs.
    const f = join(tree, 'maker.c');
    const text = readFileSync(f, 'utf8');
    rmSync(f);
    writeFileSync(f, text.replace('GFP_KERNEL', 'GFP_ATOMIC'));
    await ageTree();
    try {
      const changed = await lintTs(opts({ cacheDir: cache, rememberResults: true }));
      expect(changed.stats.remembered).toBeUndefined();
    } finally {
      rmSync(f);
      writeFileSync(f, text);
    }
  });

  test('after a file changes, the shards it cannot affect are replayed and the output is a fresh run\'s', async () => {
    await ageTree();
    const cache = join(dir, 'cache-shard-memo');
    const sharded = (extra: Partial<LintOptions> = {}) => lintTs(opts({ cacheDir: cache, rememberResults: true, shardFiles: 3, ...extra }));
    const first = await sharded();
    expect(first.stats.rememberedShards).toBe(0);
    // A comment appended to one file (its summary unchanged), then a change of what a function
    // in another shard allocates with (a callee of callers elsewhere): each time, the remembered
    // run must equal a run without any cache.
    const edits: [string, (t: string) => string][] = [
      ['fixtures/nofs-redundant/through-callers/trans.c', (t) => `${t}\n/* edited */\n`],
      ['maker.c', (t) => t.replace('GFP_KERNEL', 'GFP_ATOMIC')],
    ];
    const originals: [string, string][] = [];
    try {
      for (const [file, edit] of edits) {
        const f = join(tree, file);
        const text = readFileSync(f, 'utf8');
        originals.push([f, text]);
        rmSync(f);
        writeFileSync(f, edit(text));
        await ageTree();
        const remembered = await sharded();
        const fresh = await lintTs(opts({ noCache: true, shardFiles: 3 }));
        expect(remembered.stats.remembered).toBeUndefined();
        // Most of the tree's ~30 shards are replayed (the first run was cold: its memos were
        // written once its files had been read).
        expect(remembered.stats.rememberedShards).toBeGreaterThanOrEqual(20);
        expect(observable(remembered)).toBe(observable(fresh));
      }
    } finally {
      for (const [f, text] of originals.reverse()) {
        rmSync(f);
        writeFileSync(f, text);
      }
    }
    // Damaged memos (truncated, not gzip, valid gzip of the wrong shape) are ignored, not trusted.
    await ageTree();
    const memos = join(cache, 'shards');
    readdirSync(memos).forEach((n, i) => {
      const f = join(memos, n);
      if (i % 3 === 0) writeFileSync(f, readFileSync(f).subarray(0, 20));
      else if (i % 3 === 1) writeFileSync(f, 'not gzip');
      else writeFileSync(f, gzipSync(JSON.stringify({ key: n.replace('.json.gz', ''), value: { raw: 'x', chunks: 3 } })));
    });
    rmSync(join(cache, 'results'), { recursive: true, force: true }); // no whole-run answer either
    const damaged = await sharded();
    expect(damaged.stats.remembered).toBeUndefined();
    expect(damaged.stats.rememberedShards).toBe(0);
    expect(observable(damaged)).toBe(observable(await lintTs(opts({ noCache: true, shardFiles: 3 }))));
  });

  test('the tree exercises the pre-scan and the widening', async () => {
    const inputs = ['trivial.c', 'caller.c', 'locker.c', 'maker.c'].map((f) => ({ path: f, abs: join(tree, f) }));
    const r = await collectFacts(inputs, { cwd: tree, noCache: true, fileTimeoutMs: 5000, toolVersion: 'test' }, () => {});
    expect(r.stats).toMatchObject({ parsed: 3, trivial: 1, widened: 1 });
    expect(r.files.map((f) => [f.path, f.facts.functions.map((fn) => fn.name)])).toEqual([
      ['trivial.c', []],
      ['caller.c', ['user']],
      ['locker.c', ['locked']],
      ['maker.c', ['make_buffer']],
    ]);
    const none = await collectFacts(inputs, { cwd: tree, noCache: true, fileTimeoutMs: 5000, toolVersion: 'test', widen: false }, () => {});
    expect(none.stats).toMatchObject({ parsed: 2, trivial: 2, widened: 0 });
  });

  test('a corrupt cache entry is rebuilt, never trusted', async () => {
    const cache = join(dir, 'cache-corrupt');
    const cold = await lintTs(opts({ cacheDir: cache }));
    expect(entries(cache)).toBeGreaterThan(0);
    // Damage every entry differently: truncated, garbage, a valid header over a wrong body.
    let k = 0;
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        if (statSync(p).isDirectory()) walk(p);
        else if (e.endsWith('.f')) {
          const kind = k++ % 3;
          if (kind === 0) writeFileSync(p, Buffer.from('GFPF'));
          else if (kind === 1) writeFileSync(p, Buffer.from('not a cache entry at all'));
          else writeFileSync(p, Buffer.concat([Buffer.from('GFPF\x01'), Buffer.alloc(20), Buffer.from('x')]));
        }
      }
    };
    walk(cache);
    const again = await lintTs(opts({ cacheDir: cache }));
    expect(again.stats.cacheHits).toBe(0);
    expect(observable(again)).toBe(observable(cold));
    const healed = await lintTs(opts({ cacheDir: cache }));
    expect(healed.stats.cacheHits).toBeGreaterThan(0);
    expect(observable(healed)).toBe(observable(cold));
  });

  test.skipIf(!haveDist)('1 and 2 workers, cold and warm, agree with each other and with the in-process run', async () => {
    const lintJs = ((await import(pathToFileURL(distLint).href)) as { lint: Lint }).lint;
    const reference = observable(await lintTs(opts({ noCache: true })));
    const one = join(dir, 'cache-j1');
    const two = join(dir, 'cache-j2');
    const runs: [string, LintResult][] = [
      ['j1 no cache', await lintJs(opts({ jobs: 1, noCache: true }))],
      ['j2 no cache', await lintJs(opts({ jobs: 2, noCache: true }))],
      ['j1 cold', await lintJs(opts({ jobs: 1, cacheDir: one }))],
      ['j1 warm', await lintJs(opts({ jobs: 1, cacheDir: one }))],
      ['j2 cold', await lintJs(opts({ jobs: 2, cacheDir: two }))],
      ['j2 warm', await lintJs(opts({ jobs: 2, cacheDir: two }))],
      ['j2 warm from the j1 cache', await lintJs(opts({ jobs: 2, cacheDir: one }))],
    ];
    for (const [name, r] of runs) expect(observable(r), name).toBe(reference);
    expect(runs[3][1].stats.cacheHits).toBeGreaterThan(0);
    expect(runs[5][1].stats.cacheHits).toBeGreaterThan(0);
  }, 120_000);
});

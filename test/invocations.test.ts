/**
 * The invocations a new user types first (issue 13, items 1, 2 and 5): a tree named by an absolute
 * path or from a deep working directory, `--no-cache` beside a populated default cache, a scan
 * with no C file, a FIFO, `-o` naming a directory. Each is a clean run or one clear error line.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lint, shardBase, shardInputs } from '../src/engine/lint.js';
import type { LintResult } from '../src/engine/lint-types.js';
import { HeapExhausted, HeapGuard } from '../src/engine/heap-guard.js';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
let dir: string;
let tree: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-invocations-'));
  tree = join(dir, 'linux');
  mkdirSync(join(tree, 'include', 'linux'), { recursive: true });
  writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n');
  cpSync(join(repoRoot, 'fixtures'), join(tree, 'fs'), { recursive: true });
  cpSync(join(repoRoot, 'examples'), join(tree, 'drivers', 'examples'), { recursive: true });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Findings with their files named from the tree's root, whatever the run's working directory. */
function fromRoot(r: LintResult, cwd: string): string[] {
  const at = (f: string) => relative(tree, resolve(cwd, f)).split(sep).join('/');
  return r.findings.map((d) => `${at(d.file)}:${d.line}:${d.column}: ${d.rule}: ${d.message} | ${d.related.map((x) => `${at(x.file)}:${x.line}`).join(',')}`);
}

/** Every file under `root` with its size and mtime, to show a run left it alone. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else out.push(`${relative(root, p)} ${s.size} ${s.mtimeMs}`);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

function cli(args: string[], cwd: string, home: string) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), NO_COLOR: '1' },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the path as the user spells it', () => {
  test('shards are cut below the tree root: an absolute path cuts like a relative one', () => {
    const rel = ['include/linux/a.h', 'fs/x/a.c', 'fs/x/b.c', 'fs/y/a.c', 'mm/a.c', 'mm/b.c'];
    const abs = rel.map((p) => join(tree, p));
    const base = shardBase(abs, tree);
    expect(base).toBe(tree);
    const keyed = abs.map((a) => ({ path: a, key: relative(base, a).split(sep).join('/') }));
    const byKey = shardInputs(keyed, 3).map((s) => s.map((f) => f.key));
    const byRelative = shardInputs(rel.map((path) => ({ path })), 3).map((s) => s.map((f) => f.path));
    expect(byKey).toEqual(byRelative);
    expect(byKey.length).toBeGreaterThan(1);
    // Without a tree: the deepest directory holding every file.
    expect(shardBase([join(dir, 'a', 'b', 'x.c'), join(dir, 'a', 'c', 'y.c')])).toBe(join(dir, 'a'));
  });

  test('a sharded tree through an absolute path and from a deep working directory finds what a run inside it finds', async () => {
    const inside = await lint({ paths: ['.'], cwd: tree, noCache: true, shardFiles: 5 });
    const deep = join(dir, 'elsewhere', 'one', 'two');
    mkdirSync(deep, { recursive: true });
    const absolute = await lint({ paths: [tree], cwd: deep, noCache: true, shardFiles: 5 });
    const dotted = await lint({ paths: [relative(deep, tree)], cwd: deep, noCache: true, shardFiles: 5 });
    expect(relative(deep, tree).startsWith('../../')).toBe(true);
    expect(inside.findings.length).toBeGreaterThan(50);
    expect(fromRoot(absolute, deep)).toEqual(fromRoot(inside, tree));
    expect(fromRoot(dotted, deep)).toEqual(fromRoot(inside, tree));
    expect(absolute.stats.functions).toBe(inside.stats.functions);
    expect(dotted.filesScanned).toBe(inside.filesScanned);
  });
});

describe('--no-cache', () => {
  test('with a populated default cache, a sharded run neither reads nor writes it', async () => {
    const home = join(dir, 'home-lib');
    const saved = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = join(home, '.cache');
    try {
      const cached = await lint({ paths: ['.'], cwd: tree, shardFiles: 5 });
      const before = listing(home);
      expect(before.length).toBeGreaterThan(10);
      const none = await lint({ paths: ['.'], cwd: tree, noCache: true, shardFiles: 5 });
      expect(listing(home)).toEqual(before);
      expect(none.findings).toEqual(cached.findings);
    } finally {
      if (saved === undefined) delete process.env.XDG_CACHE_HOME;
      else process.env.XDG_CACHE_HOME = saved;
    }
  });

  test.skipIf(!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js')))('the CLI: a cached run, then --no-cache leaves the cache byte-identical', () => {
    const home = join(dir, 'home-cli');
    mkdirSync(home, { recursive: true });
    const first = cli(['--format', 'json', 'fs'], tree, home);
    expect(first.status, first.stderr).toBe(1);
    const before = listing(home);
    expect(before.length).toBeGreaterThan(10);
    const again = cli(['--format', 'json', '--no-cache', 'fs'], tree, home);
    expect(again.status, again.stderr).toBe(1);
    expect(listing(home)).toEqual(before);
    expect(JSON.parse(again.stdout).findings).toEqual(JSON.parse(first.stdout).findings);
  });
});

describe.skipIf(!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js')))('nothing to scan is a clean run; -o naming a directory is one error', () => {
  test('a directory without C files: 0 files, exit 0', () => {
    const home = join(dir, 'home-empty');
    const docs = join(dir, 'Documentation');
    mkdirSync(join(docs, 'core-api'), { recursive: true });
    writeFileSync(join(docs, 'core-api', 'gfp_mask-from-fs-io.rst'), 'GFP_NOFS\n');
    writeFileSync(join(docs, 'index.ts'), 'export const x = 1;\n');
    const r = cli([docs], dir, home);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^gfplint: 0 files, /m);
    expect(r.stderr).not.toMatch(/internal error/);
    const empty = join(dir, 'nothing');
    mkdirSync(empty);
    const e = cli(['--format', 'json', empty], dir, home);
    expect(e.status, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout).filesScanned).toBe(0);
  });

  test('a FIFO given as the path: skipped with one line, then a clean run', () => {
    const fifo = join(dir, 'pipe');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return; // no mkfifo on this system
    const r = cli(['pipe'], dir, join(dir, 'home-fifo'));
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toBe('gfplint: skipped pipe: not a regular file or directory');
    expect(lines[1]).toMatch(/^gfplint: 0 files, /);
    expect(r.stderr).not.toMatch(/internal error/);
  });

  test('-o naming a directory: one error naming the option, nothing created', () => {
    const out = join(dir, 'reports');
    mkdirSync(out);
    const before = listing(dir).filter((l) => !l.startsWith('home-'));
    const r = cli(['-o', out, 'fs/nofs-redundant'], tree, join(dir, 'home-o'));
    expect(r.status).toBe(2);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gfplint: error: -o\/--output '.*reports' is a directory/);
    expect(listing(dir).filter((l) => !l.startsWith('home-'))).toEqual(before);
  });
});

describe('the heap guard', () => {
  const MB = 1048576;
  test('a batch that leaves the heap over budget halves the batches after it', () => {
    let used = 100 * MB;
    const guard = new HeapGuard(1200, () => ({ used, limit: 4096 * MB }), () => {});
    guard.beforeBatch();
    guard.afterBatch(1200);
    expect(guard.batchLimit).toBe(1200);
    used = 1500 * MB;
    guard.afterBatch(1200);
    expect(guard.batchLimit).toBe(600);
    guard.afterBatch(600);
    expect(guard.batchLimit).toBe(300);
    expect(guard.take([1, 2, 3, 4].concat(Array(400).fill(0)))[0]).toHaveLength(300);
  });

  test('a live set too close to the limit ends the run with one clear error, not an abort', () => {
    let collected = 0;
    const guard = new HeapGuard(1200, () => ({ used: 1900 * MB, limit: 2048 * MB }), () => collected++);
    expect(() => guard.beforeBatch()).toThrow(HeapExhausted);
    expect(collected).toBe(1);
    try {
      guard.beforeBatch();
    } catch (e) {
      expect((e as Error).message).toMatch(/^out of memory: 1900 MB of the 2048 MB heap are in use .*--max-old-space-size/);
    }
  });
});

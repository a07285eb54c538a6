/**
 * Scanning a subset of a tree uses the summaries a previous scan of the whole tree stored
 * (issue 5, item 5): a helper whose only caller lives in another file is judged with that caller's
 * context, and without a stored scan it gets no verdict rather than a guess.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpSync, readdirSync as listDir } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { repoRoot } from './expectations.js';
import { analyzeFile, lint } from '../src/engine/lint.js';

let dir: string;
let tree: string;
let cache: string;

const helper = `// SPDX-License-Identifier: GPL-2.0
void *foo_helper_alloc(int n)
{
	return kmalloc(n, GFP_NOFS);
}
`;

const user = `// SPDX-License-Identifier: GPL-2.0
void *foo_helper_alloc(int n);

static int foo_fill(struct foo *f)
{
	unsigned int nofs = memalloc_nofs_save();

	f->buf = foo_helper_alloc(64);
	memalloc_nofs_restore(nofs);
	return f->buf ? 0 : -ENOMEM;
}

static const struct file_operations foo_fops = {
	.open = foo_fill,
};
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-store-'));
  tree = join(dir, 'linux');
  cache = join(dir, 'cache');
  mkdirSync(join(tree, 'include', 'linux'), { recursive: true });
  mkdirSync(join(tree, 'fs', 'foo'), { recursive: true });
  writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n');
  writeFileSync(join(tree, 'fs', 'foo', 'helper.c'), helper);
  writeFileSync(join(tree, 'fs', 'foo', 'user.c'), user);
  mkdirSync(join(tree, 'tools', 'testing'), { recursive: true });
  writeFileSync(join(tree, 'tools', 'testing', 'harness.c'), 'static void t(void)\n{\n\trcu_read_lock();\n\tkmalloc(8, GFP_KERNEL);\n\trcu_read_unlock();\n}\n');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const redundant = (r: Awaited<ReturnType<typeof lint>>) => r.findings.filter((f) => f.rule === 'nofs-redundant');

describe("a kernel tree's tools/ (userspace)", () => {
  test('is left out of a scan of the tree, and scanned when named', async () => {
    const whole = await lint({ paths: ['.'], cwd: tree, noCache: true });
    expect(whole.findings.filter((f) => f.file.startsWith('tools/'))).toEqual([]);
    const named = await lint({ paths: ['tools'], cwd: tree, noCache: true });
    expect(named.findings.map((f) => `${f.rule} ${f.file}:${f.line}`)).toEqual(['sleep-in-atomic tools/testing/harness.c:4']);
  });
});

describe('stored summaries for partial scans', () => {
  test('one file alone: its caller is unknown, so no verdict', async () => {
    const r = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(r)).toEqual([]);
  });

  test('after a whole-tree scan, the same one-file scan sees the caller in the other file', async () => {
    const whole = await lint({ paths: ['.'], cwd: tree, cacheDir: cache });
    expect(redundant(whole).map((f) => `${f.file}:${f.line}`)).toEqual(['fs/foo/helper.c:4']);
    const one = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(one).map((f) => `${f.file}:${f.line}`)).toEqual(['fs/foo/helper.c:4']);
    expect(redundant(one)[0].related.map((x) => `${x.file}:${x.line}`)).toEqual(['fs/foo/user.c:8', 'fs/foo/user.c:6']);
    // From another working directory the stored paths are still the tree's files.
    const fromFs = await lint({ paths: ['foo/helper.c'], cwd: join(tree, 'fs'), cacheDir: cache });
    expect(redundant(fromFs).map((f) => `${f.file}:${f.line}`)).toEqual(['foo/helper.c:4']);
    // `gfplint facts` uses them too.
    const facts = analyzeFile('fs/foo/helper.c', { cwd: tree, cacheDir: cache });
    expect(facts.program?.view.calledIn(facts.views[0])?.scopes.map((s) => s.kind)).toEqual(['nofs']);
  });

  test('an editor buffer (lint({ sources })) finds its tree and reads the database without writing it', async () => {
    await lint({ paths: ['.'], cwd: tree, cacheDir: cache });
    const dbDir = readdirSync(cache).find((d) => d.startsWith('program-'))!;
    const dbFile = join(cache, dbDir, readdirSync(join(cache, dbDir)).find((n) => n.endsWith('.sqlite'))!);
    // The database and its write-ahead log, byte for byte.
    const snapshot = () => [dbFile, `${dbFile}-wal`].map((f) => (existsSync(f) ? readFileSync(f).toString('base64') : '-'));
    const before = snapshot();
    // An unsaved edit: the allocation moved down a line.
    const buffer = helper.replace('{\n', '{\n\t/* editing */\n');
    const r = await lint({ sources: [{ path: 'fs/foo/helper.c', text: buffer }], cwd: tree, cacheDir: cache });
    expect(redundant(r).map((f) => `${f.file}:${f.line}`)).toEqual(['fs/foo/helper.c:5']);
    expect(r.stats.database?.answers).toBe('closure');
    // From a subdirectory, the buffer's path relative to it: the same tree, the same finding.
    const sub = await lint({ sources: [{ path: 'foo/helper.c', text: buffer }], cwd: join(tree, 'fs'), cacheDir: cache });
    expect(redundant(sub).map((f) => `${f.file}:${f.line}`)).toEqual(['foo/helper.c:5']);
    expect(snapshot()).toEqual(before);
  });

  test.skipIf(!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js')))('concurrent runs on one tree leave a sound database (one writer at a time, readers unaffected)', async () => {
    const shared = join(dir, 'cache-concurrent');
    const bin = join(repoRoot, 'bin', 'gfplint.js');
    const run = (args: string[]) => new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, [bin, '--quiet', '--format', 'json', '--cache-dir', shared, ...args], { cwd: tree, stdio: 'ignore' });
      p.on('exit', (code) => resolve(code));
    });
    // Two whole-tree scans and two one-file checks at once, twice over.
    for (let round = 0; round < 2; round++) {
      const codes = await Promise.all([run(['.']), run(['.']), run(['fs/foo/helper.c']), run(['fs/foo/user.c'])]);
      for (const c of codes) expect(c === 0 || c === 1).toBe(true);
    }
    const dbDir = readdirSync(shared).find((d) => d.startsWith('program-'))!;
    const Database = (await import('better-sqlite3')).default;
    const handle = new Database(join(shared, dbDir, readdirSync(join(shared, dbDir)).find((n) => n.endsWith('.sqlite'))!), { readonly: true });
    expect(handle.pragma('integrity_check', { simple: true })).toBe('ok');
    handle.close();
    // The compiled CLI (its database directory is named by the compiled code's digest).
    const out = spawnSync(process.execPath, [bin, '--format', 'json', '--cache-dir', shared, 'fs/foo/helper.c'], { cwd: tree, encoding: 'utf8' });
    const one = JSON.parse(out.stdout) as Awaited<ReturnType<typeof lint>>;
    expect(redundant(one).map((f) => `${f.file}:${f.line}`)).toEqual(['fs/foo/helper.c:4']);
  });

  test('--no-cache ignores the store', async () => {
    const r = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache, noCache: true });
    expect(redundant(r)).toEqual([]);
  });

  test('a damaged database is deleted and rebuilt, never trusted', async () => {
    const dirs = readdirSync(cache).filter((d) => d.startsWith('program-'));
    expect(dirs.length).toBe(1);
    const db = readdirSync(join(cache, dirs[0])).find((f) => f.endsWith('.sqlite'))!;
    // Not a database at all.
    for (const f of readdirSync(join(cache, dirs[0]))) writeFileSync(join(cache, dirs[0], f), 'garbage');
    const r = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(r)).toEqual([]);
    // It was rebuilt: a whole-tree scan fills it again and the one-file scan sees the caller.
    await lint({ paths: ['.'], cwd: tree, cacheDir: cache });
    const again = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(again).map((f) => `${f.file}:${f.line}`)).toEqual(['fs/foo/helper.c:4']);
    // A database of another schema version: rebuilt too.
    const Database = (await import('better-sqlite3')).default;
    const handle = new Database(join(cache, dirs[0], db));
    handle.pragma('user_version = 999');
    handle.close();
    const foreign = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(foreign)).toEqual([]);
  });

  test('a partial scan writes its files back, and its check reads only what it needs', async () => {
    await lint({ paths: ['.'], cwd: tree, cacheDir: cache });
    const one = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(one).map((f) => `${f.file}:${f.line}`)).toEqual(['fs/foo/helper.c:4']);
    // The caller's file changed: checked alone, its new summary goes to the database, and the
    // helper's check then sees the caller without its scope.
    const f = join(tree, 'fs', 'foo', 'user.c');
    writeFileSync(f, user.replace('unsigned int nofs = memalloc_nofs_save();', 'unsigned int nofs = 0;').replace('memalloc_nofs_restore(nofs);', ''));
    try {
      await lint({ paths: ['fs/foo/user.c'], cwd: tree, cacheDir: cache });
      const after = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
      expect(redundant(after)).toEqual([]);
    } finally {
      writeFileSync(f, user);
    }
    await lint({ paths: ['fs/foo/user.c'], cwd: tree, cacheDir: cache });
    const back = await lint({ paths: ['fs/foo/helper.c'], cwd: tree, cacheDir: cache });
    expect(redundant(back).map((x) => `${x.file}:${x.line}`)).toEqual(['fs/foo/helper.c:4']);
  });
});

describe('a partial scan against the store', () => {
  test('finds, for each file, exactly what the whole-tree scan finds in it', async () => {
    // Every fixture as one kernel-like tree: multi-file cases (callers, providers and wrappers in
    // other files) are where a partial scan depends on the store.
    const t = join(dir, 'fixture-tree');
    mkdirSync(join(t, 'include', 'linux'), { recursive: true });
    writeFileSync(join(t, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n');
    cpSync(join(repoRoot, 'fixtures'), join(t, 'fixtures'), { recursive: true });
    const c = join(dir, 'cache-fixtures');
    const whole = await lint({ paths: ['.'], cwd: t, cacheDir: c, rememberResults: false });
    expect(whole.findings.length).toBeGreaterThan(50);
    const files: string[] = [];
    const walk = (d: string, rel: string) => {
      for (const e of listDir(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
        else if (/\.[ch]$/.test(e.name)) files.push(`${rel}${e.name}`);
      }
    };
    walk(join(t, 'fixtures'), 'fixtures/');
    const key = (f: { rule: string; file: string; line: number; column: number; message: string; related: { file: string; line: number }[] }) =>
      `${f.rule} ${f.file}:${f.line}:${f.column} ${f.message} | ${f.related.map((x) => `${x.file}:${x.line}`).join(',')}`;
    expect(whole.stats.database?.answers).toBe('whole');
    let crossFile = 0;
    for (const f of files) {
      const one = await lint({ paths: [f], cwd: t, cacheDir: c, rememberResults: false });
      const alone = await lint({ paths: [f], cwd: t, noCache: true });
      expect(one.findings.map(key), f).toEqual(whole.findings.filter((x) => x.file === f).map(key));
      // Unchanged files: the stored answers, read row by row.
      expect(one.stats.database?.answers, f).toBe('stored');
      if (alone.findings.length !== one.findings.length) crossFile++;
    }
    // Some files' findings really come from other files (the database made a difference).
    expect(crossFile).toBeGreaterThan(0);
    // With the stored answers out of date, each check computes them from the summaries of its
    // callers and callees alone: the same findings again.
    const dbDir = readdirSync(c).find((d) => d.startsWith('program-'))!;
    const Database = (await import('better-sqlite3')).default;
    const handle = new Database(join(c, dbDir, readdirSync(join(c, dbDir)).find((n) => n.endsWith('.sqlite'))!));
    handle.prepare("UPDATE meta SET value = '0' WHERE key = 'results'").run();
    const functionsInTree = (handle.prepare('SELECT count(*) AS n FROM functions').get() as { n: number }).n;
    handle.close();
    let partial = 0;
    for (const f of files) {
      const one = await lint({ paths: [f], cwd: t, cacheDir: c, rememberResults: false });
      expect(one.findings.map(key), f).toEqual(whole.findings.filter((x) => x.file === f).map(key));
      expect(one.stats.database?.answers, f).toBe('closure');
      if ((one.stats.database?.reads.functions ?? 0) < functionsInTree / 4) partial++;
    }
    // Most checks read a small part of the database.
    expect(partial).toBeGreaterThan(files.length / 2);
  });
});

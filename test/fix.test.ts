/**
 * Fixes: which findings offer a behaviour-preserving fix (applied by --fix) and which only a
 * suggestion, and --fix itself on a temporary tree: applied and clean on the re-check, modes
 * kept, nothing written without --fix, never through a symbolic link out of the tree, and a
 * read-only file is one clear line while the run goes on.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import type { Diagnostic } from '../src/engine/diagnostic.js';
import { lint } from '../src/engine/lint.js';
import { repoRoot } from './expectations.js';

async function check(text: string, rules: string[], kernelVersion?: string): Promise<Diagnostic[]> {
  const r = await lint({ sources: [{ path: 'drivers/q.c', text }], cwd: '/nonexistent', rules, kernelVersion, noCache: true, rememberResults: false });
  return r.findings;
}

const SCOPED = (alloc: string) => `static int qux_fill(struct qux *q)
{
	unsigned int nofs_flag;

	nofs_flag = memalloc_nofs_save();
	q->buf = ${alloc};
	qux_link(q);
	memalloc_nofs_restore(nofs_flag);
	return q->buf ? 0 : -ENOMEM;
}
`;

describe('which findings offer a fix', () => {
  test('GFP_NOFS under a NOFS scope the function opens on every path: a fix to GFP_KERNEL, on the token', async () => {
    const [d] = await check(SCOPED('kzalloc(64, GFP_NOFS)'), ['nofs-redundant']);
    expect(d.rule).toBe('nofs-redundant');
    expect(d.fix?.edits).toEqual([{ file: 'drivers/q.c', line: 6, column: 23, endLine: 6, endColumn: 31, text: 'GFP_KERNEL', expect: 'GFP_NOFS' }]);
    expect(d.suggestions).toBeUndefined();
  });

  test('extra __GFP_ bits OR-ed in keep the fix; another spelling of the mask gets none', async () => {
    const [zero] = await check(SCOPED('kmalloc(64, GFP_NOFS | __GFP_ZERO)'), ['nofs-redundant']);
    expect(zero.fix?.edits[0]).toMatchObject({ text: 'GFP_KERNEL', expect: 'GFP_NOFS' });
    const [other] = await check(SCOPED('kmalloc(64, GFP_KERNEL & ~__GFP_FS)'), ['nofs-redundant']);
    expect(other.rule).toBe('nofs-redundant');
    expect(other.fix).toBeUndefined();
    expect(other.suggestions).toBeUndefined();
  });

  test('GFP_NOIO under a NOIO scope gets the fix', async () => {
    const [d] = await check(SCOPED('kmalloc(64, GFP_NOIO)').replace(/nofs/g, 'noio'), ['nofs-redundant']);
    expect(d.fix?.edits[0]).toMatchObject({ text: 'GFP_KERNEL', expect: 'GFP_NOIO' });
  });

  test('a scope that only the callers open: a suggestion, never a fix', async () => {
    const src = `static void *qux_get(struct qux *q, size_t n)
{
	return kmalloc(n, GFP_NOFS);
}

int qux_fill(struct qux *q)
{
	unsigned int nofs_flag;

	nofs_flag = memalloc_nofs_save();
	q->buf = qux_get(q, 64);
	memalloc_nofs_restore(nofs_flag);
	return q->buf ? 0 : -ENOMEM;
}
`;
    const found = await check(src, ['nofs-redundant']);
    expect(found).toHaveLength(1);
    expect(found[0].message).toContain('every known caller');
    expect(found[0].fix).toBeUndefined();
    expect(found[0].suggestions?.[0].edits[0]).toMatchObject({ line: 3, text: 'GFP_KERNEL' });
  });

  test('kvmalloc on 4.18–5.16 decides its vmalloc fallback on the written mask: no fix there, a fix on 6.12', async () => {
    const alloc = 'kvmalloc(len, GFP_NOFS)';
    const old = await check(SCOPED(alloc).replace('struct qux *q', 'struct qux *q, size_t len'), ['nofs-redundant'], '5.10');
    expect(old.map((d) => d.rule)).toEqual(['nofs-redundant']);
    expect(old[0].fix).toBeUndefined();
    const now = await check(SCOPED(alloc).replace('struct qux *q', 'struct qux *q, size_t len'), ['nofs-redundant'], '6.12');
    expect(now[0].fix).toBeDefined();
  });

  test('GFP_KERNEL | GFP_NOFS: dropping GFP_KERNEL is a suggestion (the intent is a guess), never a fix', async () => {
    const src = 'static void *qux_new(size_t n)\n{\n\treturn kmalloc(n, GFP_KERNEL | GFP_NOFS | __GFP_ZERO);\n}\n';
    const [d] = await check(src, ['gfp-contradiction']);
    expect(d.fix).toBeUndefined();
    expect(d.suggestions?.[0].edits).toEqual([{ file: 'drivers/q.c', line: 3, column: 20, endLine: 3, endColumn: 54, text: 'GFP_NOFS | __GFP_ZERO', expect: 'GFP_KERNEL | GFP_NOFS | __GFP_ZERO' }]);
  });

  test('kfree() of kvmalloc memory: a fix to kvfree(); vfree() of kmalloc memory: a suggestion; kfree_sensitive(): nothing', async () => {
    const body = (alloc: string, free: string) => `static int qux_load(struct qux *q, size_t len)
{
	void *buf = ${alloc}(len, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	qux_parse(q, buf, len);
	${free}(buf);
	return 0;
}
`;
    const [kv] = await check(body('kvmalloc', 'kfree'), ['alloc-free-mismatch']);
    expect(kv.fix?.edits).toEqual([{ file: 'drivers/q.c', line: 8, column: 2, endLine: 8, endColumn: 7, text: 'kvfree', expect: 'kfree' }]);
    const [v] = await check(body('kmalloc', 'vfree'), ['alloc-free-mismatch']);
    expect(v.fix).toBeUndefined();
    expect(v.suggestions?.[0].edits[0]).toMatchObject({ text: 'kfree', expect: 'vfree' });
    const [s] = await check(body('kvmalloc', 'kfree_sensitive'), ['alloc-free-mismatch']);
    expect(s.rule).toBe('alloc-free-mismatch');
    expect(s.fix).toBeUndefined();
    expect(s.suggestions).toBeUndefined();
  });
});

describe('--fix', () => {
  const bin = join(repoRoot, 'bin', 'gfplint.js');
  let dir: string;
  const LOCKED_SCOPE = SCOPED('kzalloc(64, GFP_NOFS)');
  const FREED = 'static int qux_load(struct qux *q, size_t len)\n{\n\tvoid *buf = kvmalloc(len, GFP_KERNEL);\n\n\tif (!buf)\n\t\treturn -ENOMEM;\n\tkfree(buf);\n\treturn 0;\n}\n';
  const run = (args: string[]) =>
    spawnSync(process.execPath, [bin, '--cache-dir', join(dir, '.cache'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });

  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) throw new Error("dist/ is missing: run 'npm run build' (npm test does)");
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gfplint-fix-'));
    mkdirSync(join(dir, 'tree'));
    writeFileSync(join(dir, 'tree', 'scope.c'), LOCKED_SCOPE);
    writeFileSync(join(dir, 'tree', 'free.c'), FREED);
    chmodSync(join(dir, 'tree', 'scope.c'), 0o640);
  });
  afterEach(() => {
    chmodSync(join(dir, 'tree', 'free.c'), 0o644);
    rmSync(dir, { recursive: true, force: true });
  });

  test('applies the fixes, keeps the file mode, leaves no temporary file, and the re-check is clean', () => {
    const r = run(['--fix', 'tree']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('gfplint: fixed 2 findings in 2 files: tree/free.c, tree/scope.c\n');
    expect(r.stderr).toMatch(/2 files, 2 functions, 2 allocation sites, 0 findings/);
    expect(readFileSync(join(dir, 'tree', 'scope.c'), 'utf8')).toBe(LOCKED_SCOPE.replace('GFP_NOFS', 'GFP_KERNEL'));
    expect(readFileSync(join(dir, 'tree', 'free.c'), 'utf8')).toBe(FREED.replace('kfree(buf)', 'kvfree(buf)'));
    expect(statSync(join(dir, 'tree', 'scope.c')).mode & 0o777).toBe(0o640);
    expect(readdirSync(join(dir, 'tree')).sort()).toEqual(['free.c', 'scope.c']);
    expect(run(['tree']).status).toBe(0);
  });

  test('nothing is written without --fix, whatever the format; stderr says how many --fix would resolve', () => {
    expect(run(['tree']).stderr).toContain('gfplint: 2 of these findings have fixes that keep behaviour: run with --fix to apply them\n');
    const before = statSync(join(dir, 'tree', 'scope.c')).mtimeMs;
    for (const format of ['text', 'json', 'sarif', 'gitlab', 'github']) expect(run(['--format', format, 'tree']).status).toBe(1);
    expect(readFileSync(join(dir, 'tree', 'scope.c'), 'utf8')).toBe(LOCKED_SCOPE);
    expect(readFileSync(join(dir, 'tree', 'free.c'), 'utf8')).toBe(FREED);
    expect(statSync(join(dir, 'tree', 'scope.c')).mtimeMs).toBe(before);
  });

  test('a file reached through a symbolic link out of the tree is not written', () => {
    mkdirSync(join(dir, 'outside'));
    writeFileSync(join(dir, 'outside', 'real.c'), FREED);
    symlinkSync('../outside/real.c', join(dir, 'tree', 'link.c'));
    const r = run(['--fix', 'tree/link.c', 'tree/free.c']);
    expect(r.stderr).toContain("gfplint: not fixed 'tree/link.c': it is a symbolic link to '");
    expect(r.stderr).toContain("outside the scanned tree\n");
    expect(readFileSync(join(dir, 'outside', 'real.c'), 'utf8')).toBe(FREED);
    expect(readFileSync(join(dir, 'tree', 'free.c'), 'utf8')).toContain('kvfree(buf)');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain('tree/link.c:7:2: error:');
  });

  test('a read-only file is one clear line and the run goes on', () => {
    chmodSync(join(dir, 'tree', 'free.c'), 0o444);
    const r = run(['--fix', 'tree']);
    const lines = r.stderr.split('\n').filter((l) => l.includes('not fixed'));
    expect(lines).toEqual(["gfplint: not fixed 'tree/free.c': the file is read-only"]);
    expect(r.stderr).toContain('fixed 1 finding in 1 file: tree/scope.c');
    expect(readFileSync(join(dir, 'tree', 'free.c'), 'utf8')).toBe(FREED);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain("tree/free.c:7:2: error: in 'qux_load'");
  });

  test('JSON carries each finding\'s fix, SARIF its fixes', () => {
    const doc = JSON.parse(run(['--format', 'json', 'tree']).stdout) as { findings: { rule: string; fix?: { description: string; edits: { text: string }[] } }[] };
    expect(doc.findings.map((f) => [f.rule, f.fix?.edits.map((e) => e.text)])).toEqual([
      ['alloc-free-mismatch', ['kvfree']],
      ['nofs-redundant', ['GFP_KERNEL']],
    ]);
    const log = JSON.parse(run(['--format', 'sarif', 'tree']).stdout) as { runs: { results: { fixes?: { artifactChanges: { replacements: { insertedContent: { text: string } }[] }[] }[] }[] }[] };
    expect(log.runs[0].results.map((r) => r.fixes?.[0].artifactChanges[0].replacements[0].insertedContent.text)).toEqual(['kvfree', 'GFP_KERNEL']);
  });
});

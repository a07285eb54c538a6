/**
 * Baselines through the command line, on a small kernel-style tree in a temporary folder: a
 * baseline hides every existing finding, a new one is still reported, moved code resurrects
 * nothing, counts are per function, stale entries are noticed and pruned, and a damaged file is
 * one clear error.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');

const LOCKED = `// SPDX-License-Identifier: GPL-2.0
static int qux_add(struct qux_dev *d)
{
	spin_lock(&d->lock);
	d->buf = kmalloc(64, GFP_KERNEL);
	spin_unlock(&d->lock);
	return d->buf ? 0 : -ENOMEM;
}
`;

const FREED = `// SPDX-License-Identifier: GPL-2.0
static int qux_load(struct qux_dev *d, size_t len)
{
	void *buf = kvmalloc(len, GFP_KERNEL);

	if (!buf)
		return -ENOMEM;
	qux_parse(d, buf, len);
	kfree(buf);
	return 0;
}
`;

let dir: string;
let cache: string;

interface Run { status: number | null; stdout: string; stderr: string }

function gfplint(args: string[], cwd = dir): Run {
  const r = spawnSync(process.execPath, [bin, '--cache-dir', cache, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function findings(r: Run): { rule: string; file: string; line: number }[] {
  return (JSON.parse(r.stdout) as { findings: { rule: string; file: string; line: number }[] }).findings;
}

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) throw new Error("dist/ is missing: run 'npm run build' (npm test does)");
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-baseline-'));
  cache = join(dir, '.cache');
  mkdirSync(join(dir, 'drivers'));
  writeFileSync(join(dir, 'drivers', 'locked.c'), LOCKED);
  writeFileSync(join(dir, 'drivers', 'freed.c'), FREED);
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('--baseline', () => {
  test('a baseline made on the tree hides all its findings on a re-run', () => {
    const before = gfplint(['--format', 'json', 'drivers']);
    expect(before.status).toBe(1);
    expect(findings(before).map((f) => f.rule).sort()).toEqual(['alloc-free-mismatch', 'sleep-in-atomic']);

    const made = gfplint(['--format', 'json', '--baseline', 'gfplint-baseline.json', '--update-baseline', 'drivers']);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stderr).toContain("gfplint: wrote baseline 'gfplint-baseline.json': 2 entries covering 2 findings");
    const file = JSON.parse(readFileSync(join(dir, 'gfplint-baseline.json'), 'utf8')) as { version: number; entries: Record<string, unknown>[] };
    expect(file.version).toBe(1);
    expect(file.entries).toHaveLength(2);
    for (const e of file.entries) {
      expect(Object.keys(e).sort()).toEqual(['count', 'file', 'fingerprint', 'function', 'message', 'rule']);
      expect(JSON.stringify(e)).not.toMatch(/"line"/);
    }

    const again = gfplint(['--format', 'json', '--baseline', 'gfplint-baseline.json', 'drivers']);
    expect(again.status, again.stderr).toBe(0);
    expect(findings(again)).toEqual([]);
    expect(again.stderr).toContain('gfplint: the baseline hid 2 findings\n');
  });

  test('a new finding added after the baseline is reported', () => {
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    writeFileSync(join(dir, 'drivers', 'locked.c'), LOCKED.replace('\tspin_unlock(&d->lock);\n', '\td->aux = kzalloc(32, GFP_KERNEL);\n\tspin_unlock(&d->lock);\n'));
    const r = gfplint(['--format', 'json', '--baseline', 'b.json', 'drivers']);
    expect(r.status).toBe(1);
    expect(findings(r)).toMatchObject([{ rule: 'sleep-in-atomic', file: 'drivers/locked.c', line: 6 }]);
    expect(r.stderr).toContain('the baseline hid 2 findings');
  });

  test('moving a function 50 lines down resurrects nothing', () => {
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    writeFileSync(join(dir, 'drivers', 'locked.c'), LOCKED.replace('// SPDX-License-Identifier: GPL-2.0\n', '// SPDX-License-Identifier: GPL-2.0\n' + '/* padding */\n'.repeat(50)));
    writeFileSync(join(dir, 'drivers', 'freed.c'), FREED.replace('\tqux_parse(d, buf, len);\n', '\t  qux_parse(d, buf, len);\n\n\n'));
    const r = gfplint(['--format', 'json', '--baseline', 'b.json', 'drivers']);
    expect(r.status, r.stdout).toBe(0);
    expect(findings(r)).toEqual([]);
  });

  test('counts: two identical findings in one function, a baseline of one: one reported', () => {
    writeFileSync(join(dir, 'drivers', 'freed.c'), FREED);
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    const again = '\tkfree(buf);\n\tbuf = kvmalloc(len, GFP_KERNEL);\n\tif (!buf)\n\t\treturn -ENOMEM;\n\tqux_parse(d, buf, len);\n\tkfree(buf);\n';
    writeFileSync(join(dir, 'drivers', 'freed.c'), FREED.replace('\tkfree(buf);\n', again));
    expect(findings(gfplint(['--format', 'json', 'drivers'])).filter((f) => f.rule === 'alloc-free-mismatch')).toHaveLength(2);
    const r = gfplint(['--format', 'json', '--baseline', 'b.json', 'drivers']);
    expect(findings(r)).toMatchObject([{ rule: 'alloc-free-mismatch', line: 14 }]);
  });

  test('SARIF still lists the hidden findings, marked as suppressed by the baseline', () => {
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    const r = gfplint(['--format', 'sarif', '--baseline', 'b.json', 'drivers']);
    expect(r.status).toBe(0);
    const log = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; suppressions?: { kind: string }[] }[] }[] };
    expect(log.runs[0].results.map((x) => [x.ruleId, x.suppressions?.[0].kind]).sort()).toEqual([['alloc-free-mismatch', 'external'], ['sleep-in-atomic', 'external']]);
  });

  test('the baseline works from another working directory (paths are relative to the baseline file)', () => {
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    const r = gfplint(['--format', 'json', '--baseline', '../b.json', '.'], join(dir, 'drivers'));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('the baseline hid 2 findings');
  });

  test('entries that match nothing are noticed; --prune-baseline drops them', () => {
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    writeFileSync(join(dir, 'drivers', 'freed.c'), FREED.replace('kfree(buf)', 'kvfree(buf)'));
    const r = gfplint(['--baseline', 'b.json', 'drivers']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('the baseline hid 1 finding; 1 entry no longer matches (--prune-baseline drops it)');
    const p = gfplint(['--baseline', 'b.json', '--prune-baseline', 'drivers']);
    expect(p.stderr).toContain("pruned baseline 'b.json': 1 entry dropped");
    const file = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')) as { entries: { rule: string }[] };
    expect(file.entries.map((e) => e.rule)).toEqual(['sleep-in-atomic']);
  });

  test('updating from one directory keeps the entries of files not scanned', () => {
    gfplint(['--baseline', 'b.json', '--update-baseline', 'drivers']);
    mkdirSync(join(dir, 'fs'));
    writeFileSync(join(dir, 'fs', 'other.c'), LOCKED.replace(/qux/g, 'oth'));
    gfplint(['--baseline', 'b.json', '--update-baseline', 'fs']);
    const file = JSON.parse(readFileSync(join(dir, 'b.json'), 'utf8')) as { entries: { file: string }[] };
    expect(file.entries.map((e) => e.file).sort()).toEqual(['drivers/freed.c', 'drivers/locked.c', 'fs/other.c']);
  });
});

describe('bad baselines: one clear error naming the file, exit 2', () => {
  const cases: [string, string | undefined, RegExp][] = [
    ['missing', undefined, /cannot read baseline '.*b\.json': no such file/],
    ['not JSON', '{"version": 1, ', /baseline '.*b\.json' is not valid JSON/],
    ['wrong version', '{"version": 7, "entries": []}', /baseline '.*b\.json' is damaged: unsupported version 7/],
    ['bad entry', '{"version": 1, "entries": [{"file": "a.c", "rule": "r", "function": "f", "fingerprint": "zz", "count": 1}]}', /entry 0: 'fingerprint'/],
  ];
  test.for(cases)('%s', ([, text, pattern]) => {
    if (text !== undefined) writeFileSync(join(dir, 'b.json'), text);
    const r = gfplint(['--baseline', 'b.json', 'drivers']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^gfplint: error: /);
    expect(lines[0]).toMatch(pattern);
  });

  test('--update-baseline without --baseline', () => {
    const r = gfplint(['--update-baseline', 'drivers']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gfplint: error: --update-baseline needs --baseline FILE\n$/);
  });
});

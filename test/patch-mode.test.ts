/**
 * Patch and diff mode end to end: a git repository in a temporary folder, kernel-style C
 * committed, then changes staged, diffed and committed through `--staged`, `--patch`,
 * `--diff-base`, the plain git hook and the real pre-commit framework (when installed).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
let home: string;
let repo: string;

interface Run { status: number | null; stdout: string; stderr: string }

/** Git and gfplint see only this test's HOME, cache and identity. */
function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH, HOME: home, XDG_CACHE_HOME: join(home, 'cache'), NO_COLOR: '1', GIT_CONFIG_NOSYSTEM: '1',
    GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 'test@example.org', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 'test@example.org',
    PRE_COMMIT_HOME: join(home, 'pre-commit'), ...extra,
  };
}

function run(cmd: string, args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(cmd, args, { cwd: opts.cwd ?? repo, input: opts.input, encoding: 'utf8', env: env(opts.env), timeout: 120_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const gfplint = (args: string[], opts: { cwd?: string; input?: string; env?: Record<string, string> } = {}) => run(process.execPath, [bin, ...args], opts);

function git(...args: string[]): string {
  const r = run('git', args);
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const DEV = `// SPDX-License-Identifier: GPL-2.0
#include <linux/slab.h>
#include <linux/spinlock.h>

struct foo_dev {
	spinlock_t lock;
	void *buf;
	int count;
};

static int foo_fill(struct foo_dev *d)
{
	d->buf = kmalloc(64, GFP_KERNEL);
	return d->buf ? 0 : -ENOMEM;
}

static void foo_count(struct foo_dev *d)
{
	d->count++;
}

/* Already wrong before any change: not the responsibility of a patch elsewhere in the file. */
static int foo_old(struct foo_dev *d)
{
	spin_lock(&d->lock);
	d->buf = kzalloc(16, GFP_KERNEL);
	spin_unlock(&d->lock);
	return 0;
}
`;

/** foo_fill() with a spin_lock() added above its unchanged kmalloc(GFP_KERNEL). */
const LOCKED = DEV.replace('{\n\td->buf = kmalloc(64, GFP_KERNEL);\n\treturn d->buf ? 0 : -ENOMEM;',
  '{\n\tspin_lock(&d->lock);\n\td->buf = kmalloc(64, GFP_KERNEL);\n\tspin_unlock(&d->lock);\n\treturn d->buf ? 0 : -ENOMEM;');
/** A change that is fine: foo_count() takes the lock around a plain increment. */
const CLEAN = DEV.replace('{\n\td->count++;\n}', '{\n\tspin_lock(&d->lock);\n\td->count++;\n\tspin_unlock(&d->lock);\n}');

const file = () => join(repo, 'drivers', 'foo', 'foo_dev.c');

function resetTo(text: string): void {
  git('reset', '-q', '--hard');
  writeFileSync(file(), text);
}

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'gfplint-patch-'));
  repo = join(home, 'linux');
  mkdirSync(join(repo, 'drivers', 'foo'), { recursive: true });
  git('init', '-q');
  writeFileSync(file(), DEV);
  git('add', '.');
  git('commit', '-q', '-m', 'foo: add the driver');
});

afterAll(() => {
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('--staged', () => {
  test('a spin_lock() added above an existing kmalloc(GFP_KERNEL) is reported and exits 1', () => {
    resetTo(LOCKED);
    git('add', '-A');
    const r = gfplint(['--staged']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^drivers\/foo\/foo_dev\.c:14:11: error: in 'foo_fill': 'kmalloc\(\)' with 'GFP_KERNEL' may sleep .*\[sleep-in-atomic\]$/m);
    expect(r.stdout).toMatch(/^drivers\/foo\/foo_dev\.c:13:2: note: 'spin_lock' makes the context atomic here/m);
    // foo_old() was wrong before the change and the change does not touch it.
    expect(r.stdout).not.toMatch(/foo_old/);
  });

  test('a clean change exits 0', () => {
    resetTo(CLEAN);
    git('add', '-A');
    const r = gfplint(['--staged']);
    expect(r.stderr).toMatch(/1 file, .*no findings|0 findings/);
    expect(r.stdout).toBe('');
    expect(r.status, r.stderr).toBe(0);
  });

  test('lints the index, not the working tree', () => {
    resetTo(LOCKED);
    git('add', '-A');
    writeFileSync(file(), DEV); // the unstaged working tree no longer has the lock
    const r = gfplint(['--staged']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/foo_dev\.c:14:11: error: .*\[sleep-in-atomic\]/);
    expect(r.stdout).toMatch(/^ {3}14 \| \t?.*kmalloc\(64, GFP_KERNEL\)/m);

    resetTo(DEV);
    writeFileSync(file(), LOCKED); // unstaged only: nothing is staged
    const clean = gfplint(['--staged']);
    expect(clean.status, clean.stderr).toBe(0);
    expect(clean.stdout).toBe('');
  });

  test('from a subdirectory, paths printed relative to it; paths given restrict the change', () => {
    resetTo(LOCKED);
    git('add', '-A');
    const sub = gfplint(['--staged'], { cwd: join(repo, 'drivers') });
    expect(sub.status, sub.stderr).toBe(1);
    expect(sub.stdout).toMatch(/^foo\/foo_dev\.c:14:11: /m);
    const abs = gfplint(['--staged', file()], { cwd: join(repo, 'drivers') });
    expect(abs.status, abs.stderr).toBe(1);
    const other = gfplint(['--staged', join(repo, 'drivers')], { cwd: home });
    expect(other.status, other.stderr).toBe(2); // home is not in a git work tree
    expect(other.stderr).toMatch(/^gfplint: error: --staged needs a git work tree/);
    mkdirSync(join(repo, 'fs'), { recursive: true });
    const elsewhere = gfplint(['--staged', 'fs']);
    expect(elsewhere.status, elsewhere.stderr).toBe(0);
    expect(elsewhere.stdout).toBe('');
  });
});

describe('--patch and --filter-mode', () => {
  test('a diff on stdin, already applied to the working tree', () => {
    resetTo(LOCKED);
    const diff = git('diff');
    const r = gfplint(['--patch', '-'], { input: diff });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/foo_dev\.c:14:11: error: .*\[sleep-in-atomic\]/);
    expect(r.stdout).not.toMatch(/foo_old/);
  });

  test('a git format-patch file, from a subdirectory', () => {
    resetTo(LOCKED);
    git('commit', '-q', '-a', '-m', 'foo: lock the buffer');
    writeFileSync(join(home, 'p.patch'), git('format-patch', '-1', '--stdout'));
    const r = gfplint(['--patch', join(home, 'p.patch')], { cwd: join(repo, 'drivers', 'foo') });
    git('reset', '-q', '--hard', 'HEAD~1');
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^foo_dev\.c:14:11: error: .*\[sleep-in-atomic\]/m);
  });

  test("--format checkpatch-terse, as b4 runs it: the patch on stdin, one line a finding, silent when clean", () => {
    resetTo(LOCKED);
    git('commit', '-q', '-a', '-m', 'foo: lock the buffer');
    const bad = gfplint(['--patch', '-', '--format', 'checkpatch-terse'], { input: git('format-patch', '-1', '--stdout') });
    git('reset', '-q', '--hard', 'HEAD~1');
    expect(bad.stderr).toBe('');
    expect(bad.stdout).toMatch(/^drivers\/foo\/foo_dev\.c:14: ERROR:sleep-in-atomic: in 'foo_fill': 'kmalloc\(\)' with 'GFP_KERNEL' may sleep [^\n]*\n$/);
    expect(bad.status).toBe(1);
    resetTo(CLEAN);
    git('commit', '-q', '-a', '-m', 'foo: lock the count');
    const good = gfplint(['--patch', '-', '--format', 'checkpatch-terse'], { input: git('format-patch', '-1', '--stdout') });
    git('reset', '-q', '--hard', 'HEAD~1');
    expect([good.status, good.stdout, good.stderr]).toEqual([0, '', '']);
  });

  test('added: only findings on an added line or whose lock or scope site is added', () => {
    // Only the kmalloc() line changes (64 → 128): its finding is in foo_fill's unchanged lock.
    const base = LOCKED;
    resetTo(base);
    git('commit', '-q', '-a', '-m', 'base');
    writeFileSync(file(), base.replace('kmalloc(64, GFP_KERNEL)', 'kmalloc(128, GFP_KERNEL)'));
    const added = gfplint(['--diff-base', 'HEAD', '--filter-mode', 'added']);
    expect(added.status, added.stderr).toBe(1);
    expect(added.stdout).toMatch(/foo_dev\.c:14:11: .*\[sleep-in-atomic\]/);
    // A comment changed inside foo_fill: function mode reports it, added mode does not.
    writeFileSync(file(), base.replace('\tspin_unlock(&d->lock);\n\treturn d->buf', '\tspin_unlock(&d->lock); /* done */\n\treturn d->buf'));
    expect(gfplint(['--diff-base', 'HEAD', '--filter-mode', 'function']).status).toBe(1);
    const none = gfplint(['--diff-base', 'HEAD', '--filter-mode', 'added']);
    expect(none.status, none.stdout).toBe(0);
    // file: every finding of the changed file, foo_old() included; nofilter: of every file linted.
    const whole = gfplint(['--diff-base', 'HEAD', '--filter-mode', 'file']);
    expect(whole.stdout).toMatch(/in 'foo_old'/);
    expect(gfplint(['--diff-base', 'HEAD', '--filter-mode', 'nofilter']).stdout).toMatch(/in 'foo_old'/);
    git('reset', '-q', '--hard', 'HEAD~1');
  });

  test('a deleted unlock counts as a change to its function', () => {
    const base = DEV.replace('{\n\td->count++;\n}', '{\n\tspin_lock(&d->lock);\n\td->count++;\n\tspin_unlock(&d->lock);\n\td->buf = kmalloc(8, GFP_KERNEL);\n}');
    resetTo(base);
    git('commit', '-q', '-a', '-m', 'base');
    writeFileSync(file(), base.replace('\tspin_unlock(&d->lock);\n\td->buf = kmalloc(8', '\td->buf = kmalloc(8'));
    const r = gfplint(['--diff-base', 'HEAD']);
    git('reset', '-q', '--hard', 'HEAD~1');
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/in 'foo_count': 'kmalloc\(\)'.*\[sleep-in-atomic\]/);
    expect(r.stdout).not.toMatch(/foo_old/);
  });

  test('a helper now called under a new lock is reported at the call, with the chain to the helper', () => {
    const base = DEV.replace('static void foo_count', 'static int foo_reset(struct foo_dev *d)\n{\n\tint ret;\n\n\tret = foo_fill(d);\n\treturn ret;\n}\n\nstatic void foo_count');
    resetTo(base);
    git('commit', '-q', '-a', '-m', 'base');
    writeFileSync(file(), base.replace('\tret = foo_fill(d);\n', '\tspin_lock(&d->lock);\n\tret = foo_fill(d);\n\tspin_unlock(&d->lock);\n'));
    const r = gfplint(['--diff-base', 'HEAD', '--filter-mode', 'added']);
    git('reset', '-q', '--hard', 'HEAD~1');
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/in 'foo_reset': 'foo_fill\(\)' may sleep .*\[sleep-in-atomic\]/);
    expect(r.stdout).toMatch(/note: .*kmalloc/);
  });

  test("a helper's mask made redundant by a scope the change opens in its caller: reported in the helper, through the chain", () => {
    const base = DEV.replace('static void foo_count', 'static int foo_get(struct foo_dev *d)\n{\n\td->buf = kmalloc(8, GFP_NOFS);\n\treturn 0;\n}\n\nint foo_run(struct foo_dev *d)\n{\n\tint ret;\n\n\tret = foo_get(d);\n\treturn ret;\n}\n\nstatic void foo_count');
    resetTo(base);
    git('commit', '-q', '-a', '-m', 'base');
    writeFileSync(file(), base.replace('\tret = foo_get(d);\n', '\tunsigned int nofs = memalloc_nofs_save();\n\tret = foo_get(d);\n\tmemalloc_nofs_restore(nofs);\n'));
    const r = gfplint(['--diff-base', 'HEAD', '--filter-mode', 'added']);
    git('reset', '-q', '--hard', 'HEAD~1');
    expect(r.status, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/in 'foo_get': 'GFP_NOFS' is redundant: every known caller \(1\) reaches 'foo_get\(\)' inside a NOFS scope.*\[nofs-redundant\]/);
    expect(r.stdout).toMatch(/note: 'memalloc_nofs_save\(\)' opens the nofs scope here/);
  });

  test('bad input: one error line, exit 2', () => {
    const missing = gfplint(['--patch', 'nope.patch']);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^gfplint: error: cannot read patch 'nope.patch': no such file\n$/);
    const both = gfplint(['--patch', '-', '--staged'], { input: '' });
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/cannot be combined/);
    const mode = gfplint(['--staged', '--filter-mode', 'lines']);
    expect(mode.stderr).toMatch(/^gfplint: error: unknown filter mode 'lines'/);
    expect(gfplint(['--filter-mode', 'added']).stderr).toMatch(/--filter-mode needs --patch, --staged or --diff-base/);
    const ref = gfplint(['--diff-base', 'no-such-ref']);
    expect(ref.status).toBe(2);
    expect(ref.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    const empty = gfplint(['--patch', '-'], { input: '' });
    expect(empty.status, empty.stderr).toBe(0);
  });
});

describe('hooks', () => {
  test('the plain git hook stops a commit that adds the lock and lets a clean one through', () => {
    resetTo(DEV);
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    copyFileSync(join(repoRoot, 'scripts', 'git-pre-commit'), hook);
    chmodSync(hook, 0o755);
    const gfp = { GFPLINT: `${process.execPath} ${bin}` };
    try {
      writeFileSync(file(), LOCKED);
      git('add', '-A');
      const bad = run('git', ['commit', '-q', '-m', 'foo: lock'], { env: gfp });
      expect(bad.status, bad.stderr).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/\[sleep-in-atomic\]/);
      resetTo(CLEAN);
      git('add', '-A');
      const good = run('git', ['commit', '-q', '-m', 'foo: lock the count'], { env: gfp });
      expect(good.status, good.stdout + good.stderr).toBe(0);
      git('reset', '-q', '--hard', 'HEAD~1');
    } finally {
      rmSync(hook);
    }
  });

  const hasPreCommit = spawnSync('pre-commit', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!hasPreCommit) console.warn("patch-mode.test.ts: SKIPPED the pre-commit framework test: 'pre-commit' is not installed (apt-get install pre-commit; .ci/run installs it)");
  test.skipIf(!hasPreCommit)(`through the real pre-commit framework${hasPreCommit ? '' : ' (SKIPPED: pre-commit is not installed)'}`, () => {
    // The manifest users get is valid, and the hook the test runs is that manifest's hook, run
    // from this checkout (a `repo: local` hook; `language: node` would fetch from the network).
    const manifest = join(repoRoot, '.pre-commit-hooks.yaml');
    const valid = run('pre-commit', ['validate-manifest', manifest]);
    expect(valid.status, valid.stdout + valid.stderr).toBe(0);
    const [hook] = parse(readFileSync(manifest, 'utf8')) as Record<string, unknown>[];
    expect(hook.id).toBe('gfplint');
    const entry = String(hook.entry).replace(/^gfplint\b/, `${process.execPath} ${bin}`);
    resetTo(DEV);
    writeFileSync(join(repo, '.pre-commit-config.yaml'), stringify({ repos: [{ repo: 'local', hooks: [{ ...hook, language: 'system', entry }] }] }));
    git('add', '.pre-commit-config.yaml');
    git('commit', '-q', '-m', 'pre-commit config');
    const install = run('pre-commit', ['install']);
    expect(install.status, install.stdout + install.stderr).toBe(0);
    try {
      writeFileSync(file(), LOCKED);
      git('add', '-A');
      writeFileSync(file(), DEV); // unstaged; pre-commit stashes it while the hook runs
      const bad = run('git', ['commit', '-m', 'foo: lock']);
      expect(bad.status, bad.stdout + bad.stderr).not.toBe(0);
      expect(bad.stdout + bad.stderr).toMatch(/gfplint \(GFP flags and allocation contexts\)\.+Failed/);
      expect(bad.stdout + bad.stderr).toMatch(/foo_dev\.c:14:11: error: .*\[sleep-in-atomic\]/);
      expect(readFileSync(file(), 'utf8')).toBe(DEV); // the unstaged state is restored

      resetTo(CLEAN);
      git('add', '-A');
      const good = run('git', ['commit', '-m', 'foo: lock the count']);
      expect(good.status, good.stdout + good.stderr).toBe(0);
      expect(good.stdout + good.stderr).toMatch(/gfplint \(GFP flags and allocation contexts\)\.+Passed/);

      // CI: `pre-commit run --from-ref A --to-ref B` checks what changed between A and B.
      writeFileSync(file(), LOCKED);
      git('commit', '-q', '-a', '-n', '-m', 'foo: lock (unchecked)');
      const ci = run('pre-commit', ['run', '--from-ref', 'HEAD~1', '--to-ref', 'HEAD']);
      expect(ci.status, ci.stdout).not.toBe(0);
      expect(ci.stdout).toMatch(/\[sleep-in-atomic\]/);
      const ciClean = run('pre-commit', ['run', '--from-ref', 'HEAD~2', '--to-ref', 'HEAD~1']);
      expect(ciClean.status, ciClean.stdout).toBe(0);
      git('reset', '-q', '--hard', 'HEAD~2');
    } finally {
      run('pre-commit', ['uninstall']);
    }
  });
});

/**
 * `.gfplint.yaml`: discovery from each file upwards (to `root: true` or the tree top), closer over
 * farther, the command line over both, declared allocators and scope providers, and errors that
 * name the file, line and key.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { globToRegExp } from '../src/cli/config.js';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
let top: string;

interface Run { status: number | null; stdout: string; stderr: string }

function gfplint(args: string[], cwd = top): Run {
  const r = spawnSync(process.execPath, [bin, '--no-cache', ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', HOME: top, XDG_CACHE_HOME: join(top, '.cache'), XDG_CONFIG_HOME: join(top, '.config') }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function write(rel: string, text: string): void {
  mkdirSync(dirname(join(top, rel)), { recursive: true });
  writeFileSync(join(top, rel), text);
}

function clearConfigs(): void {
  for (const f of ['.config/gfplint/config.yaml', '.gfplint.yaml', 'drivers/.gfplint.yaml', 'drivers/foo/.gfplint.yaml', 'drivers/bar/.gfplint.yaml', 'other.yaml']) rmSync(join(top, f), { force: true });
}

/** A GFP_KERNEL allocation under a spinlock: sleep-in-atomic (an error). */
const LOCKED = `static int foo_fill(struct foo_dev *d)
{
	spin_lock(&d->lock);
	d->buf = kmalloc(64, GFP_KERNEL);
	spin_unlock(&d->lock);
	return 0;
}
`;

/** The same through an out-of-tree allocator, and GFP_NOFS inside an out-of-tree transaction. */
const PRIVATE = `static int bar_fill(struct bar_dev *d)
{
	spin_lock(&d->lock);
	d->buf = bar_pool_get(d->pool, GFP_KERNEL);
	spin_unlock(&d->lock);
	return 0;
}

static int bar_update(struct bar_dev *d)
{
	struct bar_txn *t = bar_txn_begin(d);

	d->buf = kmalloc(64, GFP_NOFS);
	bar_txn_end(t);
	return 0;
}
`;

const DECLARED = `allocators:
  - name: bar_pool_get
    family: other
    gfpArg: 1
    frees: [bar_pool_put]
scope-providers:
  - start: bar_txn_begin
    stop: bar_txn_end
    kind: nofs
    handleType: struct bar_txn
`;

beforeAll(() => {
  top = mkdtempSync(join(tmpdir(), 'gfplint-config-'));
  mkdirSync(join(top, '.git')); // the tree top: discovery stops here
  write('drivers/foo/foo.c', LOCKED);
  write('drivers/bar/bar.c', PRIVATE);
});

afterAll(() => {
  if (top) rmSync(top, { recursive: true, force: true });
});

describe('discovery and precedence', () => {
  test('no configuration: defaults', () => {
    clearConfigs();
    const r = gfplint(['drivers/foo']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/foo\.c:4:11: error: .*\[sleep-in-atomic\]/);
  });

  test('closer files win over farther ones; severity and off per rule', () => {
    clearConfigs();
    write('.gfplint.yaml', 'rules:\n  sleep-in-atomic: off\n');
    expect(gfplint(['drivers/foo']).stdout).toBe('');
    write('drivers/foo/.gfplint.yaml', 'rules:\n  sleep-in-atomic: warning\n');
    const r = gfplint(['drivers']);
    expect(r.stdout).toMatch(/foo\.c:4:11: warning: .*\[sleep-in-atomic\]/);
    expect(r.status).toBe(1);
    // fail-level error in the closest file: a warning no longer fails the run.
    write('drivers/foo/.gfplint.yaml', 'rules:\n  sleep-in-atomic: warning\nfail-level: error\n');
    expect(gfplint(['drivers/foo']).status).toBe(0);
  });

  test('root: true stops the walk; so does the tree top', () => {
    clearConfigs();
    write('.gfplint.yaml', 'rules:\n  sleep-in-atomic: off\n');
    write('drivers/.gfplint.yaml', 'root: true\n');
    expect(gfplint(['drivers/foo']).stdout).toMatch(/\[sleep-in-atomic\]/);
    clearConfigs();
    // Above the tree top (a directory with .git) nothing is read.
    write('drivers/.gfplint.yaml', 'rules:\n  sleep-in-atomic: off\n');
    mkdirSync(join(top, 'drivers', 'foo', '.git'), { recursive: true });
    try {
      expect(gfplint(['drivers/foo/foo.c']).stdout).toMatch(/\[sleep-in-atomic\]/);
    } finally {
      rmSync(join(top, 'drivers', 'foo', '.git'), { recursive: true });
    }
    expect(gfplint(['drivers/foo/foo.c']).stdout).toBe('');
  });

  test('the command line wins: --rule over off, --fail-level, --kernel-version, --max-warnings', () => {
    clearConfigs();
    write('.gfplint.yaml', "rules:\n  sleep-in-atomic: off\nkernel-version: '6.1'\nfail-level: error\nmax-warnings: 0\n");
    const named = gfplint(['--rule', 'sleep-in-atomic', 'drivers/foo']);
    expect(named.stdout).toMatch(/error: .*\[sleep-in-atomic\]/);
    expect(named.status).toBe(1);
    expect(gfplint(['--format', 'json', 'drivers/foo']).stdout).toMatch(/"kernelVersion": "6\.1"/);
    expect(gfplint(['--format', 'json', '--kernel-version', '6.12', 'drivers/foo']).stdout).toMatch(/"kernelVersion": "6\.12"/);
    write('.gfplint.yaml', 'rules:\n  sleep-in-atomic: warning\nfail-level: error\nmax-warnings: 0\n');
    expect(gfplint(['drivers/foo']).status).toBe(1); // one warning > max-warnings 0
    expect(gfplint(['--max-warnings', '1', 'drivers/foo']).status).toBe(0);
    expect(gfplint(['--fail-level', 'warning', '--max-warnings', '1', 'drivers/foo']).status).toBe(1);
  });

  test("the user's own file is the farthest; root: true leaves it out", () => {
    clearConfigs();
    write('.config/gfplint/config.yaml', 'rules:\n  sleep-in-atomic: info\n');
    expect(gfplint(['drivers/foo']).stdout).toMatch(/info: .*\[sleep-in-atomic\]/);
    write('.gfplint.yaml', 'rules:\n  sleep-in-atomic: warning\n');
    expect(gfplint(['drivers/foo']).stdout).toMatch(/warning: .*\[sleep-in-atomic\]/);
    write('.gfplint.yaml', 'root: true\n');
    expect(gfplint(['drivers/foo']).stdout).toMatch(/error: .*\[sleep-in-atomic\]/);
  });

  test('--config replaces discovery, --no-config reads nothing', () => {
    clearConfigs();
    write('.gfplint.yaml', 'rules:\n  sleep-in-atomic: off\n');
    write('other.yaml', 'rules:\n  sleep-in-atomic: info\n');
    expect(gfplint(['--config', 'other.yaml', 'drivers/foo']).stdout).toMatch(/info: .*\[sleep-in-atomic\]/);
    expect(gfplint(['--no-config', 'drivers/foo']).stdout).toMatch(/error: .*\[sleep-in-atomic\]/);
  });

  test('ignore: globs relative to the configuration file', () => {
    clearConfigs();
    write('drivers/.gfplint.yaml', "ignore:\n  - 'foo/**'\n");
    expect(gfplint(['drivers']).stdout).not.toMatch(/foo\.c/);
    write('drivers/.gfplint.yaml', "ignore:\n  - 'foo.c'\n"); // no slash: a name at any depth
    expect(gfplint(['drivers']).stdout).not.toMatch(/foo\.c/);
    write('drivers/.gfplint.yaml', "ignore:\n  - '/foo.c'\n"); // anchored: only drivers/foo.c
    expect(gfplint(['drivers']).stdout).toMatch(/foo\.c/);
  });

  test('--print-config shows the configuration in force for a file', () => {
    clearConfigs();
    write('.gfplint.yaml', "kernel-version: '6.1'\nrules:\n  sleep-in-atomic: warning\n");
    write('drivers/.gfplint.yaml', 'rules:\n  nofs-redundant: off\n');
    const r = gfplint(['--print-config', 'drivers/foo/foo.c', '--disable', 'gfp-contradiction']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('#   .gfplint.yaml\n#   drivers/.gfplint.yaml\n');
    expect(r.stdout).toMatch(/kernel-version: "6\.1"\nrules:\n {2}sleep-in-atomic: warning\n {2}nofs-redundant: off\n {2}gfp-contradiction: off\n/);
  });
});

describe('declared allocators and scope providers', () => {
  test('an out-of-tree allocator under a lock and GFP_NOFS inside an out-of-tree transaction', () => {
    clearConfigs();
    const none = gfplint(['drivers/bar']);
    expect(none.stdout).toBe(''); // unknown APIs: nothing to say
    write('drivers/bar/.gfplint.yaml', DECLARED);
    const r = gfplint(['drivers/bar']);
    expect(r.stdout).toMatch(/bar\.c:4:11: error: in 'bar_fill': 'bar_pool_get\(\)' with 'GFP_KERNEL' may sleep .*\[sleep-in-atomic\]/);
    expect(r.stdout).toMatch(/bar\.c:13:23: warning: in 'bar_update': 'GFP_NOFS' is redundant: .*NOFS scope 'bar_txn_begin\(\)' opened on line 11.*\[nofs-redundant\]/);
    expect(r.status).toBe(1);
  });
});

describe('errors name the file, line and key; exit 2', () => {
  const cases: [string, string, RegExp][] = [
    ['unknown key', 'rules: {}\nrulez: 1\n', /^gfplint: error: \.gfplint\.yaml:2:1: unknown key 'rulez' \(expected root, kernel-version, /],
    ['unknown nested key', 'allocators:\n  - name: a\n    family: kmalloc\n    gfpArg: 1\n    sleep: always\n', /\.gfplint\.yaml:5:5: unknown key 'allocators\[0\]\.sleep'/],
    ['bad value', 'rules:\n  sleep-in-atomic: loud\n', /\.gfplint\.yaml:2:20: 'rules\.sleep-in-atomic' must be one of off, on, info, warning, error/],
    ['unknown rule', 'rules:\n  sleep-in-atomc: off\n', /\.gfplint\.yaml:2:3: unknown rule 'rules\.sleep-in-atomc'/],
    ['unquoted version', 'kernel-version: 6.10\n', /\.gfplint\.yaml:1:17: 'kernel-version' must be a quoted string/],
    ['unknown version', "kernel-version: '2.4'\n", /\.gfplint\.yaml:1:17: 'kernel-version': /],
    ['missing field', 'scope-providers:\n  - start: a\n    kind: nofs\n', /\.gfplint\.yaml:2:5: 'scope-providers\[0\]' is missing 'stop'/],
    ['bad identifier', 'allocators:\n  - name: "a b"\n    family: kmalloc\n    gfpArg: 1\n', /\.gfplint\.yaml:2:11: 'allocators\[0\]\.name' must be a C identifier/],
    ['a tag (data only)', 'rules: !!js/function "x"\n', /\.gfplint\.yaml:1:8: Unresolved tag/],
    ['duplicate key', 'root: true\nroot: false\n', /\.gfplint\.yaml:2:1: Map keys must be unique/],
    ['not YAML', 'rules: [\n', /\.gfplint\.yaml:\d+:\d+: /],
    ['a list at the top', '- a\n', /\.gfplint\.yaml:1:1: the configuration must be a mapping/],
  ];
  test.each(cases)('%s', (_name, text, pattern) => {
    clearConfigs();
    write('.gfplint.yaml', text);
    const r = gfplint(['drivers/foo']);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).toMatch(pattern);
  });

  test('--config naming a missing file; --max-warnings not a number', () => {
    clearConfigs();
    expect(gfplint(['--config', 'nope.yaml', 'drivers/foo']).stderr).toBe("gfplint: error: cannot read configuration file 'nope.yaml': no such file\n");
    expect(gfplint(['--max-warnings', '-1', 'drivers/foo']).stderr).toBe("gfplint: error: --max-warnings must be a whole number, not '-1'\n");
  });

  test('an empty file is an empty configuration', () => {
    clearConfigs();
    write('.gfplint.yaml', '# nothing yet\n');
    expect(gfplint(['drivers/foo']).status).toBe(1);
  });
});

test('globs', () => {
  const m = (g: string, p: string) => globToRegExp(g).test(p);
  expect(m('foo/**', 'foo/a/b.c')).toBe(true);
  expect(m('foo/**', 'bar/foo/a.c')).toBe(false);
  expect(m('*.h', 'a/b/c.h')).toBe(true);
  expect(m('/c.h', 'a/c.h')).toBe(false);
  expect(m('a/*.c', 'a/b/c.c')).toBe(false);
  expect(m('a/**/c.c', 'a/c.c')).toBe(true);
  expect(m('a/**/c.c', 'a/x/y/c.c')).toBe(true);
  expect(m('staging/', 'staging/x.c')).toBe(true);
  expect(m('f?o.c', 'fxo.c')).toBe(true);
  expect(m('f.o.c', 'fxo.c')).toBe(false);
});

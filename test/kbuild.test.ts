/**
 * Kbuild's checker mode (`make C=1 CHECK="gfplint --kbuild"`): Kbuild's argument list, the build
 * configuration deciding which conditional code is live, gcc-style findings on stderr, exit 0
 * unless --fatal.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseKbuildArgs } from '../src/cli/kbuild.js';
import { evaluate, maskDeadConfigCode } from '../src/syntax/config-conditionals.js';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
let dir: string;

function write(rel: string, text: string): void {
  mkdirSync(dirname(join(dir, rel)), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

/** Run as Kbuild does: from the object tree, the source file last. */
function check(extra: string[], file = '../linux/drivers/foo/foo.c') {
  const r = spawnSync(process.execPath, [bin, '--kbuild', ...CHECKFLAGS, '-Wp,-MMD,drivers/foo/.foo.o.d', '-nostdinc', '-I../linux/include', '-I./include', '-include', '../linux/include/linux/kconfig.h',
    '-D__KERNEL__', '-std=gnu11', '-fno-strict-aliasing', '--param=allow-store-data-races=0', '-DKBUILD_MODNAME="foo"', '-I', '../linux/drivers/foo', ...extra, file],
  { cwd: join(dir, 'obj'), encoding: 'utf8', env: { ...process.env, HOME: dir, XDG_CACHE_HOME: join(dir, 'cache'), XDG_CONFIG_HOME: join(dir, 'config') } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const CHECKFLAGS = ['-D__linux__', '-Dlinux', '-D__STDC__', '-Dunix', '-D__unix__', '-Wbitwise', '-Wno-return-void', '-Wno-unknown-attribute', '-D__x86_64__', '--arch=x86', '-mlittle-endian', '-m64'];

const FOO = `// SPDX-License-Identifier: GPL-2.0
#ifdef CONFIG_FOO_FAST
static int foo_fill(struct foo_dev *d)
{
	spin_lock(&d->lock);
	d->buf = kmalloc(64, GFP_KERNEL);
	spin_unlock(&d->lock);
	return 0;
}
#else
static int foo_fill(struct foo_dev *d)
{
	spin_lock(&d->lock);
	d->buf = kmalloc(64, GFP_ATOMIC);
	spin_unlock(&d->lock);
	return 0;
}
#endif
`;

function autoconf(...symbols: string[]): void {
  write('obj/include/generated/autoconf.h', symbols.map((s) => `#define ${s} 1\n`).join(''));
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-kbuild-'));
  write('linux/Makefile', 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n');
  write('linux/include/linux/kconfig.h', '#include <generated/autoconf.h>\n');
  write('linux/drivers/foo/foo.c', FOO);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('as Kbuild runs it', () => {
  test("the configuration decides the live branch; gcc-style findings on stderr; exit 0", () => {
    autoconf('CONFIG_FOO_FAST');
    const on = check([]);
    expect(on.stdout).toBe('');
    expect(on.stderr).toMatch(/^\/.*\/linux\/drivers\/foo\/foo\.c:6:11: error: in 'foo_fill': 'kmalloc\(\)' with 'GFP_KERNEL' may sleep .*\[sleep-in-atomic\]\n.*foo\.c:5:2: note: /);
    expect(on.status).toBe(0);
    autoconf('CONFIG_OTHER');
    const off = check([]);
    expect([off.status, off.stdout, off.stderr]).toEqual([0, '', '']);
  });

  test('--fatal: exit 1 on a finding at --fail-level', () => {
    autoconf('CONFIG_FOO_FAST');
    expect(check(['--fatal']).status).toBe(1);
    expect(check(['--fatal', '--fail-level=error']).status).toBe(1);
    autoconf();
    expect(check(['--fatal']).status).toBe(0);
  });

  test('-D and -U of CONFIG_ names apply on top of autoconf.h; without any configuration every branch stays', () => {
    autoconf();
    expect(check([]).stderr).toBe('');
    expect(check(['-DCONFIG_FOO_FAST']).stderr).toMatch(/foo\.c:6:11: error: .*\[sleep-in-atomic\]/);
    autoconf('CONFIG_FOO_FAST');
    expect(check(['-UCONFIG_FOO_FAST']).stderr).toBe('');
    rmSync(join(dir, 'obj', 'include'), { recursive: true, force: true });
    expect(check([]).stderr).toMatch(/foo\.c:6:11: error: .*\[sleep-in-atomic\]/);
  });

  test('bad invocations: one line, exit 2', () => {
    const missing = check([], '../linux/drivers/foo/nope.c');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe("gfplint: error: no such file: '../linux/drivers/foo/nope.c' (Kbuild passes the source file last)\n");
    const r = spawnSync(process.execPath, [bin, '--kbuild'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^gfplint: error: --kbuild needs the source file as its last argument/);
  });
});

test("Kbuild's argument list: the file is last; -D, -U, -I, -include noted; gfplint's own options", () => {
  const inv = parseKbuildArgs(['--kbuild', '--fatal', '--fail-level', 'error', ...CHECKFLAGS, '-Wp,-MMD,mm/.slub.o.d', '-nostdinc', '-I./arch/x86/include', '-I', 'inc2', '-include', 'a.h',
    '-DKBUILD_MODNAME="slub"', '-D', 'CONFIG_X=2', '-UFOO', '-o', 'x.o', '-isystem', 'sys', '--param=ssp-buffer-size=4', '--rule=sleep-in-atomic', 'mm/slub.c']);
  expect(inv.file).toBe('mm/slub.c');
  expect(inv.fatal).toBe(true);
  expect(inv.failLevel).toBe('error');
  expect(inv.rules).toEqual(['sleep-in-atomic']);
  expect(inv.includeDirs).toEqual(['./arch/x86/include', 'inc2']);
  expect(inv.forcedIncludes).toEqual(['a.h']);
  expect(inv.defines.get('KBUILD_MODNAME')).toBe('"slub"');
  expect(inv.defines.get('CONFIG_X')).toBe('2');
  expect(inv.defines.get('__linux__')).toBe('1');
  expect(inv.undefines).toEqual(['FOO']);
});

describe('dead configuration code', () => {
  const cfg = { values: new Map([['CONFIG_A', '1'], ['CONFIG_B_MODULE', '1'], ['CONFIG_N', '4']]), complete: true };
  test.each([
    ['defined(CONFIG_A)', true], ['defined CONFIG_C', false], ['!defined(CONFIG_A)', false],
    ['IS_ENABLED(CONFIG_B)', true], ['IS_BUILTIN(CONFIG_B)', false], ['IS_MODULE(CONFIG_B)', true],
    ['IS_ENABLED(CONFIG_A) && IS_ENABLED(CONFIG_C)', false], ['IS_ENABLED(CONFIG_C) || defined(CONFIG_A)', true],
    ['CONFIG_N == 4', true], ['CONFIG_C', false], ['0', false], ['1', true],
    ['defined(FOO)', undefined], ['LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 0)', undefined], ['defined(FOO) && defined(CONFIG_C)', false],
    ['defined(FOO) || defined(CONFIG_A)', true], ['IS_REACHABLE(CONFIG_A)', undefined], ['(CONFIG_N', undefined],
  ] as const)('%s → %s', (expr, want) => {
    expect(evaluate(expr, cfg)).toBe(want);
  });

  test('branches blanked space for space; undecided chains kept whole; nesting', () => {
    const src = [
      '#ifdef CONFIG_A', 'a1', '#elif defined(CONFIG_B)', 'b1', '#else', 'c1', '#endif',
      '#if defined(FOO)', 'f1', '#elif IS_ENABLED(CONFIG_C)', 'f2', '#else', 'f3', '#endif',
      '#ifndef CONFIG_A', '#ifdef CONFIG_B', 'n1', '#endif', 'n2', '#else', 'n3', '#endif',
      '#if 0', 'x', '/* #endif */', '#endif',
    ].join('\n');
    const out = maskDeadConfigCode(src, cfg).text.split('\n');
    const kept = out.filter((l) => /^[a-z]\d$/.test(l.trim()));
    expect(kept.map((l) => l.trim())).toEqual(['a1', 'f1', 'f3', 'n3']);
    expect(out).toHaveLength(src.split('\n').length);
    expect(out[1]).toBe('a1');
    expect(out[3]).toBe('  ');
  });
});

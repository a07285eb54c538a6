#!/usr/bin/env node
// Start-up of Kbuild's checker mode (issue 16: at most 300 ms per file): Kbuild starts one
// `$(CHECK) $(CHECKFLAGS) $(c_flags) file.c` process per compiled file, so what a build pays is
// Node's start-up, gfplint's module loading and one file's analysis, once per file.
//
//   node scripts/bench-kbuild.mjs [--runs N] [--objtree DIR] [FILE.c …]
//
// Scenarios, each run --runs times (default 11), medians shown:
//   node -e 0        Node's own start-up: the floor no JavaScript tool goes below.
//   kbuild, empty    `gfplint --kbuild <flags> empty.c`: loading gfplint plus a file with nothing in it.
//   kbuild, FILE     the same on each FILE given (a real source file: start-up plus its analysis).
//   check, FILE      `gfplint --no-cache --quiet FILE` (the ordinary command line, for comparison).
// <flags> are the arguments Kbuild passes on x86_64 (CHECKFLAGS, then c_flags, as recorded in
// ../shared/research/ecosystem.md §1.1), with -I DIR/include from --objtree so that the build's
// generated autoconf.h is read as in a real build. Wall time and CPU time (user+sys, from
// GNU time when /usr/bin/time exists) are reported; on a shared machine, CPU time is the steadier.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'gfplint.js');
const args = process.argv.slice(2);
let runs = 11;
let objtree;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runs') runs = Number(args[++i]);
  else if (args[i] === '--objtree') objtree = resolve(args[++i]);
  else files.push(resolve(args[i]));
}
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs must be a positive integer');

const scratch = mkdtempSync(join(tmpdir(), 'gfplint-bench-kbuild-'));
const empty = join(scratch, 'empty.c');
writeFileSync(empty, '// SPDX-License-Identifier: GPL-2.0\n');
const gnuTime = existsSync('/usr/bin/time');

const CHECKFLAGS = ['-D__linux__', '-Dlinux', '-D__STDC__', '-Dunix', '-D__unix__', '-Wbitwise', '-Wno-return-void', '-Wno-unknown-attribute', '-D__x86_64__', '--arch=x86', '-mlittle-endian', '-m64'];
const inc = objtree ? [`-I${objtree}/arch/x86/include/generated`, `-I${objtree}/include`, `-I${objtree}/arch/x86/include/generated/uapi`, `-I${objtree}/include/generated/uapi`] : [];
const CFLAGS = ['-Wp,-MMD,x/.x.o.d', '-nostdinc', ...inc, '-include', 'include/linux/compiler-version.h', '-include', 'include/linux/kconfig.h', '-include', 'include/linux/compiler_types.h',
  '-D__KERNEL__', '-Werror', '-std=gnu11', '-fshort-wchar', '-funsigned-char', '-fno-common', '-fno-PIE', '-fno-strict-aliasing', '-mno-sse', '-mno-mmx', '-mno-sse2', '-m64', '-falign-jumps=1',
  '-mno-red-zone', '-mcmodel=kernel', '-Wno-sign-compare', '-fno-asynchronous-unwind-tables', '-mfunction-return=thunk-extern', '-fno-delete-null-pointer-checks', '-O2', '-fstack-protector-strong',
  '-Wall', '-Wundef', '-Werror=implicit-function-declaration', '-fno-stack-clash-protection', '-pg', '-mrecord-mcount', '-mfentry', '-DCC_USING_FENTRY', '--param=allow-store-data-races=0',
  '-DKBUILD_MODFILE="x/x"', '-DKBUILD_BASENAME="x"', '-DKBUILD_MODNAME="x"', '-D__KBUILD_MODNAME=kmod_x'];

function once(cmd, argv) {
  const full = gnuTime ? ['/usr/bin/time', ['-f', '%U %S', cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', cwd: objtree ?? scratch, env: { ...process.env, NO_COLOR: '1' } });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status === null || r.status > 1) throw new Error(`${cmd} ${argv.join(' ')}: exit ${r.status}: ${r.stderr.slice(-500)}`);
  let cpu;
  if (gnuTime) {
    const m = /(\d+\.\d+) (\d+\.\d+)\s*$/.exec(r.stderr);
    if (m) cpu = (Number(m[1]) + Number(m[2])) * 1000;
  }
  return { wall, cpu };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

function scenario(name, cmd, argv) {
  once(cmd, argv); // warm the page cache and the module compile cache
  const rs = Array.from({ length: runs }, () => once(cmd, argv));
  const cpu = rs.every((r) => r.cpu !== undefined) ? median(rs.map((r) => r.cpu)).toFixed(0) : 'n/a';
  return { name, wall: median(rs.map((r) => r.wall)).toFixed(0), cpu };
}

try {
  const rows = [scenario('node -e 0', process.execPath, ['-e', '0']), scenario('kbuild, empty file', process.execPath, [bin, '--kbuild', ...CHECKFLAGS, ...CFLAGS, empty])];
  for (const f of files) {
    rows.push(scenario(`kbuild, ${f}`, process.execPath, [bin, '--kbuild', ...CHECKFLAGS, ...CFLAGS, f]));
    rows.push(scenario(`check, ${f}`, process.execPath, [bin, '--no-cache', '--quiet', '--format', 'json', '-o', '/dev/null', f]));
  }
  let load = '';
  try {
    load = execFileSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).trim().split(' ').slice(0, 3).join(' ');
  } catch {
    // not Linux
  }
  process.stdout.write(`node ${process.version}, ${runs} runs each (medians), load average ${load || 'unknown'}\n\n| scenario | wall ms | CPU ms (user+sys) |\n| --- | ---: | ---: |\n`);
  for (const r of rows) process.stdout.write(`| ${r.name} | ${r.wall} | ${r.cpu} |\n`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

#!/usr/bin/env node
// gfplint's performance benchmark on a kernel tree (issue 6).
//
//   npm run bench -- TREE [--runs N] [--jobs N] [--paths 'fs mm block'] [--stage all|facts]
//                         [--subdir fs/btrfs] [--touch mm/slub.c] [--check fs/ext4/inode.c] [--no-spatch] [--json FILE]
//
// --paths limits grep and gfplint to those directories of TREE (default: the whole tree).
// --stage facts times step 2 alone (discovery, read, pre-scan, parse, extract, cache) with
// scripts/collect-facts.mjs instead of the whole CLI: what can still be measured when the whole
// pipeline does not fit in memory. A run that fails (out of memory, a crash) is shown as FAILED
// with its time and peak RSS instead of stopping the benchmark.
//
// Scenarios, each run --runs times (default 3); the table shows medians:
//   grep      `grep -rIl -E 'GFP_|memalloc_' TREE` — the baseline every ratio refers to.
//   cold      gfplint with an empty cache directory (a fresh temporary --cache-dir per run).
//   warm      gfplint again with the cache the last cold run left, nothing changed.
//   one file  one file's content really changed (a new comment line appended to a parsed file,
//             different at every run), then gfplint with the warm cache.
//   one-file check  `gfplint FILE` (--check, default fs/ext4/inode.c) inside the tree against the
//             program database the whole-tree runs left (a pre-commit hook, an editor).
//   spatch    the kernel's own Coccinelle script scripts/coccinelle/locks/call_kern.cocci on one
//             subdirectory (`spatch -D report --no-includes --include-headers --sp-file … --dir
//             TREE/SUBDIR`, the options `make coccicheck MODE=report` uses), beside a cold gfplint
//             on the same subdirectory; skipped when spatch is not installed.
// gfplint runs as `node bin/gfplint.js DIRS… --format json -o /dev/null --quiet --cache-dir DIR`.
//
// The user's tree is never modified. The benchmark builds a hard-link farm of TREE in a
// temporary directory on the same filesystem (`cp -al`: directories are new, files are links, a
// few seconds for a whole kernel) and runs every scenario on the farm. To change one file it
// replaces that file's link in the farm by a modified copy, which breaks the link and leaves the
// original untouched. The farm is removed at the end. When TREE is on another filesystem than the
// temporary directory, set TMPDIR to a directory on TREE's filesystem.
//
// gfplint is given the tree's top-level directories rather than TREE itself: Debian's
// linux-source packages ship a top-level .gitignore whose `/*` ignores everything (it is
// meant for the Debian packaging repository), and gfplint honours .gitignore. The file set is the
// same: every .c/.h file under the tree.
//
// Peak RSS comes from GNU time (`/usr/bin/time -f %M`) when present; otherwise it is not shown.
// Page cache: one untimed grep reads the tree before the first timed run, so every scenario
// starts with the files in memory (what a re-run on a developer machine sees).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync, unlinkSync, renameSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const gfplintBin = path.join(repo, 'bin', 'gfplint.js');

let scratch;
function cleanup() {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
function usage(msg) {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  if (msg) process.stderr.write(`bench: ${msg}\n`);
  process.stderr.write('usage: npm run bench -- TREE [--runs N] [--jobs N] [--subdir DIR] [--touch FILE] [--no-spatch] [--json FILE]\n');
  process.exit(2);
}

const args = process.argv.slice(2);
const opt = { runs: 3, jobs: undefined, subdir: 'fs/btrfs', touch: 'mm/slub.c', check: 'fs/ext4/inode.c', spatch: true, json: undefined, paths: undefined, stage: 'all' };
let tree;
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  const val = () => args[++i] ?? usage(`${a} needs a value`);
  if (a === '--runs') opt.runs = Number(val());
  else if (a === '--jobs') opt.jobs = Number(val());
  else if (a === '--subdir') opt.subdir = val();
  else if (a === '--touch') opt.touch = val();
  else if (a === '--check') opt.check = val();
  else if (a === '--no-spatch') opt.spatch = false;
  else if (a === '--json') opt.json = val();
  else if (a === '--paths') opt.paths = val().split(/[\s,]+/).filter(Boolean);
  else if (a === '--stage') opt.stage = val();
  else if (a.startsWith('-')) usage(`unknown option ${a}`);
  else if (!tree) tree = path.resolve(a);
  else usage(`unexpected argument ${a}`);
}
if (!tree) usage('TREE is required');
if (!Number.isInteger(opt.runs) || opt.runs < 1) usage('--runs must be a positive integer');
if (opt.stage !== 'all' && opt.stage !== 'facts') usage('--stage is all or facts');
if (!existsSync(path.join(tree, 'Makefile'))) usage(`${tree} does not look like a kernel tree (no Makefile)`);
if (!existsSync(path.join(repo, 'dist', 'src', 'cli', 'main.js'))) usage('dist/ is missing: run `npm run build` first');

const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true'], { encoding: 'utf8' }).status === 0 ? '/usr/bin/time' : undefined;

/** Run a command; returns wall seconds and peak RSS (MB, when GNU time is there). */
function timed(cmd, argv, { cwd, allowExit = [0] } = {}) {
  const marker = '@@gfplint-bench-rss ';
  const full = gnuTime ? [gnuTime, ['-f', `${marker}%M %U %S`, cmd, ...argv]] : [cmd, argv];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(full[0], full[1], { cwd, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 256 * 1024 * 1024 });
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  let stderr = r.stderr ?? '';
  let rss;
  let cpu;
  const k = stderr.lastIndexOf(marker);
  if (k !== -1) {
    const [m, u, sy] = stderr.slice(k + marker.length).trim().split(/\s+/).map(Number);
    rss = m / 1024;
    cpu = u + sy;
    stderr = stderr.slice(0, k);
  }
  if (r.error) throw r.error;
  // ^C reaches the whole process group: the child dies of it, and the benchmark stops too (its
  // own SIGINT handler cannot run while spawnSync blocks).
  if (r.signal === 'SIGINT') {
    cleanup();
    process.exit(130);
  }
  if (!allowExit.includes(r.status ?? -1)) {
    const why = /heap out of memory|Allocation failed/.test(stderr) ? 'out of memory' : `exit ${r.status ?? r.signal}`;
    process.stderr.write(`bench: ${path.basename(cmd)} failed (${why}) after ${secs.toFixed(1)} s:\n${stderr.slice(-1500)}\n`);
    return { secs, rss, cpu, failed: why };
  }
  return { secs, rss, cpu };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function countSources(dir) {
  let files = 0;
  let bytes = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.[ch]$/.test(e.name) && !e.name.endsWith('.mod.c')) {
        files++;
        bytes += statSync(p).size;
      }
    }
  };
  walk(dir);
  return { files, bytes };
}

scratch = mkdtempSync(path.join(os.tmpdir(), 'gfplint-bench-'));
const farm = path.join(scratch, 'tree');
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

try {
  if (statSync(scratch).dev !== statSync(tree).dev) usage(`${os.tmpdir()} is not on ${tree}'s filesystem: set TMPDIR to a directory on it (the farm uses hard links)`);
  process.stderr.write(`bench: hard-link farm of ${tree} in ${farm}\n`);
  execFileSync('cp', ['-al', tree, farm]);
  // Linking changed every file's ctime: gfplint's stat index trusts a file only when its ctime is
  // a little older than the run that indexed it (see facts-cache.ts), so let that pass.
  const farmMade = Date.now();
  const topDirs = opt.paths ?? readdirSync(farm, { withFileTypes: true }).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
  for (const p of topDirs) if (!existsSync(path.join(farm, p))) usage(`--paths: no ${p} in the tree`);
  let files = 0;
  let bytes = 0;
  for (const p of topDirs) {
    const c = countSources(path.join(farm, p));
    files += c.files;
    bytes += c.bytes;
  }
  const mb = bytes / 1e6;
  const jobsArgs = opt.jobs ? ['--jobs', String(opt.jobs)] : [];
  const collectScript = path.join(repo, 'scripts', 'collect-facts.mjs');
  const cli = (cacheDir, paths) => timed(process.execPath, [gfplintBin, ...paths, '--format', 'json', '-o', '/dev/null', '--quiet', '--cache-dir', cacheDir, ...jobsArgs], { cwd: farm, allowExit: [0, 1] });
  const gfplint = (cacheDir, paths) =>
    opt.stage === 'facts' ? timed(process.execPath, [collectScript, '--cache-dir', cacheDir, ...jobsArgs, ...paths], { cwd: farm }) : cli(cacheDir, paths);
  if (!topDirs.some((p) => (opt.touch + '/').startsWith(p.replace(/\/*$/, '/')))) usage(`--touch ${opt.touch} is not under --paths`);
  const grepTargets = opt.paths ? opt.paths : [farm];
  const grep = () => timed('grep', ['-rIl', '-E', 'GFP_|memalloc_', ...grepTargets], { cwd: farm, allowExit: [0, 1] });

  process.stderr.write(`bench: ${files} files, ${mb.toFixed(0)} MB; reading the tree once (untimed)\n`);
  grep();
  while (Date.now() - farmMade < 3000) await new Promise((r) => setTimeout(r, 100));

  const rows = {};
  const add = (name, r) => (rows[name] ??= []).push(r);
  let cacheDir;
  for (let run = 1; run <= opt.runs; run++) {
    process.stderr.write(`bench: run ${run}/${opt.runs}: grep, cold, warm\n`);
    add('grep', grep());
    cacheDir = mkdtempSync(path.join(scratch, 'cache-'));
    add('cold', gfplint(cacheDir, topDirs));
    add('warm', gfplint(cacheDir, topDirs));
    if (run < opt.runs) rmSync(cacheDir, { recursive: true, force: true });
  }
  const touched = path.join(farm, opt.touch);
  if (!existsSync(touched)) usage(`--touch ${opt.touch}: no such file in the tree`);
  for (let run = 1; run <= opt.runs; run++) {
    process.stderr.write(`bench: run ${run}/${opt.runs}: one file changed (${opt.touch})\n`);
    // Break the hard link first: the original file must not change.
    const tmp = `${touched}.bench-tmp`;
    copyFileSync(touched, tmp);
    unlinkSync(touched);
    renameSync(tmp, touched);
    appendFileSync(touched, `\n/* gfplint bench: changed, run ${run} at ${Date.now()} */\n`);
    add('one file changed', gfplint(cacheDir, topDirs));
  }
  // A pre-commit hook or an editor: one file checked inside the tree against the program
  // database the whole-tree runs left (issue 13: at most 1 s and 300 MB).
  if (opt.stage === 'all') {
    if (!existsSync(path.join(farm, opt.check))) usage(`--check ${opt.check}: no such file in the tree`);
    for (let run = 1; run <= opt.runs; run++) {
      process.stderr.write(`bench: run ${run}/${opt.runs}: one file checked against the database (${opt.check})\n`);
      add(`one-file check (${opt.check})`, cli(cacheDir, [opt.check]));
    }
  }

  let spatch;
  const sub = path.join(farm, opt.subdir);
  const cocci = path.join(farm, 'scripts', 'coccinelle', 'locks', 'call_kern.cocci');
  const hasSpatch = opt.spatch && spawnSync('spatch', ['--version'], { stdio: 'ignore' }).status === 0;
  if (hasSpatch && existsSync(sub) && existsSync(cocci)) {
    const subCount = countSources(sub);
    for (let run = 1; run <= opt.runs; run++) {
      process.stderr.write(`bench: run ${run}/${opt.runs}: spatch and gfplint on ${opt.subdir}\n`);
      add('spatch', timed('spatch', ['-D', 'report', '--no-includes', '--include-headers', '--sp-file', cocci, '--dir', sub], { cwd: farm }));
      const c = mkdtempSync(path.join(scratch, 'cache-sub-'));
      add('gfplint sub', cli(c, [opt.subdir]));
      rmSync(c, { recursive: true, force: true });
    }
    spatch = subCount;
  } else if (opt.spatch) {
    process.stderr.write(`bench: spatch row skipped (${hasSpatch ? `no ${opt.subdir} or call_kern.cocci in the tree` : 'spatch is not installed'})\n`);
  }

  const base = median(rows.grep.map((r) => r.secs));
  const fmtRss = (rs) => (rs.every((x) => x !== undefined) ? `${Math.max(...rs).toFixed(0)}` : 'n/a');
  const line = (cells) => `| ${cells.join(' | ')} |`;
  const out = [];
  const what = opt.paths ? `${opt.paths.join(' ')} of ${tree}` : tree;
  out.push(`Tree: ${what} — ${files} .c/.h files, ${mb.toFixed(0)} MB; ${os.availableParallelism()} cores (${os.cpus()[0]?.model ?? 'cpu'}), Node ${process.version}; ${opt.runs} runs each, medians${opt.jobs ? `; --jobs ${opt.jobs}` : ''}${opt.stage === 'facts' ? '; gfplint rows: step 2 only (scripts/collect-facts.mjs)' : ''}`);
  out.push(`Load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} (other work on the machine inflates wall times; the CPU column does not include waiting)`);
  out.push('');
  const fmtCpu = (rs) => (rs.every((x) => x.cpu !== undefined) ? median(rs.map((x) => x.cpu)).toFixed(1) : 'n/a');
  out.push(line(['scenario', 'median s', 'runs (s)', '× grep', 'files/s', 'MB/s', 'CPU s (user+sys)', 'peak RSS MB']));
  out.push(line(['---', '---:', '---', '---:', '---:', '---:', '---:', '---:']));
  for (const name of ['grep', 'cold', 'warm', 'one file changed', `one-file check (${opt.check})`]) {
    const rs = rows[name];
    if (!rs) continue;
    const failed = rs.find((r) => r.failed);
    const m = median(rs.map((r) => r.secs));
    const runs = rs.map((r) => r.secs.toFixed(2) + (r.failed ? '✗' : '')).join(' ');
    if (failed) out.push(line([name, `FAILED (${failed.failed})`, runs, '—', '—', '—', fmtCpu(rs), fmtRss(rs.map((r) => r.rss))]));
    else out.push(line([name, m.toFixed(2), runs, (m / base).toFixed(2), Math.round(files / m).toString(), (mb / m).toFixed(0), fmtCpu(rs), fmtRss(rs.map((r) => r.rss))]));
  }
  if (spatch) {
    out.push('');
    out.push(`Coccinelle on ${opt.subdir} (${spatch.files} files, ${(spatch.bytes / 1e6).toFixed(1)} MB): scripts/coccinelle/locks/call_kern.cocci vs a cold gfplint (all rules) on the same directory`);
    out.push('');
    out.push(line(['tool', 'median s', 'runs (s)', 'peak RSS MB']));
    out.push(line(['---', '---:', '---', '---:']));
    const sp = rows.spatch;
    const gs = rows['gfplint sub'];
    out.push(line(['spatch call_kern.cocci', median(sp.map((r) => r.secs)).toFixed(2), sp.map((r) => r.secs.toFixed(2)).join(' '), fmtRss(sp.map((r) => r.rss))]));
    out.push(line(['gfplint (cold)', median(gs.map((r) => r.secs)).toFixed(2), gs.map((r) => r.secs.toFixed(2)).join(' '), fmtRss(gs.map((r) => r.rss))]));
    out.push('');
    out.push(`spatch / gfplint: ${(median(sp.map((r) => r.secs)) / median(gs.map((r) => r.secs))).toFixed(2)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
  if (opt.json) writeFileSync(opt.json, JSON.stringify({ tree, files, bytes, runs: opt.runs, jobs: opt.jobs ?? os.availableParallelism(), rows }, null, 2) + '\n');
} finally {
  cleanup();
}

#!/usr/bin/env node
// Whole-tree soak (issue 7): gfplint over every .c/.h file of real kernel trees.
//
//   npm run build && npm run soak -- TREE [TREE…] [--jobs N] [--budget-ms MS] [--hang-ms MS] [--no-cli] [--limit N]
//
// Two passes per tree, both on the compiled dist/ output:
//
// 1. Per file, every file (no pre-scan: the soak is about robustness on any input, so every file
//    is parsed even when a normal run would find it trivial): read and decode (source.ts
//    readSource), parse and extract within the per-file budget (extractSource), analyse every
//    function (analyzeFunction), the file's own program stage (buildProgram) and every rule. Each
//    stage is timed. The files are spread over --jobs child processes (default 2); a child that
//    stays on one file longer than --hang-ms (default 60 s) is killed, the file counted as a
//    hang, and a fresh child goes on with the rest. An exception in any stage is caught in the
//    child and counted with its stack; a child that dies any other way counts as an exception too.
// 2. The real command line on the whole tree, as a user runs it:
//    `node bin/gfplint.js TREE --format json -o FILE --quiet --no-cache`, under GNU time for its
//    peak RSS when /usr/bin/time is there. Exit status 2 or an `internal error` line counts as an
//    exception, running past 30 minutes as a hang. Its JSON gives the skip reasons of a real run.
//
// Printed per tree: files analysed, files skipped per reason class, functions analysed and those
// whose dataflow hit its bounds (analysed imprecisely, rules quiet), the slowest 10 files with
// per-stage times, files whose analysis alone took longer than the budget, peak RSS, exceptions
// (with the first few stacks) and hangs. Exit status 1 when any tree has an exception or a hang.
import { spawnSync, fork } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);
const repo = path.resolve(path.dirname(here), '..');
const dist = (p) => path.join(repo, 'dist', 'src', p);

// ---------------------------------------------------------------------------------------------
// Child: analyse the files it is sent, one at a time, and answer with what happened.

async function child() {
  const { readSource, extractSource } = await import(dist('program/source.js'));
  const { findKernelRoot, buildModel } = await import(dist('engine/lint.js'));
  const { analyzeFunction } = await import(dist('function/analyze.js'));
  const { buildProgram } = await import(dist('program/program.js'));
  const { allRules } = await import(dist('engine/registry.js'));
  const rules = allRules();
  const models = new Map();
  const modelFor = (tree) => {
    if (!models.has(tree)) {
      const kr = findKernelRoot(tree);
      models.set(tree, buildModel({ treeRoot: kr?.root, treeVersion: kr?.version }).model);
    }
    return models.get(tree);
  };
  process.on('message', (m) => {
    if (m.type === 'exit') {
      process.send({ type: 'bye', maxRssKb: process.resourceUsage().maxRSS }, () => process.exit(0));
      return;
    }
    const { i, abs, display, tree, budgetMs } = m;
    const ms = { read: 0, parse: 0, analyse: 0, rules: 0 };
    let stage = 'read';
    const model = modelFor(tree);
    let t = performance.now();
    const lap = (k) => {
      const now = performance.now();
      ms[k] += now - t;
      t = now;
    };
    try {
      const read = readSource(abs);
      lap('read');
      if ('skip' in read) return process.send({ type: 'done', i, kind: 'skip', reason: read.skip, stage: 'read', ms });
      stage = 'parse';
      const ex = extractSource(read.text, budgetMs);
      lap('parse');
      if ('skip' in ex) return process.send({ type: 'done', i, kind: 'skip', reason: ex.skip, stage: ex.stage, ms });
      stage = 'analyse';
      const views = ex.facts.functions.map((fn) => analyzeFunction(fn, display, model));
      const program = buildProgram([{ path: display, facts: ex.facts }], views, model);
      lap('analyse');
      stage = 'rules';
      let findings = 0;
      for (const fv of program.views) for (const r of rules) for (const _f of r.check(fv, { model, program: program.view })) findings++;
      lap('rules');
      process.send({
        type: 'done', i, kind: 'ok', ms, findings,
        functions: program.views.length,
        imprecise: program.views.filter((v) => !v.precise).length,
      });
    } catch (e) {
      process.send({ type: 'done', i, kind: 'exception', stage, ms, error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  });
  // Load the parser and warm the pipeline up, so that the first file's times are its own.
  extractSource('static void *warm(void) { return kmalloc(8, GFP_KERNEL); }\n', 60_000);
  process.send({ type: 'ready' });
}

// ---------------------------------------------------------------------------------------------
// Parent.

function usage(msg) {
  if (msg) process.stderr.write(`soak: ${msg}\n`);
  process.stderr.write('usage: npm run soak -- TREE [TREE…] [--jobs N] [--budget-ms MS] [--hang-ms MS] [--no-cli] [--limit N]\n');
  process.exit(2);
}

async function parent() {
  const args = process.argv.slice(2);
  const opt = { jobs: 2, budgetMs: 5000, hangMs: 60_000, cli: true, limit: Infinity, trees: [] };
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const num = () => {
      const v = Number(args[++k]);
      if (!Number.isFinite(v) || v <= 0) usage(`${a} needs a positive number`);
      return v;
    };
    if (a === '--jobs') opt.jobs = Math.floor(num());
    else if (a === '--budget-ms') opt.budgetMs = num();
    else if (a === '--hang-ms') opt.hangMs = num();
    else if (a === '--limit') opt.limit = Math.floor(num());
    else if (a === '--no-cli') opt.cli = false;
    else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else opt.trees.push(path.resolve(a.replace(/^~(?=$|\/)/, os.homedir())));
  }
  if (!opt.trees.length) usage('at least one TREE is required');
  if (!existsSync(dist('cli/main.js'))) usage('dist/ is missing: run `npm run build` first');
  for (const t of opt.trees) if (!existsSync(t)) usage(`no such directory: ${t}`);

  let bad = false;
  for (const tree of opt.trees) {
    const r = await soakTree(tree, opt);
    process.stdout.write(r.text);
    if (r.exceptions || r.hangs) bad = true;
  }
  process.exit(bad ? 1 : 0);
}

function reasonClass(reason) {
  return reason
    .replace(/\s*\([^()]*\d[^()]*\)/g, '')
    .replace(/\d+(\.\d+)?/g, 'N')
    .trim();
}

const fmtMs = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
const fmtMb = (kb) => `${(kb / 1024).toFixed(0)} MB`;

async function soakTree(tree, opt) {
  const { discoverFiles } = await import(dist('program/discover.js'));
  const t0 = performance.now();
  const discoverySkips = [];
  const files = (await discoverFiles([tree], tree, (file, reason) => discoverySkips.push({ file, reason }))).slice(0, opt.limit);
  const n = files.length;
  const res = new Array(n);
  const stats = { analysed: 0, functions: 0, imprecise: 0, findings: 0, exceptions: [], hangs: [], crashes: [], maxChildRssKb: 0, overBudgetAnalysis: [] };
  const skips = new Map();
  const addSkip = (cls, file) => {
    const e = skips.get(cls) ?? { count: 0, example: file };
    e.count++;
    skips.set(cls, e);
  };
  for (const s of discoverySkips) addSkip(`discovery: ${reasonClass(s.reason)}`, s.file);

  let next = 0;
  let done = 0;
  let lastReport = 0;
  await new Promise((resolveAll) => {
    let live = 0;
    const startChild = () => {
      live++;
      const c = fork(here, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: [] });
      const slot = { c, i: -1, since: 0, killed: false };
      const send = () => {
        if (next >= n) {
          c.send({ type: 'exit' });
          return;
        }
        slot.i = next++;
        slot.since = performance.now();
        const f = files[slot.i];
        c.send({ i: slot.i, abs: f.abs, display: f.display, tree, budgetMs: opt.budgetMs });
      };
      c.on('message', (m) => {
        if (m.type === 'ready') return send();
        if (m.type === 'bye') {
          stats.maxChildRssKb = Math.max(stats.maxChildRssKb, m.maxRssKb);
          return;
        }
        res[m.i] = m;
        slot.i = -1;
        done++;
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          process.stderr.write(`soak: ${path.basename(tree)}: ${done}/${n} files, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
        }
        send();
      });
      const timer = setInterval(() => {
        if (slot.i >= 0 && performance.now() - slot.since > opt.hangMs) {
          slot.killed = true;
          res[slot.i] = { kind: 'hang', i: slot.i, ms: { total: performance.now() - slot.since } };
          done++;
          c.kill('SIGKILL');
        }
      }, 1000);
      c.on('exit', (code, sig) => {
        clearInterval(timer);
        live--;
        if (!slot.killed && (code !== 0 || sig)) {
          // Died on its own: out of memory, a native crash. The file in flight is the suspect.
          stats.crashes.push({ file: slot.i >= 0 ? files[slot.i].display : '(between files)', how: sig ?? `exit ${code}` });
          if (slot.i >= 0 && !res[slot.i]) {
            res[slot.i] = { kind: 'exception', i: slot.i, stage: 'child process', error: `child died (${sig ?? `exit ${code}`})`, ms: {} };
            done++;
          }
        }
        if (slot.killed || (code !== 0 || sig)) {
          if (next < n) return startChild();
        }
        if (live === 0) resolveAll();
      });
    };
    for (let k = 0; k < Math.max(1, Math.min(opt.jobs, n)); k++) startChild();
    if (n === 0) resolveAll();
  });
  const perFileSeconds = (performance.now() - t0) / 1000;

  const timed = [];
  for (let i = 0; i < n; i++) {
    const r = res[i];
    const f = files[i].display;
    if (!r) {
      stats.exceptions.push({ file: f, stage: '?', error: 'no result' });
      continue;
    }
    const ms = r.ms ?? {};
    const total = ms.total ?? (ms.read ?? 0) + (ms.parse ?? 0) + (ms.analyse ?? 0) + (ms.rules ?? 0);
    if (r.kind === 'hang') stats.hangs.push({ file: f, ms: total });
    else if (r.kind === 'exception') stats.exceptions.push({ file: f, stage: r.stage, error: r.error });
    else if (r.kind === 'skip') addSkip(`${r.stage}: ${reasonClass(r.reason)}`, f);
    else {
      stats.analysed++;
      stats.functions += r.functions;
      stats.imprecise += r.imprecise;
      stats.findings += r.findings;
      if (ms.analyse + ms.rules > opt.budgetMs) stats.overBudgetAnalysis.push({ file: f, ms: ms.analyse + ms.rules });
    }
    timed.push({ file: f, total, ms, kind: r.kind });
  }
  timed.sort((a, b) => b.total - a.total || (a.file < b.file ? -1 : 1));

  const cli = opt.cli ? runCli(tree) : undefined;

  const L = [];
  L.push(`== soak: ${tree}`);
  L.push(`files found:            ${n} (.c/.h; ${discoverySkips.length} skipped by discovery)`);
  L.push(`files analysed:         ${stats.analysed} (parsed, ${stats.functions} functions analysed, ${stats.findings} findings before suppressions)`);
  L.push(`functions imprecise:    ${stats.imprecise} (dataflow bounds hit: context unknown, rules quiet)`);
  L.push(`files skipped:          ${[...skips.values()].reduce((a, e) => a + e.count, 0)}`);
  for (const [cls, e] of [...skips].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))) L.push(`  ${String(e.count).padStart(6)}  ${cls}  (e.g. ${e.example})`);
  L.push(`slowest 10 files (read + parse/extract + analyse + rules):`);
  for (const x of timed.slice(0, 10)) {
    const ms = x.ms;
    const parts = x.kind === 'hang' ? 'HANG' : `read ${fmtMs(ms.read ?? 0)}, parse ${fmtMs(ms.parse ?? 0)}, analyse ${fmtMs(ms.analyse ?? 0)}, rules ${fmtMs(ms.rules ?? 0)}${x.kind === 'skip' ? ', skipped' : ''}`;
    L.push(`  ${fmtMs(x.total).padStart(10)}  ${x.file}  (${parts})`);
  }
  L.push(`analysis over budget:   ${stats.overBudgetAnalysis.length} files whose analysis + rules took more than ${opt.budgetMs} ms${stats.overBudgetAnalysis.length ? ': ' + stats.overBudgetAnalysis.slice(0, 5).map((x) => `${x.file} (${fmtMs(x.ms)})`).join(', ') : ''}`);
  L.push(`per-file pass:          ${perFileSeconds.toFixed(0)} s wall on ${opt.jobs} processes; peak RSS of one process ${fmtMb(stats.maxChildRssKb)}`);
  if (cli) {
    L.push(`CLI run:                ${cli.line}`);
    if (cli.skips) {
      L.push(`  CLI skipped:          ${cli.skips.total}`);
      for (const [cls, c] of cli.skips.classes) L.push(`  ${String(c).padStart(6)}  ${cls}`);
    }
  }
  const exceptions = stats.exceptions.length + (cli?.exception ? 1 : 0);
  const hangs = stats.hangs.length + (cli?.hang ? 1 : 0);
  L.push(`exceptions:             ${exceptions}`);
  for (const e of stats.exceptions.slice(0, 5)) L.push(`  ${e.file} [${e.stage}]: ${String(e.error).split('\n').slice(0, 4).join(' | ')}`);
  if (cli?.exception) L.push(`  CLI: ${cli.exception}`);
  if (stats.crashes.length) L.push(`  child processes that died: ${stats.crashes.map((c) => `${c.file} (${c.how})`).join(', ')}`);
  L.push(`hangs:                  ${hangs}${stats.hangs.length ? ': ' + stats.hangs.map((h) => h.file).join(', ') : ''}${cli?.hang ? ' (CLI run did not finish)' : ''}`);
  L.push('');
  return { text: L.join('\n') + '\n', exceptions, hangs };
}

/** The real command line over the whole tree. */
function runCli(tree) {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gfplint-soak-'));
  const out = path.join(tmp, 'report.json');
  const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-f', '%M', 'true']).status === 0;
  const marker = '@@soak-rss ';
  const argv = [path.join(repo, 'bin', 'gfplint.js'), tree, '--format', 'json', '-o', out, '--quiet', '--no-cache'];
  const cmd = gnuTime ? ['/usr/bin/time', ['-f', `${marker}%M`, process.execPath, ...argv]] : [process.execPath, argv];
  const t0 = performance.now();
  const r = spawnSync(cmd[0], cmd[1], { cwd: tree, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 30 * 60_000, killSignal: 'SIGKILL', maxBuffer: 256 * 1024 * 1024 });
  const secs = (performance.now() - t0) / 1000;
  const stderr = r.stderr ?? '';
  const rss = /@@soak-rss (\d+)/.exec(stderr);
  const result = { line: '', exception: undefined, hang: false, skips: undefined };
  if (r.error && /ETIMEDOUT/.test(String(r.error.code ?? r.error))) result.hang = true;
  const internal = stderr.split('\n').find((l) => /internal error|error:/.test(l));
  const status = r.status;
  if (!result.hang && (status === null || status >= 2 || internal)) result.exception = internal ?? `exit status ${status ?? r.signal}`;
  let doc;
  try {
    doc = JSON.parse(readFileSync(out, 'utf8'));
  } catch {
    doc = undefined;
  }
  if (doc) {
    const classes = new Map();
    for (const s of doc.skipped) classes.set(reasonClass(s.reason), (classes.get(reasonClass(s.reason)) ?? 0) + 1);
    result.skips = { total: doc.skipped.length, classes: [...classes].sort((a, b) => b[1] - a[1]) };
  }
  result.line = `exit ${status ?? r.signal}, ${secs.toFixed(1)} s, ${doc ? `${doc.filesScanned} files scanned, ${doc.findings.length} findings` : 'no report'}${rss ? `, peak RSS ${fmtMb(Number(rss[1]))}` : ''}`;
  rmSync(tmp, { recursive: true, force: true });
  return result;
}

if (process.argv[2] === '--child') await child();
else await parent();

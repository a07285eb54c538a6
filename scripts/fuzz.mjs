#!/usr/bin/env node
// The fuzz suite's generator, run longer (issue 7): `npm run build && npm run fuzz -- --runs N`.
//
//   --runs N         token soups, and max(1, N/50) mutations of each kind per fixture (default 1000)
//   --seed S         corpus and soup seed (default: random, printed so a run can be repeated)
//   --no-heavy       leave out the 1 MB lines and the deep-nesting inputs (seconds each)
//   --timeout-ms MS  an input that takes longer is a hang (default 120000)
//   --out DIR        where failing inputs are saved (default: the system temp directory)
//
// Same corpus and oracle as test/fuzz.test.ts (test/fuzz-corpus.ts, transpiled with TypeScript
// into dist/fuzz/ at start), against the compiled dist/ pipeline. Each input is linted twice in
// memory (and, for byte-level inputs, twice more from a real file): no exception may escape, the
// file must end as scanned or as one skip with a legitimate reason, every report format must
// render, and both runs must agree. Inputs run in a child process watched by a timer, so a hang is
// caught too. Every failing input is saved to a file and named in the summary; exit status 1 when
// there is any.
import { fork } from 'node:child_process';
import { createHash, randomInt } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(import.meta.url);
const repo = path.resolve(path.dirname(here), '..');
const dist = (p) => pathToFileURL(path.join(repo, 'dist', 'src', p)).href;
const BUDGET_MS = 120_000;

/** test/fuzz-corpus.ts as JavaScript next to dist/ (node_modules resolves from there). */
async function loadCorpus() {
  const ts = (await import('typescript')).default;
  const src = readFileSync(path.join(repo, 'test', 'fuzz-corpus.ts'), 'utf8');
  const js = ts.transpileModule(src, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
  const outDir = path.join(repo, 'dist', 'fuzz');
  mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, 'fuzz-corpus.mjs');
  writeFileSync(file, js);
  return import(pathToFileURL(file).href);
}

async function child() {
  const corpus = await loadCorpus();
  const { lint } = await import(dist('engine/lint.js'));
  const { extractSource } = await import(dist('program/source.js'));
  const { formatJson } = await import(dist('report/json.js'));
  const { formatSarif } = await import(dist('report/sarif.js'));
  const { formatText } = await import(dist('report/text.js'));
  const { allRules } = await import(dist('engine/registry.js'));
  const rep = { formatJson, formatSarif, formatText, rules: allRules() };
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'gfplint-fuzz-run-'));
  process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

  const check = async (name, bytes, byteLevel) => {
    const text = bytes.toString('utf8');
    const run = () => lint({ sources: [{ path: 'fuzz/input.c', text }], cwd: repo, fileTimeoutMs: BUDGET_MS });
    const a = await run();
    const p = corpus.problems(a, ['fuzz/input.c'], rep);
    if (p) return p;
    if (corpus.fingerprint(a, rep) !== corpus.fingerprint(await run(), rep)) return 'two in-memory runs differ';
    if (!text.includes('\0')) {
      const ex = extractSource(text, BUDGET_MS);
      if ('skip' in ex) return `extractSource: ${ex.skip}`;
    }
    if (byteLevel) {
      writeFileSync(path.join(tmp, 'input.c'), bytes);
      const frun = () => lint({ paths: ['input.c'], cwd: tmp, noCache: true, fileTimeoutMs: BUDGET_MS });
      const f = await frun();
      const q = corpus.problems(f, ['input.c'], rep);
      if (q) return `from a file: ${q}`;
      if (corpus.fingerprint(f, rep) !== corpus.fingerprint(await frun(), rep)) return 'two runs from a file differ';
    }
    return undefined;
  };

  process.on('message', async (m) => {
    const t0 = performance.now();
    let problem;
    try {
      problem = await check(m.name, Buffer.from(m.bytes, 'base64'), m.byteLevel);
    } catch (e) {
      problem = `exception: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    process.send({ i: m.i, problem, ms: performance.now() - t0 });
  });
  process.send({ ready: true });
}

function usage(msg) {
  if (msg) process.stderr.write(`fuzz: ${msg}\n`);
  process.stderr.write('usage: npm run fuzz -- [--runs N] [--seed S] [--no-heavy] [--timeout-ms MS] [--out DIR]\n');
  process.exit(2);
}

async function parent() {
  const args = process.argv.slice(2);
  const opt = { runs: 1000, seed: randomInt(1, 2 ** 31 - 1), heavy: true, timeoutMs: 120_000, out: os.tmpdir() };
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    const num = () => {
      const v = Number(args[++k]);
      if (!Number.isInteger(v) || v <= 0) usage(`${a} needs a positive integer`);
      return v;
    };
    if (a === '--runs') opt.runs = num();
    else if (a === '--seed') opt.seed = num();
    else if (a === '--timeout-ms') opt.timeoutMs = num();
    else if (a === '--no-heavy') opt.heavy = false;
    else if (a === '--out') opt.out = path.resolve(args[++k] ?? usage('--out needs a directory'));
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown option ${a}`);
  }
  if (!existsSync(path.join(repo, 'dist', 'src', 'cli', 'main.js'))) usage('dist/ is missing: run `npm run build` first');
  const corpus = await loadCorpus();
  const fc = await import('fast-check');
  const t0 = performance.now();
  const inputs = corpus.mutationCorpus(repo, { seed: opt.seed, perFile: Math.max(1, Math.floor(opt.runs / 50)), truncateFiles: 3, heavy: opt.heavy });
  const soups = fc.sample(corpus.tokenSoup(), { numRuns: opt.runs, seed: opt.seed });
  soups.forEach((s, i) => inputs.push({ name: `soup/${i}`, bytes: Buffer.from(s), byteLevel: i % 10 === 0 }));
  process.stderr.write(`fuzz: seed ${opt.seed}, ${inputs.length} inputs\n`);

  const failures = [];
  const times = [];
  const kinds = new Map();
  for (const x of inputs) kinds.set(x.name.split('/')[0], (kinds.get(x.name.split('/')[0]) ?? 0) + 1);
  const save = (input, why) => {
    const file = path.join(opt.out, `gfplint-fuzz-${input.name.replace(/[^A-Za-z0-9-]+/g, '_').slice(0, 80)}-${createHash('sha1').update(input.bytes).digest('hex').slice(0, 8)}.c`);
    writeFileSync(file, input.bytes);
    failures.push({ name: input.name, why, file });
    process.stderr.write(`fuzz: FAIL ${input.name}: ${why.split('\n')[0]}\n  input saved to ${file}\n`);
  };

  let next = 0;
  let lastReport = performance.now();
  await new Promise((resolveAll) => {
    const start = () => {
      const c = fork(here, ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      let current = -1;
      let timer;
      const send = () => {
        if (next >= inputs.length) {
          c.kill();
          return resolveAll();
        }
        current = next++;
        const x = inputs[current];
        timer = setTimeout(() => {
          save(x, `hang: no answer after ${opt.timeoutMs} ms`);
          current = -1;
          c.removeAllListeners('exit');
          c.kill('SIGKILL');
          start();
        }, opt.timeoutMs);
        c.send({ i: current, name: x.name, bytes: x.bytes.toString('base64'), byteLevel: x.byteLevel });
      };
      c.on('message', (m) => {
        if (m.ready) return send();
        clearTimeout(timer);
        const x = inputs[m.i];
        times.push({ name: x.name, ms: m.ms });
        if (m.problem) save(x, m.problem);
        if (performance.now() - lastReport > 10_000) {
          lastReport = performance.now();
          process.stderr.write(`fuzz: ${next}/${inputs.length}\n`);
        }
        send();
      });
      c.on('exit', (code, sig) => {
        clearTimeout(timer);
        if (current >= 0) {
          save(inputs[current], `the process died (${sig ?? `exit ${code}`})`);
          current = -1;
        }
        if (next < inputs.length) start();
        else resolveAll();
      });
    };
    start();
  });

  times.sort((a, b) => b.ms - a.ms);
  const L = [];
  L.push(`fuzz: seed ${opt.seed}; ${inputs.length} inputs (${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ')}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  L.push(`slowest: ${times.slice(0, 5).map((t) => `${t.name} ${(t.ms / 1000).toFixed(2)} s`).join(', ')}`);
  L.push(`failures: ${failures.length}`);
  for (const f of failures) L.push(`  ${f.name}: ${f.why.split('\n')[0]}\n    saved to ${f.file}`);
  process.stdout.write(L.join('\n') + '\n');
  process.exit(failures.length ? 1 : 0);
}

if (process.argv[2] === '--child') await child();
else await parent();

#!/usr/bin/env node
// Step 2 alone (discovery, then read, pre-scan, parse, extract and cache), for measurement:
//   node scripts/collect-facts.mjs [--cache-dir DIR | --no-cache] [--jobs N] [--no-widen] [--retain] PATH…
// Runs from the compiled dist/ and prints one JSON line of counters on stdout: what the
// benchmark (`npm run bench -- TREE --stage facts`) times when the whole pipeline cannot run.
// Facts are parsed and dropped (retain: false, which also disables widening) unless --retain.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const { discoverFiles } = await import(path.join(dist, 'program', 'discover.js'));
const { collectFacts } = await import(path.join(dist, 'program', 'workers.js'));
const { toolVersion } = await import(path.join(dist, 'engine', 'tool-info.js'));

const args = process.argv.slice(2);
const o = { cacheDir: undefined, noCache: false, jobs: undefined, widen: undefined, retain: false, paths: [] };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--cache-dir') o.cacheDir = args[++i];
  else if (a === '--no-cache') o.noCache = true;
  else if (a === '--jobs') o.jobs = Number(args[++i]);
  else if (a === '--no-widen') o.widen = false;
  else if (a === '--retain') o.retain = true;
  else o.paths.push(a);
}
const cwd = process.cwd();
const t0 = performance.now();
let skipped = 0;
const found = await discoverFiles(o.paths.length ? o.paths : ['.'], cwd, () => skipped++);
const t1 = performance.now();
const r = await collectFacts(
  found.map((f) => ({ path: f.display, abs: f.abs })),
  { cwd, paths: o.paths, jobs: o.jobs, cacheDir: o.cacheDir, noCache: o.noCache, fileTimeoutMs: 5000, toolVersion: toolVersion(), widen: o.widen, retain: o.retain },
  () => skipped++,
);
const t2 = performance.now();
const functions = r.files.reduce((n, f) => n + f.facts.functions.length, 0);
process.stdout.write(JSON.stringify({ files: r.files.length, skipped, functions, ...r.stats, discoverMs: Math.round(t1 - t0), collectMs: Math.round(t2 - t1), maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');

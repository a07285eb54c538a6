#!/usr/bin/env node
// Checks that the extractor gives byte-identical facts over native tree-sitter nodes and over the
// plain-JS copy of the tree it normally uses (src/syntax/fast-tree.ts), and times both:
//   npm run build && node scripts/compare-facts.mjs TREE [DIR,DIR,…] [MAX_FILES]
// Run it after changing extract.ts or fast-tree.ts. Exit status 1 when any file differs.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src', 'syntax');
const { parseC } = await import(path.join(dist, 'parser.js'));
const { extractFacts } = await import(path.join(dist, 'extract.js'));
const { prepareForParse } = await import(path.join(dist, 'prepare.js'));

const [tree, dirs = 'mm,fs/btrfs,fs/ext4,kernel/sched', max = '1000000'] = process.argv.slice(2);
if (!tree) {
  process.stderr.write('usage: node scripts/compare-facts.mjs TREE [DIR,DIR,…] [MAX_FILES]\n');
  process.exit(2);
}
const files = [];
const walk = (d) => {
  for (const e of readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (/\.[ch]$/.test(e.name)) files.push(p);
  }
};
for (const d of dirs.split(',')) walk(path.join(tree, d));
files.sort();
let n = 0;
let bytes = 0;
let diff = 0;
let tNative = 0;
let tFast = 0;
for (const f of files.slice(0, Number(max))) {
  const original = readFileSync(f, 'utf8');
  // As gfplint parses it: with the kernel idioms rewritten (src/syntax/prepare.ts).
  const text = prepareForParse(original);
  n++;
  bytes += text.length;
  const t = parseC(text);
  let t0 = performance.now();
  // A plain object holding only rootNode: the extractor cannot build its copy and uses native nodes.
  const a = JSON.stringify(extractFacts({ rootNode: t.rootNode }, text, original));
  tNative += performance.now() - t0;
  t0 = performance.now();
  const b = JSON.stringify(extractFacts(t, text, original));
  tFast += performance.now() - t0;
  if (a !== b) {
    diff++;
    let i = 0;
    while (a[i] === b[i]) i++;
    process.stdout.write(`DIFF ${path.relative(tree, f)} at ${i}:\n  native: ${a.slice(Math.max(0, i - 120), i + 80)}\n  fast:   ${b.slice(Math.max(0, i - 120), i + 80)}\n`);
  }
}
process.stdout.write(`${n} files, ${(bytes / 1e6).toFixed(1)} MB: ${diff} differ; extraction ${(tNative / 1000).toFixed(1)} s native, ${(tFast / 1000).toFixed(1)} s with the copy\n`);
process.exitCode = diff ? 1 : 0;

#!/usr/bin/env node
// Scores a gfplint JSON report (its `sites`, issue 15) against a labelled set
// (test/data/nofs-labelled.tsv): recall of removed flags (reported redundant or unneeded), needed
// sites wrongly flagged, and the fraction of the report's sites left unknown.
// Usage: node scripts/score-nofs.mjs RESULT.json LABELS.tsv [--list]
// A label matches the site on its line in its file, else the nearest site after it in the same
// function within 40 lines (a flag written into a gfp_t variable is used further down).
import { readFileSync } from 'node:fs';

const [resultPath, labelsPath, ...rest] = process.argv.slice(2);
if (!resultPath || !labelsPath) {
  console.error('usage: score-nofs.mjs RESULT.json LABELS.tsv [--list]');
  process.exit(2);
}
const list = rest.includes('--list');
let result;
try {
  result = JSON.parse(readFileSync(resultPath, 'utf8'));
} catch (e) {
  console.error(`score-nofs: ${resultPath}: ${e.message}`);
  process.exit(2);
}
if (!Array.isArray(result.sites)) {
  console.error(`score-nofs: ${resultPath}: no 'sites' array (a gfplint JSON report with NOFS verdicts is needed)`);
  process.exit(2);
}
const labels = readFileSync(labelsPath, 'utf8').split('\n')
  .filter((l) => l.trim() && !l.startsWith('#') && !l.startsWith('file\t'))
  .map((l) => { const [file, line, fn, label, reason] = l.split('\t'); return { file, line: Number(line), fn, label, reason }; });

const byFile = new Map();
for (const s of result.sites) {
  const l = byFile.get(s.file);
  if (l) l.push(s);
  else byFile.set(s.file, [s]);
}
const siteFor = (lab) => {
  const sites = byFile.get(lab.file) ?? [];
  return sites.find((s) => s.line === lab.line)
    ?? sites.filter((s) => s.function === lab.fn && s.line > lab.line && s.line - lab.line <= 40).sort((a, b) => a.line - b.line)[0];
};

const flagged = (v) => v === 'redundant' || v === 'unneeded';
const removed = labels.filter((l) => l.label.startsWith('removed'));
const needed = labels.filter((l) => l.label === 'needed');
const out = { removed: { total: removed.length, seen: 0, flagged: 0, byVerdict: {} }, needed: { total: needed.length, seen: 0, flagged: 0, byVerdict: {} } };
const rows = [];
for (const [group, set] of [['removed', removed], ['needed', needed]]) {
  for (const lab of set) {
    const s = siteFor(lab);
    const v = s ? s.verdict : 'not-a-site';
    out[group].byVerdict[v] = (out[group].byVerdict[v] ?? 0) + 1;
    if (s) out[group].seen++;
    if (s && flagged(s.verdict)) out[group].flagged++;
    rows.push([group, `${lab.file}:${lab.line}`, lab.fn, lab.label, v, s ? s.evidence.slice(0, 160) : ''].join('\t'));
  }
}
const verdicts = {};
for (const s of result.sites) verdicts[s.verdict] = (verdicts[s.verdict] ?? 0) + 1;
const pct = (a, b) => (b ? `${((100 * a) / b).toFixed(1)}%` : 'n/a');
console.log(`report: ${result.sites.length} NOFS/NOIO sites, kernel ${result.kernelVersion}: ${Object.entries(verdicts).map(([k, v]) => `${k} ${v}`).join(', ')}; unknown ${pct(verdicts.unknown ?? 0, result.sites.length)}`);
console.log(`removed flags reported redundant/unneeded: ${out.removed.flagged}/${out.removed.total} = ${pct(out.removed.flagged, out.removed.total)} (of those gfplint sees as NOFS sites: ${out.removed.flagged}/${out.removed.seen} = ${pct(out.removed.flagged, out.removed.seen)}); by verdict ${JSON.stringify(out.removed.byVerdict)}`);
console.log(`needed sites flagged: ${out.needed.flagged}/${out.needed.total} = ${pct(out.needed.flagged, out.needed.total)}; by verdict ${JSON.stringify(out.needed.byVerdict)}`);
if (list) for (const r of rows) console.log(r);

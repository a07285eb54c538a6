#!/usr/bin/env node
// Which GFP_NOFS / GFP_NOIO / KM_NOFS uses disappeared between two kernel trees, function by
// function: for every function present in both trees (same file, same name), the NOFS lines of the
// old tree that have no counterpart (same callee) in the new one. Prints TSV to stdout:
//   file  line  function  callee  flag  new_file_line_of_function
// Usage: node scripts/nofs-history.mjs OLD_TREE NEW_TREE [subdir…]
// The trees are read, never copied: the output names places, not code.
import { readdirSync, readFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';

const [oldRoot, newRoot, ...dirs] = process.argv.slice(2);
if (!oldRoot || !newRoot) {
  console.error('usage: nofs-history.mjs OLD_TREE NEW_TREE [subdir…]');
  process.exit(2);
}
const FLAG = /\b(GFP_NOFS|GFP_NOIO|KM_NOFS)\b/;

function* cFiles(root, rel) {
  const abs = join(root, rel);
  if (!existsSync(abs)) return;
  if (statSync(abs).isFile()) {
    if (/\.[ch]$/.test(rel)) yield rel;
    return;
  }
  for (const e of readdirSync(abs, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'Documentation' || e.name === 'tools' || e.name === 'scripts') continue;
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) yield* cFiles(root, r);
    else if (/\.[ch]$/.test(e.name)) yield r;
  }
}

/** Blank comments and strings, keeping line structure. */
function strip(text) {
  return text.replace(/\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'/g, (m) => m.replace(/[^\n]/g, ' '));
}

/** Top-level function bodies: name → { start line (1-based), lines [{n, text}] }. */
function functions(text) {
  const src = strip(text);
  const lines = src.split('\n');
  const out = new Map();
  let depth = 0;
  let cur;
  let header = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (depth === 0 && !cur) {
      header.push(l);
      if (header.length > 8) header.shift();
    }
    for (const ch of l) {
      if (ch === '{') {
        if (depth === 0) {
          const h = header.join('\n');
          const m = /([A-Za-z_]\w*)\s*\([^;{}]*\)\s*(?:__\w+(?:\([^)]*\))?\s*)*\{?\s*$/.exec(h.slice(0, h.lastIndexOf('{') >= 0 ? h.lastIndexOf('{') + 1 : h.length));
          if (m && !/^(if|for|while|switch|return|sizeof)$/.test(m[1]) && !/=\s*\{?\s*$/.test(h)) cur = { name: m[1], start: i + 1, lines: [] };
        }
        depth++;
      } else if (ch === '}') {
        depth--;
        if (depth === 0) {
          if (cur && !out.has(cur.name)) out.set(cur.name, cur);
          cur = undefined;
          header = [];
        }
      }
    }
    if (cur && depth > 0) cur.lines.push({ n: i + 1, text: l });
    if (depth === 0 && /;\s*$/.test(l)) header = [];
  }
  return out;
}

/** The NOFS lines of a function with the callee each belongs to (the nearest call opened before the flag). */
function nofsLines(fn) {
  const out = [];
  for (const [k, { n, text }] of fn.lines.entries()) {
    const m = FLAG.exec(text);
    if (!m) continue;
    // Join with the two previous lines: the call may start there.
    const ctx = fn.lines.slice(Math.max(0, k - 2), k).map((x) => x.text).join(' ') + ' ' + text.slice(0, m.index);
    const calls = [...ctx.matchAll(/([A-Za-z_]\w*)\s*\(/g)].map((x) => x[1]).filter((c) => !/^(if|while|for|switch|sizeof|return)$/.test(c));
    out.push({ line: n, flag: m[1], callee: calls[calls.length - 1] ?? '?' });
  }
  return out;
}

const seen = new Set();
for (const d of dirs.length ? dirs : ['']) {
  for (const rel of cFiles(oldRoot, d)) {
    if (seen.has(rel)) continue;
    seen.add(rel);
    const oldText = readFileSync(join(oldRoot, rel), 'utf8');
    if (!FLAG.test(oldText)) continue;
    const newPath = join(newRoot, rel);
    if (!existsSync(newPath)) continue;
    const oldFns = functions(oldText);
    const newFns = functions(readFileSync(newPath, 'utf8'));
    for (const [name, fn] of oldFns) {
      const before = nofsLines(fn);
      if (!before.length) continue;
      const after = newFns.get(name);
      if (!after) continue;
      const left = nofsLines(after);
      for (const b of before) {
        const k = left.findIndex((x) => x.callee === b.callee);
        if (k >= 0) left.splice(k, 1);
        else console.log([rel, b.line, name, b.callee, b.flag, after.start].join('\t'));
      }
    }
  }
}

#!/usr/bin/env node
// How much of a tree gfplint parses with errors, and which idioms cause them:
//   npm run build && node scripts/parse-errors.mjs TREE [DIR…] [--top N] [--examples N] [--json]
// Parses every .c/.h file under TREE (or under the DIRs given, relative to TREE; a kernel tree's
// tools/ is left out unless named, as gfplint does) the way gfplint does (the same rewriting
// before parsing, the same extractor) and counts the functions whose facts have `hasErrors`. Each
// error node (ERROR or MISSING) is attributed to the macro or callee nearest it: the name before
// the innermost unclosed `(` that contains it within its statement, else the first name of the
// error's own text, else of its statement. Errors outside every function are counted apart
// (they can swallow functions whole). Parses only: no cache, no analysis, nothing written.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'src');
const { discoverFiles } = await import(path.join(dist, 'program', 'discover.js'));
const { readSource } = await import(path.join(dist, 'program', 'source.js'));
const { prepareForParse } = await import(path.join(dist, 'syntax', 'prepare.js'));
const { parseC } = await import(path.join(dist, 'syntax', 'parser.js'));
const { extractFacts, isLoopMacro } = await import(path.join(dist, 'syntax', 'extract.js'));
const { fullGc } = await import(path.join(dist, 'program', 'full-gc.js'));

const args = process.argv.slice(2);
let top = 30;
let examples = 2;
let json = false;
const pos = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--top') top = Number(args[++i]);
  else if (a === '--examples') examples = Number(args[++i]);
  else if (a === '--json') json = true;
  else if (a.startsWith('--')) {
    process.stderr.write(`parse-errors: unknown option ${a}\n`);
    process.exit(2);
  } else pos.push(a);
}
const [tree, ...dirs] = pos;
if (!tree || !Number.isFinite(top) || !Number.isFinite(examples)) {
  process.stderr.write('usage: node scripts/parse-errors.mjs TREE [DIR…] [--top N] [--examples N] [--json]\n');
  process.exit(2);
}
const root = path.resolve(tree);
const given = dirs.length ? dirs : ['.'];
let skipped = 0;
const found = await discoverFiles(given, root, () => skipped++);
const tools = path.join(root, 'tools') + path.sep;
const toolsGiven = given.some((g) => (path.resolve(root, g) + path.sep).startsWith(tools));
const files = found.filter((f) => toolsGiven || !f.abs.startsWith(tools)).sort((a, b) => (a.display < b.display ? -1 : 1));

const KEYWORDS = new Set(['if', 'while', 'for', 'switch', 'return', 'sizeof', 'do', 'else', 'case', 'goto', 'struct', 'union', 'enum', 'const', 'static', 'unsigned', 'signed', 'int', 'char', 'long', 'void', 'typeof', '__typeof__', 'volatile']);
const IDENT = /[A-Za-z_][A-Za-z0-9_]*/;

/** The name of the macro or callee nearest offset `at` of `text` (see the header). */
function causeAt(text, at, end, lowerBound) {
  let depth = 0;
  for (let i = at - 1; i >= lowerBound; i--) {
    const c = text[i];
    if (c === ')' || c === ']') depth++;
    else if (c === '(' || c === '[') {
      if (depth > 0) {
        depth--;
        continue;
      }
      if (c === '[') continue;
      let j = i - 1;
      while (j >= lowerBound && /\s/.test(text[j])) j--;
      let k = j;
      while (k >= lowerBound && /[A-Za-z0-9_]/.test(text[k])) k--;
      const name = text.slice(k + 1, j + 1);
      if (name && !/^\d/.test(name) && !KEYWORDS.has(name)) return `${name}(…)`;
      if (name) continue; // if (…), sizeof (…): look further out
    } else if (depth === 0 && (c === ';' || c === '{' || c === '}')) break;
  }
  const own = text.slice(at, Math.min(end, at + 200)).match(/[A-Za-z_][A-Za-z0-9_]*\s*\(/);
  if (own) return `${own[0].replace(/\s*\($/, '')}(…)`;
  // The statement around it: from the previous ; { } to the error.
  let s = at;
  while (s > lowerBound && !';{}'.includes(text[s - 1])) s--;
  const words = text.slice(s, Math.min(end, at + 80)).match(new RegExp(IDENT.source, 'g')) ?? [];
  const w = words.find((x) => !KEYWORDS.has(x)) ?? words[0];
  return w ? `stmt ${w}` : `token ${JSON.stringify(text.slice(at, at + 12))}`;
}

/**
 * The MISSING `;` of `list_for_each_entry(…) { … }` or `scoped_guard(…) { … }`: the extractor
 * reads these as the loop or guard they are and does not count them (extract.ts macroHead()).
 */
function recoveredHead(n) {
  const st = n.parent;
  if (n.type !== ';' || st?.type !== 'expression_statement') return false;
  const call = st.namedChild(0);
  const name = call?.type === 'call_expression' ? call.childForFieldName('function')?.text ?? '' : '';
  const next = st.nextNamedSibling;
  return (name === 'scoped_guard' || name === 'scoped_cond_guard' || isLoopMacro(name)) && !!next && next.type !== 'comment' && st.parent?.type === 'compound_statement';
}

/** ERROR and MISSING nodes, descending only where tree-sitter says an error is. */
function errorNodes(rootNode) {
  const out = [];
  const stack = [rootNode];
  while (stack.length) {
    const n = stack.pop();
    if (n.type === 'ERROR' || (n.isMissing && !recoveredHead(n))) {
      out.push(n);
      if (n.type !== 'ERROR') continue;
    }
    if (!n.hasError) continue;
    for (let i = n.childCount - 1; i >= 0; i--) stack.push(n.child(i));
  }
  return out;
}

const causes = new Map(); // key -> { functions, nodes, outside, examples[] }
const bump = (key, field, where) => {
  let c = causes.get(key);
  if (!c) causes.set(key, (c = { key, functions: 0, nodes: 0, outside: 0, examples: [] }));
  c[field]++;
  if (c.examples.length < examples && !c.examples.includes(where)) c.examples.push(where);
};
let functions = 0;
let withErrors = 0;
let outsideErrors = 0;
let filesWithErrors = 0;
let bytes = 0;
const t0 = performance.now();
let sinceGc = 0;
for (const f of files) {
  // Syntax trees live in native memory V8 does not count: collect now and then, or a whole tree
  // grows the process by gigabytes. Their finalizers run on a later turn of the event loop.
  if (fullGc && ++sinceGc === 200) {
    sinceGc = 0;
    fullGc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  const read = readSource(f.abs);
  if ('skip' in read) {
    skipped++;
    continue;
  }
  bytes += read.bytes;
  const text = prepareForParse(read.text);
  const t = parseC(text);
  if (!t) {
    skipped++;
    continue;
  }
  const facts = extractFacts(t, text, read.text);
  functions += facts.functions.length;
  const bad = facts.functions.filter((fn) => fn.hasErrors);
  withErrors += bad.length;
  if (!t.rootNode.hasError) continue;
  filesWithErrors++;
  // Line starts, to turn a function's row range into offsets.
  const lineStart = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) lineStart.push(i + 1);
  const spans = bad.map((fn) => ({ s: lineStart[fn.r[0]] + fn.r[1], e: lineStart[fn.r[2]] + fn.r[3], keys: new Set() }));
  const all = facts.functions.map((fn) => ({ s: lineStart[fn.r[0]] + fn.r[1], e: lineStart[fn.r[2]] + fn.r[3] }));
  for (const n of errorNodes(t.rootNode)) {
    const at = n.startIndex;
    const where = `${f.display}:${n.startPosition.row + 1}`;
    const inBad = spans.find((sp) => at >= sp.s && at < sp.e);
    const inAny = inBad ?? all.find((sp) => at >= sp.s && at < sp.e);
    const key = causeAt(text, at, Math.max(n.endIndex, at + 1), inAny ? inAny.s : Math.max(0, at - 4000));
    if (inBad) {
      if (!inBad.keys.has(key)) {
        inBad.keys.add(key);
        bump(key, 'functions', where);
      }
      causes.get(key).nodes++;
    } else if (!inAny) {
      outsideErrors++;
      bump(key, 'outside', where);
    }
  }
  for (const sp of spans) if (!sp.keys.size) bump('(error flagged by the extractor, no ERROR node)', 'functions', f.display);
}
const secs = (performance.now() - t0) / 1000;
const pct = (a, b) => (b ? ((100 * a) / b).toFixed(2) : '0.00');
const byFunctions = [...causes.values()].filter((c) => c.functions).sort((a, b) => b.functions - a.functions || (a.key < b.key ? -1 : 1));
const byOutside = [...causes.values()].filter((c) => c.outside).sort((a, b) => b.outside - a.outside || (a.key < b.key ? -1 : 1));
const summary = {
  files: files.length - skipped, skipped, megabytes: +(bytes / 1e6).toFixed(1), functions, withErrors,
  percent: +pct(withErrors, functions), filesWithErrors, errorsOutsideFunctions: outsideErrors, seconds: +secs.toFixed(1),
};
if (json) {
  process.stdout.write(JSON.stringify({ ...summary, causes: byFunctions.slice(0, top), outside: byOutside.slice(0, top) }) + '\n');
} else {
  const out = [];
  out.push(`${summary.files} files (${summary.megabytes} MB, ${skipped} skipped), ${functions} functions: ${withErrors} with parse errors (${summary.percent}%); ${filesWithErrors} files with errors; ${outsideErrors} error nodes outside functions; ${summary.seconds} s`);
  out.push('', `Top causes in functions (functions affected, error nodes, examples):`);
  for (const c of byFunctions.slice(0, top)) out.push(`  ${String(c.functions).padStart(7)} ${String(c.nodes).padStart(7)}  ${c.key}  ${c.examples.join(' ')}`);
  out.push('', `Top causes outside functions (error nodes, examples):`);
  for (const c of byOutside.slice(0, top)) out.push(`  ${String(c.outside).padStart(7)}  ${c.key}  ${c.examples.join(' ')}`);
  process.stdout.write(out.join('\n') + '\n');
}

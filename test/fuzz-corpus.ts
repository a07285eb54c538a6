/**
 * The fuzz corpus (issue 7): hostile inputs generated from the repo's own fixtures and examples,
 * deep-nesting and pathological functions built from scratch, and a fast-check arbitrary of
 * kernel-C-like token soups. A generator, not a test: test/fuzz.test.ts runs a modest sample in
 * CI, scripts/fuzz.mjs a larger one locally (it transpiles this file, so it imports nothing from
 * src/ but types, and only node builtins and fast-check; the reporters are passed in).
 *
 * Every input is bytes. `textual` inputs are meant for `lint({ sources })` (decoded as UTF-8 with
 * replacement); `byteLevel` ones must also go through real files, so that reading and decoding
 * (empty, NUL bytes, invalid UTF-8) are exercised.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import * as fc from 'fast-check';
import type { Diagnostic } from '../src/engine/diagnostic.js';
import type { LintResult } from '../src/engine/lint-types.js';
import type { Rule } from '../src/engine/rule.js';

export interface FuzzInput {
  /** Stable, file-name-safe description: `<kind>/<source>/<detail>`. */
  name: string;
  bytes: Buffer;
  /** Must also be run from a real file (reading and decoding matter). */
  byteLevel: boolean;
}

/** A seeded PRNG (mulberry32): the same seed gives the same corpus on every machine. */
export type Rand = () => number;
export function mulberry32(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(rand: Rand, xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const int = (rand: Rand, n: number): number => Math.floor(rand() * n);

/** `fixtures/**\/*.c` and `examples/**\/*.c`, repo-relative with `/`, sorted. */
export function corpusFiles(repoRoot: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith('.c')) out.push(relative(repoRoot, p).split(sep).join('/'));
    }
  };
  for (const top of ['fixtures', 'examples']) walk(join(repoRoot, top));
  return out.sort();
}

/** The `n` smallest corpus files (ties by name): the ones truncated at every byte. */
export function smallestFiles(repoRoot: string, n: number): string[] {
  return corpusFiles(repoRoot)
    .map((f) => ({ f, size: statSync(join(repoRoot, f)).size }))
    .sort((a, b) => a.size - b.size || (a.f < b.f ? -1 : 1))
    .slice(0, n)
    .map((x) => x.f);
}

const tag = (file: string): string => file.replace(/\.c$/, '').replace(/[^A-Za-z0-9]+/g, '-');

/** Every prefix, from empty to whole: truncation at every byte boundary (UTF-8 sequences cut too). */
export function truncations(file: string, bytes: Buffer): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (let i = 0; i <= bytes.length; i++) out.push({ name: `truncate/${tag(file)}/${i}`, bytes: bytes.subarray(0, i), byteLevel: true });
  return out;
}

/** 1 to 4 bytes replaced by random values. */
export function byteFlips(file: string, bytes: Buffer, rand: Rand, count: number): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (let k = 0; k < count && bytes.length; k++) {
    const b = Buffer.from(bytes);
    const flips = 1 + int(rand, 4);
    const at: number[] = [];
    for (let j = 0; j < flips; j++) {
      const i = int(rand, b.length);
      b[i] ^= 1 + int(rand, 255);
      at.push(i);
    }
    out.push({ name: `flip/${tag(file)}/${at.join('-')}`, bytes: b, byteLevel: true });
  }
  return out;
}

function positionsOf(s: string, chars: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i++) if (chars.includes(s[i])) out.push(i);
  return out;
}

/** One to three braces deleted or duplicated. */
export function braceEdits(file: string, text: string, rand: Rand, count: number): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (let k = 0; k < count; k++) {
    let s = text;
    const edits: string[] = [];
    for (let j = 1 + int(rand, 3); j > 0; j--) {
      const ps = positionsOf(s, '{}');
      if (!ps.length) break;
      const i = pick(rand, ps);
      if (rand() < 0.5) {
        s = s.slice(0, i) + s.slice(i + 1);
        edits.push(`del${i}`);
      } else {
        s = s.slice(0, i) + s[i] + s.slice(i);
        edits.push(`dup${i}`);
      }
    }
    out.push({ name: `brace/${tag(file)}/${edits.join('-')}`, bytes: Buffer.from(s), byteLevel: false });
  }
  return out;
}

const OPENERS = ['/*', '"', "'", '#if 0\n', '#ifdef CONFIG_FOO\n', '({', 'R"(', '\\\n', '#define X(a) \\\n', "L'", '/* gfplint-disable-next-line '];

/** Something opened at a random place and never closed: comment, string, char, #if, macro, statement expression. */
export function unterminated(file: string, text: string, rand: Rand, count: number): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (let k = 0; k < count; k++) {
    const i = int(rand, text.length + 1);
    const o = pick(rand, OPENERS);
    const truncate = rand() < 0.3;
    const s = text.slice(0, i) + o + (truncate ? '' : text.slice(i));
    out.push({ name: `open/${tag(file)}/${OPENERS.indexOf(o)}-${i}${truncate ? '-end' : ''}`, bytes: Buffer.from(s), byteLevel: false });
  }
  return out;
}

/** NUL bytes at random places (early: caught by the first-8-KB test; late: by the full check). */
export function nulBytes(file: string, bytes: Buffer, rand: Rand, count: number): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (let k = 0; k < count; k++) {
    const i = int(rand, bytes.length + 1);
    out.push({ name: `nul/${tag(file)}/${i}`, bytes: Buffer.concat([bytes.subarray(0, i), Buffer.from([0]), bytes.subarray(i)]), byteLevel: true });
  }
  return out;
}

const BAD_UTF8: readonly number[][] = [[0xff], [0xc3], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xe2, 0x82], [0xfe, 0xfe]];

/** Invalid UTF-8 sequences (lone continuation, overlong, surrogate, out of range, cut) inserted. */
export function invalidUtf8(file: string, bytes: Buffer, rand: Rand, count: number): FuzzInput[] {
  const out: FuzzInput[] = [];
  for (let k = 0; k < count; k++) {
    const i = int(rand, bytes.length + 1);
    const seq = pick(rand, BAD_UTF8);
    out.push({ name: `utf8/${tag(file)}/${BAD_UTF8.indexOf(seq)}-${i}`, bytes: Buffer.concat([bytes.subarray(0, i), Buffer.from(seq), bytes.subarray(i)]), byteLevel: true });
  }
  return out;
}

/** CRLF, lone CR, mixed endings, a UTF-8 BOM, no final newline. */
export function lineEndings(file: string, text: string): FuzzInput[] {
  const t = tag(file);
  let mixed = '';
  let n = 0;
  for (const ch of text) mixed += ch === '\n' ? ['\r\n', '\n', '\r'][n++ % 3] : ch;
  return [
    { name: `eol/${t}/crlf`, bytes: Buffer.from(text.replace(/\n/g, '\r\n')), byteLevel: true },
    { name: `eol/${t}/cr`, bytes: Buffer.from(text.replace(/\n/g, '\r')), byteLevel: true },
    { name: `eol/${t}/mixed`, bytes: Buffer.from(mixed), byteLevel: true },
    { name: `eol/${t}/bom`, bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), byteLevel: true },
    { name: `eol/${t}/no-final-newline`, bytes: Buffer.from(text.replace(/\n+$/, '')), byteLevel: true },
  ];
}

/** A fixture with one line made `size` bytes long: statements, and a comment. */
export function longLines(file: string, text: string, size = 1 << 20): FuzzInput[] {
  const stmts = 'p = kmalloc(n, GFP_KERNEL); kfree(p); ';
  const inFn = text.indexOf('{\n');
  const at = inFn < 0 ? text.length : inFn + 1;
  const body = stmts.repeat(Math.ceil(size / stmts.length)).slice(0, size);
  return [
    { name: `long/${tag(file)}/statements`, bytes: Buffer.from(text.slice(0, at) + body + text.slice(at)), byteLevel: false },
    { name: `long/${tag(file)}/comment`, bytes: Buffer.from(`/* ${'x'.repeat(size)} */` + text), byteLevel: false },
  ];
}

const fn = (body: string, params = 'struct dev *d, int x, gfp_t gfp'): string => `static void *deep(${params})\n{\n\tvoid *p = NULL;\n${body}\n\treturn p;\n}\n`;
const ALLOC = 'p = kmalloc(16, GFP_KERNEL);';

/**
 * Deep nesting, as the issue names it: 10,000 nested braces, a 50,000-case switch, 5,000 nested
 * parentheses, 3,000 nested if/else; and their cousins: nested statement expressions, #if blocks,
 * initializer braces, casts, loops and labels.
 */
export function deepNesting(): FuzzInput[] {
  const cases: [string, string][] = [
    ['braces-10000', fn('{'.repeat(10_000) + ALLOC + '}'.repeat(10_000))],
    ['switch-50000', fn('\tswitch (x) {\n' + Array.from({ length: 50_000 }, (_, i) => `\tcase ${i}: p = kmalloc(${i}, GFP_KERNEL); break;\n`).join('') + '\t}')],
    ['parens-5000', fn(`\tp = kmalloc(${'('.repeat(5000)}x${')'.repeat(5000)}, GFP_KERNEL);`)],
    ['if-else-chain-3000', fn(Array.from({ length: 3000 }, (_, i) => `\tif (x == ${i}) p = kmalloc(${i}, GFP_KERNEL);\n\telse `).join('') + '\t\tp = NULL;')],
    ['if-else-nested-3000', fn('if (x) {'.repeat(3000) + ALLOC + '} else { spin_lock(&d->l); }'.repeat(3000))],
    ['stmt-expr-3000', fn(`\tp = ${'({ '.repeat(3000)}kmalloc(1, GFP_KERNEL);${' })'.repeat(3000)};`)],
    ['preproc-if-2000', fn('#ifdef A\n'.repeat(2000) + ALLOC + '\n' + '#endif\n'.repeat(2000))],
    ['initializer-5000', `static int t[] = ${'{'.repeat(5000)}1${'}'.repeat(5000)};\n` + fn(ALLOC)],
    ['casts-3000', fn(`\tp = ${'(void *)'.repeat(3000)}kmalloc(1, GFP_KERNEL);`)],
    ['loops-2000', fn('\twhile (x--)\n'.repeat(2000) + ALLOC)],
    ['unary-10000', fn(`\tx = ${'!'.repeat(10_000)}x;\n\t${ALLOC}`)],
    ['binary-20000', fn(`\tx = ${Array.from({ length: 20_000 }, (_, i) => `x${i}`).join(' + ')};\n\t${ALLOC}`)],
    ['labels-5000', fn(Array.from({ length: 5000 }, (_, i) => `l${i}:\n\tif (x == ${i}) goto l${i >> 1};\n`).join('') + ALLOC)],
    ['macro-loops-3000', fn('\tlist_for_each_entry(pos, head, list) {\n'.repeat(3000) + ALLOC + '}'.repeat(3000))],
    ['scoped-guard-3000', fn('\tscoped_guard(spinlock, &d->l) {\n'.repeat(3000) + ALLOC + '}'.repeat(3000))],
    ['unclosed-braces-10000', fn('{'.repeat(10_000) + ALLOC)],
    ['closing-braces-10000', fn(ALLOC + '}'.repeat(10_000))],
  ];
  return cases.map(([name, text]) => ({ name: `deep/${name}`, bytes: Buffer.from(text), byteLevel: false }));
}

/**
 * Functions built to make the per-function dataflow work hard (issue 7's analysis budget):
 * thousands of branches taking and dropping locks, scopes that stay open, backward gotos.
 * Each is valid C.
 */
export function pathologicalFunctions(): FuzzInput[] {
  const body = (n: number, f: (i: number) => string): string => Array.from({ length: n }, (_, i) => f(i)).join('');
  const cases: [string, string][] = [
    ['ifs-locks-2000', fn(body(2000, (i) => `\tif (x & ${i}) {\n\t\tspin_lock(&d->l${i % 7});\n\t\tp${i % 13} = kmalloc(${i}, GFP_KERNEL);\n\t\tspin_unlock(&d->l${i % 7});\n\t}\n`))],
    ['cond-locks-2000', fn(body(2000, (i) => `\tif (c${i}) spin_lock(&d->l);\n\tp = kmalloc(${i}, GFP_KERNEL);\n\tif (c${i}) spin_unlock(&d->l);\n`))],
    ['gotos-back-500', fn(body(500, (i) => `l${i}:\n\tflags = memalloc_nofs_save();\n\tp = kmalloc(${i}, GFP_KERNEL);\n\tif (x == ${i}) goto l${i >> 1};\n`))],
    ['open-scopes-2000', fn(body(2000, (i) => `\tunsigned int c${i} = memalloc_nofs_save();\n\tp = kmalloc(${i}, GFP_KERNEL);\n`))],
    ['cond-scopes-1000', fn(body(1000, (i) => `\tif (x > ${i}) c${i} = memalloc_nofs_save();\n\tp = kmalloc(${i}, GFP_KERNEL);\n\tif (x > ${i}) memalloc_nofs_restore(c${i});\n`))],
    ['gfp-vars-2000', fn(body(2000, (i) => `\tif (x & ${i}) gfp |= __GFP_NOWARN; else gfp &= ~__GFP_FS;\n\tp = kmalloc(${i}, gfp);\n`))],
    ['switch-locks-2000', fn('\tswitch (x) {\n' + body(2000, (i) => `\tcase ${i}: spin_lock(&d->l${i % 5}); p = kmalloc(${i}, GFP_ATOMIC); break;\n`) + '\t}\n\tspin_unlock(&d->l0);')],
    ['loop-nest-150', fn('\twhile (x--) {\n'.repeat(150) + '\t\tp = kmalloc(1, GFP_KERNEL);\n\t\tspin_lock(&d->l);\n' + '\t}\n'.repeat(150))],
  ];
  return cases.map(([name, text]) => ({ name: `pathological/${name}`, bytes: Buffer.from(text), byteLevel: false }));
}

export interface CorpusOptions {
  seed: number;
  /** Random mutations per corpus file and kind (byte flips, braces, …). */
  perFile: number;
  /** How many of the smallest files are truncated at every byte. */
  truncateFiles: number;
  /** Include the 1 MB lines and the deep-nesting inputs (a few seconds each). */
  heavy: boolean;
}

/** The mutation corpus: deterministic for a given seed and options. */
export function mutationCorpus(repoRoot: string, o: CorpusOptions): FuzzInput[] {
  const rand = mulberry32(o.seed);
  const out: FuzzInput[] = [];
  for (const f of smallestFiles(repoRoot, o.truncateFiles)) out.push(...truncations(f, readFileSync(join(repoRoot, f))));
  for (const f of corpusFiles(repoRoot)) {
    const bytes = readFileSync(join(repoRoot, f));
    const text = bytes.toString('utf8');
    out.push(...byteFlips(f, bytes, rand, o.perFile));
    out.push(...braceEdits(f, text, rand, o.perFile));
    out.push(...unterminated(f, text, rand, o.perFile));
    out.push(...nulBytes(f, bytes, rand, Math.max(1, o.perFile >> 1)));
    out.push(...invalidUtf8(f, bytes, rand, Math.max(1, o.perFile >> 1)));
    out.push(...lineEndings(f, text));
  }
  if (o.heavy) {
    const files = corpusFiles(repoRoot);
    const f = files[int(rand, files.length)];
    out.push(...longLines(f, readFileSync(join(repoRoot, f), 'utf8')));
    out.push(...deepNesting());
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Token soups.

const KEYWORDS = ['static', 'void', 'int', 'unsigned', 'long', 'char', 'struct', 'union', 'enum', 'return', 'if', 'else', 'while', 'for', 'do', 'switch', 'case', 'default', 'break', 'continue', 'goto', 'sizeof', 'const', 'inline', '__always_inline', 'gfp_t', 'bool', 'NULL', 'true', 'false', 'typedef', 'extern', '__attribute__((unused))', '__must_check', 'asm volatile'];
const NAMES = ['p', 'q', 'x', 'n', 'err', 'flags', 'gfp', 'sb', 'inode', 'dev', 'd', 'tp', 'nofs', 'cookie', 'out', 'again', 'current', 'page', 'handle', 'f', 'g', 'lock'];
const CALLS = [
  'kmalloc', 'kzalloc', 'kcalloc', 'kvmalloc', 'kvzalloc', 'vmalloc', '__vmalloc', 'kfree', 'kvfree', 'vfree', 'kmem_cache_alloc', 'kmem_cache_free', 'alloc_pages', '__get_free_pages', 'mempool_alloc',
  'spin_lock', 'spin_unlock', 'spin_lock_irqsave', 'spin_unlock_irqrestore', 'spin_trylock', 'mutex_lock', 'mutex_unlock', 'read_lock', 'write_unlock', 'rcu_read_lock', 'rcu_read_unlock',
  'memalloc_nofs_save', 'memalloc_nofs_restore', 'memalloc_noio_save', 'memalloc_noio_restore', 'memalloc_noreclaim_save', 'preempt_disable', 'preempt_enable', 'local_irq_disable', 'local_irq_enable',
  'guard', 'scoped_guard', 'list_for_each_entry', 'for_each_cpu', 'might_sleep', 'EXPORT_SYMBOL', 'is_vmalloc_addr', 'jbd2_journal_start', 'jbd2_journal_stop', 'xfs_trans_alloc', 'f', 'g',
];
const FLAGS = ['GFP_KERNEL', 'GFP_ATOMIC', 'GFP_NOFS', 'GFP_NOIO', 'GFP_NOWAIT', 'GFP_USER', '__GFP_NOFAIL', '__GFP_NOWARN', '__GFP_ZERO', '__GFP_FS', '__GFP_IO', '__GFP_DIRECT_RECLAIM', '__GFP_HIGHMEM', '__GFP_RETRY_MAYFAIL', 'PF_MEMALLOC_NOFS', 'PF_MEMALLOC', 'GFP_MINE'];
const PUNCT = ['(', ')', '{', '}', '[', ']', ';', ',', '=', '==', '!=', '|', '|=', '&', '&=', '~', '!', '*', '->', '.', '?', ':', '+', '-', '<', '>', '<<', '>>', '&&', '||', '++', '--', '...', '#', '##', '\\'];
const LITERALS = ['0', '1', '42', '0x10', '8UL', '-1', '"str"', "'c'", '"\\n"', '"%s"', "'\\0'", '1e9', '0777'];
const TRIVIA = [
  '\n', '\n', '\t', ' ', '/* comment */', '// line comment\n', '/* gfplint-disable-next-line sleep-in-atomic -- why */\n', '// gfplint-disable-line scope-unbalanced\n',
  '/* gfplint-disable-next-line no-such-rule */\n', '\n#define GFP_MINE (GFP_KERNEL | __GFP_NOWARN)\n', '\n#define LOCK(x) spin_lock(x)\n', '\n#ifdef CONFIG_X\n', '\n#else\n', '\n#endif\n', '\n#include <linux/slab.h>\n',
  '\n#if 0\n', '/*', '*/', '"', "'", '\r\n', '\u00e9', '\u202e', '\ud83d\ude00',
];
const FRAGMENTS = [
  'static void *f(struct d *d, gfp_t gfp)\n{\n', 'int g(void)\n{\n', '}\n', 'unsigned int nofs = memalloc_nofs_save();\n', 'memalloc_nofs_restore(nofs);\n', 'p = kmalloc(n, GFP_KERNEL);\n',
  'p = kmalloc(n, gfp);\n', 'spin_lock(&d->lock);\n', 'spin_unlock(&d->lock);\n', 'return p;\n', 'goto out;\n', 'out:\n', 'if (!p)\n', 'if (x) {\n', '} else {\n', 'while (n--) {\n', 'kfree(p);\n', 'vfree(p);\n',
  'p = kvmalloc(n, GFP_NOFS);\n', 'guard(spinlock)(&d->lock);\n', 'scoped_guard(mutex, &d->m) {\n', 'list_for_each_entry(pos, &d->list, node) {\n', 'current->flags |= PF_MEMALLOC_NOFS;\n', 'current->flags &= ~PF_MEMALLOC_NOFS;\n',
  'switch (x) {\ncase 1:\n', 'break;\n', 'default:\n', 'p = ({ void *__p = kmalloc(8, GFP_ATOMIC); __p; });\n', 'EXPORT_SYMBOL(f);\n', 'static const struct file_operations fops = { .read = f, .write = g };\n',
];

/** One kernel-C-like token, weighted towards whole statements so that functions form often. */
export function tokenArbitrary(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...FRAGMENTS) },
    { weight: 3, arbitrary: fc.constantFrom(...CALLS) },
    { weight: 3, arbitrary: fc.constantFrom(...PUNCT) },
    { weight: 2, arbitrary: fc.constantFrom(...KEYWORDS) },
    { weight: 2, arbitrary: fc.constantFrom(...NAMES) },
    { weight: 2, arbitrary: fc.constantFrom(...FLAGS) },
    { weight: 1, arbitrary: fc.constantFrom(...LITERALS) },
    { weight: 2, arbitrary: fc.constantFrom(...TRIVIA) },
  );
}

/** A token soup: up to `maxTokens` tokens joined by spaces, newlines or nothing, half of them inside a function frame. */
export function tokenSoup(maxTokens = 200): fc.Arbitrary<string> {
  return fc
    .tuple(fc.array(fc.tuple(tokenArbitrary(), fc.constantFrom(' ', ' ', '', '\n')), { maxLength: maxTokens }), fc.boolean())
    .map(([toks, framed]) => {
      const body = toks.map(([t, s]) => t + s).join('');
      return framed ? `static int soup(struct d *d, gfp_t gfp)\n{\n${body}\n}\n` : body;
    });
}

// ---------------------------------------------------------------------------------------------
// The oracle, shared by the test and the script.

/** Reasons a file may legitimately be skipped; anything else ("… failed: …") is a bug. */
export const LEGITIMATE_SKIP = /^(empty file|binary file \(contains NUL bytes\)|not valid UTF-8|too large \(|over the time budget)/;

export interface Reporters {
  formatJson(r: LintResult): string;
  formatSarif(r: LintResult, opts: { rules: readonly Rule[]; cwd?: string }): string;
  formatText(d: readonly Diagnostic[], opts: { color: boolean; explain?: boolean; source?: (file: string) => string | undefined }): string;
  rules: readonly Rule[];
}

/**
 * What is wrong with a run over `files`, or undefined: every file is scanned or skipped exactly
 * once with a legitimate reason, findings only in scanned files, every format renders.
 */
export function problems(r: LintResult, files: readonly string[], rep: Reporters): string | undefined {
  const out: string[] = [];
  if (r.filesScanned + r.skipped.length !== files.length) out.push(`${r.filesScanned} scanned + ${r.skipped.length} skipped != ${files.length} files`);
  const all = new Set(files);
  const skipped = new Set<string>();
  for (const s of r.skipped) {
    if (!all.has(s.file)) out.push(`skipped an unknown file ${JSON.stringify(s.file)}`);
    if (skipped.has(s.file)) out.push(`skipped twice: ${s.file}`);
    skipped.add(s.file);
    if (!LEGITIMATE_SKIP.test(s.reason)) out.push(`${s.file}: ${s.reason}`);
  }
  for (const d of [...r.findings, ...r.unusedSuppressions, ...r.suppressed]) {
    if (!all.has(d.file) || skipped.has(d.file)) out.push(`finding in a skipped or unknown file: ${d.file}`);
  }
  try {
    JSON.parse(rep.formatJson(r));
    JSON.parse(rep.formatSarif(r, { rules: rep.rules, cwd: '/tmp' }));
    rep.formatText([...r.findings, ...r.unusedSuppressions], { color: false, explain: true, source: () => undefined });
  } catch (e) {
    out.push(`a reporter threw: ${(e as Error).stack}`);
  }
  return out.length ? out.join('; ') : undefined;
}

/** The whole output that must not vary between two runs on the same input. */
export function fingerprint(r: LintResult, rep: Reporters): string {
  return rep.formatJson(r) + JSON.stringify(r.stats.functions);
}

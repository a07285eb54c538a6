/**
 * The fixture expectation convention (style.md (c)): annotations read from the parser's comment
 * facts, matched exhaustively both ways against a run's diagnostics, and a failure report that
 * re-renders the fixture with `// MISSING …` / `// UNEXPECTED: …` on the offending lines.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from '../src/engine/diagnostic.js';
import { lint } from '../src/engine/lint.js';
import { getRule, knownRuleIds, recommendedRules } from '../src/engine/registry.js';
import { commentBody } from '../src/engine/suppressions.js';
import { extractFacts } from '../src/syntax/extract.js';
import type { CommentFact } from '../src/syntax/facts.js';
import { parseC } from '../src/syntax/parser.js';

export type AnnotationKind = 'expect' | 'expect-related' | 'todo-expect' | 'todo-ok';

export interface Annotation {
  kind: AnnotationKind;
  rule: string;
  /** The message (or, for expect-related, the related note) must contain this. */
  substring?: string;
  file: string;
  /** 1-based line the annotation is about. */
  line: number;
  /** 1-based line of the comment holding it. */
  commentLine: number;
}

/** Per-fixture settings from a leading `/* config: {"kernel": "6.1"} *\/` comment. */
export interface FixtureConfig {
  kernel?: string;
}

export interface ParsedFixture {
  file: string;
  text: string;
  annotations: Annotation[];
  expectNone: boolean;
  config?: FixtureConfig;
  /** Malformed annotations, unknown rule ids, bad config: each is a problem of its own. */
  errors: Problem[];
}

export interface Problem {
  file: string;
  /** 1-based; undefined for a problem with the whole file or case. */
  line?: number;
  text: string;
}

const KEYWORD = /^(expect-related|expect-none|expect|todo-expect|todo-ok)\b/;
const ANNOTATION = /^(expect|expect-related|todo-expect|todo-ok):\s*([A-Za-z0-9_-]+)(?:\s+("(?:[^"\\]|\\.)*"))?\s*$/;
const CONFIG_KEYS = new Set(['kernel']);

/** Split a comment body into its annotation segments: `expect: a // expect: b` holds two. */
function segments(body: string): string[] {
  return body.split(/\s*(?:\/\/|\/\*|\*\/)\s*/).map((s) => s.trim()).filter(Boolean);
}

/**
 * Read the annotations of one fixture file from its comment facts. `comments` are
 * `FileFacts.directives` (0-based lines, `ownLine` set for comments alone on their line).
 */
export function parseAnnotations(file: string, text: string, comments: readonly CommentFact[], knownRules: ReadonlySet<string>): ParsedFixture {
  const out: ParsedFixture = { file, text, annotations: [], expectNone: false, errors: [] };
  const lineCount = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  const parsed: { c: CommentFact; items: { kind: AnnotationKind; rule: string; substring?: string }[] }[] = [];

  for (const c of comments) {
    const segs = segments(commentBody(c.text));
    if (!segs.length || !KEYWORD.test(segs[0])) continue;
    const items: { kind: AnnotationKind; rule: string; substring?: string }[] = [];
    for (const seg of segs) {
      if (!KEYWORD.test(seg)) continue;
      if (/^expect-none\s*$/.test(seg)) {
        out.expectNone = true;
        continue;
      }
      const m = ANNOTATION.exec(seg);
      if (!m) {
        out.errors.push({ file, line: c.line + 1, text: `MALFORMED annotation '${seg}' (expected 'expect: rule-id', 'expect: rule-id "text"', 'expect-related:', 'todo-expect:', 'todo-ok:' or 'expect-none')` });
        continue;
      }
      if (!knownRules.has(m[2])) {
        out.errors.push({ file, line: c.line + 1, text: `UNKNOWN rule '${m[2]}' in annotation` });
        continue;
      }
      let substring: string | undefined;
      if (m[3] !== undefined) {
        try {
          substring = JSON.parse(m[3]) as string;
        } catch {
          out.errors.push({ file, line: c.line + 1, text: `MALFORMED string ${m[3]} in annotation` });
          continue;
        }
      }
      items.push({ kind: m[1] as AnnotationKind, rule: m[2], substring });
    }
    parsed.push({ c, items });
  }

  // Lines that hold only annotation comments: an own-line annotation skips them to find its target.
  const annotationLines = new Set<number>();
  for (const p of parsed) if (p.c.ownLine) for (let l = p.c.line; l <= p.c.endLine; l++) annotationLines.add(l);

  for (const { c, items } of parsed) {
    if (!items.length) continue;
    let target = c.line;
    if (c.ownLine) {
      target = c.endLine + 1;
      while (annotationLines.has(target)) target++;
      if (target >= lineCount) {
        out.errors.push({ file, line: c.line + 1, text: 'DANGLING annotation: no line follows it' });
        continue;
      }
    }
    for (const it of items) out.annotations.push({ ...it, file, line: target + 1, commentLine: c.line + 1 });
  }

  if (out.expectNone && out.annotations.some((a) => a.kind === 'expect' || a.kind === 'expect-related')) {
    out.errors.push({ file, text: "CONFLICT: 'expect-none' in a file that also expects diagnostics" });
  }
  return out;
}

/** The `/* config: {...} *\/` comment among the file's leading comments; errors for bad JSON or keys. */
export function parseConfig(firstComment: string | undefined, file: string): { config?: FixtureConfig; errors: Problem[] } {
  if (firstComment === undefined) return { errors: [] };
  const body = commentBody(firstComment);
  const m = /^config:\s*([\s\S]*)$/.exec(body);
  if (!m) return { errors: [] };
  let value: unknown;
  try {
    value = JSON.parse(m[1]);
  } catch (e) {
    return { errors: [{ file, line: 1, text: `BAD config comment: ${(e as Error).message}` }] };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { errors: [{ file, line: 1, text: 'BAD config comment: expected a JSON object' }] };
  const errors: Problem[] = [];
  for (const k of Object.keys(value)) if (!CONFIG_KEYS.has(k)) errors.push({ file, line: 1, text: `BAD config comment: unknown key '${k}'` });
  const kernel = (value as Record<string, unknown>).kernel;
  if (kernel !== undefined && typeof kernel !== 'string') errors.push({ file, line: 1, text: "BAD config comment: 'kernel' must be a string such as \"6.1\"" });
  return { config: errors.length ? undefined : (value as FixtureConfig), errors };
}

/** Parse a fixture file with gfplint's own parser and read its annotations and config. */
export function parseFixture(file: string, text: string, knownRules: ReadonlySet<string>): ParsedFixture {
  const tree = parseC(text);
  if (!tree) throw new Error(`${file}: the parser gave no tree`);
  const facts = extractFacts(tree, text);
  const parsed = parseAnnotations(file, text, facts.directives, knownRules);
  // The config comment may follow the SPDX line: look through the file's leading comments.
  const leading: string[] = [];
  for (const n of tree.rootNode.namedChildren) {
    if (n.type !== 'comment') break;
    leading.push(n.text);
  }
  const { config, errors } = parseConfig(leading.find((c) => /^config:/.test(commentBody(c))), file);
  parsed.config = config;
  parsed.errors.push(...errors);
  return parsed;
}

const compatible = (a: Annotation, d: Diagnostic): boolean => a.rule === d.rule && (a.substring === undefined || d.message.includes(a.substring));

/** Maximum bipartite matching (Kuhn): annotation index → diagnostic index. */
function match(anns: Annotation[], diags: Diagnostic[]): Map<number, number> {
  const owner = new Map<number, number>();
  const tryAssign = (a: number, seen: Set<number>): boolean => {
    for (let d = 0; d < diags.length; d++) {
      if (seen.has(d) || !compatible(anns[a], diags[d])) continue;
      seen.add(d);
      const o = owner.get(d);
      if (o === undefined || tryAssign(o, seen)) {
        owner.set(d, a);
        return true;
      }
    }
    return false;
  };
  for (let a = 0; a < anns.length; a++) tryAssign(a, new Set());
  return new Map([...owner].map(([d, a]) => [a, d]));
}

function quoteMessage(s: string): string {
  return JSON.stringify(s);
}

function describe(a: Annotation): string {
  return `${a.rule}${a.substring === undefined ? '' : ' ' + quoteMessage(a.substring)}`;
}

/**
 * Every problem of one case: annotation errors, expectations nothing satisfied, diagnostics no
 * annotation claimed, stale `todo-*` annotations, and a vacuous case (no annotation anywhere and
 * no `expect-none`).
 */
export function matchExpectations(files: readonly ParsedFixture[], diagnostics: readonly Diagnostic[]): Problem[] {
  const problems: Problem[] = files.flatMap((f) => f.errors);
  const known = new Set(files.map((f) => f.file));
  const anyAnnotation = files.some((f) => f.expectNone || f.annotations.length > 0);
  if (!anyAnnotation) {
    problems.push({ file: files[0]?.file ?? '?', text: "VACUOUS: no 'expect:' annotation and no 'expect-none'; say what this fixture should produce" });
  }

  for (const d of diagnostics) {
    if (!known.has(d.file)) problems.push({ file: d.file, text: `UNEXPECTED in a file outside the fixture: ${d.rule} at line ${d.line} ${quoteMessage(d.message)}` });
    if (d.message.includes('{{')) problems.push({ file: d.file, line: d.line, text: `UNFILLED placeholder: ${d.rule} ${quoteMessage(d.message)}` });
  }

  for (const f of files) {
    const lines = new Set<number>([...f.annotations.map((a) => a.line), ...diagnostics.filter((d) => d.file === f.file).map((d) => d.line)]);
    for (const line of [...lines].sort((a, b) => a - b)) {
      const here = diagnostics.filter((d) => d.file === f.file && d.line === line);
      const anns = f.annotations.filter((a) => a.line === line);
      // Annotations with a substring are the more specific; match them first (Kuhn's result is maximal anyway).
      const claimers = anns.filter((a) => a.kind === 'expect' || a.kind === 'todo-ok').sort((a, b) => Number(b.substring !== undefined) - Number(a.substring !== undefined));
      const assigned = match(claimers, here);
      const claimed = new Set(assigned.values());
      claimers.forEach((a, i) => {
        if (assigned.has(i)) return;
        problems.push({
          file: f.file,
          line,
          text: a.kind === 'expect' ? `MISSING expect: ${describe(a)}` + nearMiss(a, here, claimed) : `STALE todo-ok: ${describe(a)} no longer fires; delete the annotation`,
        });
      });
      const todos = anns.filter((a) => a.kind === 'todo-expect');
      here.forEach((d, i) => {
        if (claimed.has(i)) return;
        const todo = todos.find((t) => compatible(t, d));
        if (todo) problems.push({ file: f.file, line, text: `FIXED todo-expect: ${d.rule} now fires (${quoteMessage(d.message)}); promote it to 'expect:'` });
        else problems.push({ file: f.file, line, text: `UNEXPECTED: ${d.rule} ${quoteMessage(d.message)}` });
      });
    }
    for (const a of f.annotations.filter((x) => x.kind === 'expect-related')) {
      const ok = diagnostics.some((d) => d.rule === a.rule && d.related.some((r) => r.file === f.file && r.line === a.line && (a.substring === undefined || r.message.includes(a.substring))));
      if (!ok) problems.push({ file: f.file, line: a.line, text: `MISSING expect-related: ${describe(a)} (no '${a.rule}' diagnostic has a related location on this line)` });
    }
  }
  return problems;
}

/** When an `expect` with a substring failed but the rule fired on its line, say what it said. */
function nearMiss(a: Annotation, here: Diagnostic[], claimed: Set<number>): string {
  if (a.substring === undefined) return '';
  const other = here.find((d, i) => !claimed.has(i) && d.rule === a.rule);
  return other ? ` (it fired with ${quoteMessage(other.message)})` : '';
}

/**
 * The failure report: each fixture file with problems, re-rendered with line numbers and the
 * problems written as comments at the end of the lines they concern, file-level ones first.
 */
export function renderFailure(files: readonly ParsedFixture[], problems: readonly Problem[]): string {
  const out: string[] = [`${problems.length} fixture problem${problems.length === 1 ? '' : 's'}:`];
  const byFile = new Map<string, Problem[]>();
  for (const p of problems) byFile.set(p.file, [...(byFile.get(p.file) ?? []), p]);
  for (const [file, ps] of byFile) {
    out.push('', `${file}:`);
    for (const p of ps.filter((x) => x.line === undefined)) out.push(`  // ${p.text}`);
    const f = files.find((x) => x.file === file);
    if (!f) continue;
    const lines = f.text.replace(/\n$/, '').split('\n');
    const width = String(lines.length).length;
    lines.forEach((text, i) => {
      const mine = ps.filter((p) => p.line === i + 1);
      const mark = mine.length ? '>' : ' ';
      out.push(`${mark}${String(i + 1).padStart(width)} | ${text}${mine.map((p) => `  // ${p.text}`).join('')}`);
    });
    for (const p of ps.filter((x) => x.line !== undefined && x.line > lines.length)) out.push(`  line ${p.line}: // ${p.text}`);
  }
  return out.join('\n');
}

/** gfplint's own tree (this file lives in test/). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const fixturesRoot = join(repoRoot, 'fixtures');
export const ALL_RULES_DIR = 'all-rules';

export interface FixtureCase {
  /** Folder under fixtures/: a rule id or `all-rules`. */
  dir: string;
  /** `goto-error-path.c` for a single file, `two-files/` for a multi-file project. */
  name: string;
  /** Absolute paths of the case's files, sorted. */
  files: string[];
}

/** The folders under fixtures/, sorted. */
export function listFixtureDirs(): string[] {
  if (!existsSync(fixturesRoot)) return [];
  return readdirSync(fixturesRoot, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
}

export function cFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...cFilesUnder(p));
    else if (/\.[ch]$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

/** Every `fixtures/<dir>/*.c` is a case, and so is every `fixtures/<dir>/<sub>/` (one project). */
export function listCases(dir: string): FixtureCase[] {
  const base = join(fixturesRoot, dir);
  const cases: FixtureCase[] = [];
  for (const e of readdirSync(base, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (e.isFile() && e.name.endsWith('.c')) cases.push({ dir, name: e.name, files: [join(base, e.name)] });
    else if (e.isDirectory()) cases.push({ dir, name: e.name + '/', files: cFilesUnder(join(base, e.name)) });
  }
  return cases;
}

export interface CaseOutcome {
  parsed: ParsedFixture[];
  diagnostics: Diagnostic[];
  problems: Problem[];
}

/**
 * Run one case: the folder's rule alone (or every recommended rule for `all-rules`), on the
 * case's files as in-memory sources, with the kernel version from a config comment.
 */
export async function runCase(c: FixtureCase): Promise<CaseOutcome> {
  const known = knownRuleIds();
  const problems: Problem[] = [];
  const sources = c.files.map((abs) => ({ path: relative(repoRoot, abs).split(sep).join('/'), text: readFileSync(abs, 'utf8') }));
  const parsed = sources.map((s) => parseFixture(s.path, s.text, known));
  if (!sources.length) problems.push({ file: `fixtures/${c.dir}/${c.name}`, text: 'EMPTY case: no .c or .h files' });
  let rules: string[];
  if (c.dir === ALL_RULES_DIR) rules = recommendedRules().map((r) => r.id);
  else if (getRule(c.dir)) rules = [c.dir];
  else {
    problems.push({ file: sources[0]?.path ?? c.dir, text: `UNKNOWN fixture folder 'fixtures/${c.dir}/': not a rule id and not '${ALL_RULES_DIR}'` });
    return { parsed, diagnostics: [], problems };
  }
  const kernels = [...new Set(parsed.map((p) => p.config?.kernel).filter((k): k is string => k !== undefined))];
  if (kernels.length > 1) problems.push({ file: sources[0].path, text: `CONFLICT: the case's files configure different kernels: ${kernels.join(', ')}` });
  const result = await lint({ sources, cwd: repoRoot, rules, kernelVersion: kernels[0] });
  for (const s of result.skipped) problems.push({ file: s.file, text: `SKIPPED by gfplint: ${s.reason}` });
  const diagnostics = [...result.findings, ...result.unusedSuppressions];
  problems.push(...matchExpectations(parsed, diagnostics));
  return { parsed, diagnostics, problems };
}

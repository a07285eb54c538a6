/**
 * Baselines: a kernel tree has a hundred findings nobody will fix this week; CI must fail only on
 * new ones. A baseline file lists the accepted findings keyed by file, rule, function and the
 * line-independent fingerprint (engine/fingerprint.ts), each with a count, never a line: code
 * that moves keeps its entry, and a second identical finding in the same function is new.
 *
 * Paths in the file are relative to the baseline's own directory, so the same file works from any
 * working directory; the fingerprints are computed over those paths.
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Diagnostic } from './diagnostic.js';
import { fingerprints, type SourceReader } from './fingerprint.js';
import { TOOL_NAME } from './tool-info.js';

export const BASELINE_VERSION = 1;

export interface BaselineEntry {
  file: string;
  rule: string;
  function: string;
  fingerprint: string;
  count: number;
  /** The first matching finding's message, for a person reading the file; not matched on. */
  message: string;
}

export interface Baseline {
  version: typeof BASELINE_VERSION;
  tool: typeof TOOL_NAME;
  entries: BaselineEntry[];
}

/** A baseline that cannot be read or is not one: one line naming the file. */
export class BaselineError extends Error {}

/** Read and check a baseline file. */
export function readBaseline(path: string): Baseline {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new BaselineError(`cannot read baseline '${path}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file (create it with --update-baseline)' : (e as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new BaselineError(`baseline '${path}' is not valid JSON: ${(e as Error).message}`);
  }
  const bad = (what: string) => new BaselineError(`baseline '${path}' is damaged: ${what}`);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad('expected a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.version !== BASELINE_VERSION) throw bad(`unsupported version ${JSON.stringify(o.version)} (expected ${BASELINE_VERSION})`);
  if (!Array.isArray(o.entries)) throw bad("'entries' is not an array");
  const entries = o.entries.map((e: unknown, i): BaselineEntry => {
    if (typeof e !== 'object' || e === null) throw bad(`entry ${i} is not an object`);
    const x = e as Record<string, unknown>;
    for (const k of ['file', 'rule', 'function', 'fingerprint'] as const) {
      if (typeof x[k] !== 'string') throw bad(`entry ${i}: '${k}' is not a string`);
    }
    if (!/^[0-9a-f]{16}$/.test(x.fingerprint as string)) throw bad(`entry ${i}: 'fingerprint' is not 16 hex digits`);
    if (typeof x.count !== 'number' || !Number.isInteger(x.count) || x.count < 1) throw bad(`entry ${i}: 'count' is not a positive integer`);
    return { file: x.file as string, rule: x.rule as string, function: x.function as string, fingerprint: x.fingerprint as string, count: x.count, message: typeof x.message === 'string' ? x.message : '' };
  });
  return { version: BASELINE_VERSION, tool: TOOL_NAME, entries };
}

export function formatBaseline(b: Baseline): string {
  const entries = [...b.entries].sort((x, y) => cmp(x.file, y.file) || cmp(x.function, y.function) || cmp(x.rule, y.rule) || cmp(x.fingerprint, y.fingerprint));
  return JSON.stringify({ version: b.version, tool: b.tool, entries }, null, 2) + '\n';
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the baseline lives, for paths relative to it. */
export interface BaselineContext {
  baselinePath: string;
  cwd: string;
  source: SourceReader;
}

/** A finding's path relative to the baseline's directory (forward slashes). */
function baselinePath(file: string, ctx: BaselineContext): string {
  const abs = resolve(ctx.cwd, file);
  const rel = relative(dirname(resolve(ctx.cwd, ctx.baselinePath)), abs);
  return (isAbsolute(rel) ? abs : rel).split(sep).join('/');
}

interface Keyed {
  d: Diagnostic;
  file: string;
  key: string;
  occurrence: number;
}

function keyed(diags: readonly Diagnostic[], ctx: BaselineContext): Keyed[] {
  const files = diags.map((d) => baselinePath(d.file, ctx));
  // The fingerprint over the baseline-relative path; the text is still read through the finding's own path.
  const byBaselinePath = new Map(diags.map((d, i) => [files[i], d.file]));
  const prints = fingerprints(diags.map((d, i) => ({ ...d, file: files[i] })), (f) => ctx.source(byBaselinePath.get(f) ?? f));
  return diags.map((d, i) => ({ d, file: files[i], key: prints[i].key, occurrence: prints[i].occurrence }));
}

const entryId = (file: string, key: string) => `${file}\0${key}`;

export interface BaselineOutcome {
  /** Findings the baseline does not cover, to report. */
  kept: Diagnostic[];
  /** Findings the baseline hid. */
  hidden: Diagnostic[];
  /** Entries (or parts of their counts) that matched nothing in the scanned files. */
  unmatched: BaselineEntry[];
}

/**
 * Hide each finding whose entry still has count left (the first `count` occurrences in source
 * order; later ones are new). `inScope(file)` says whether a baseline file was scanned this run:
 * only those entries can be unmatched.
 */
export function applyBaseline(diags: readonly Diagnostic[], baseline: Baseline, ctx: BaselineContext, inScope: (file: string) => boolean): BaselineOutcome {
  const budget = new Map<string, BaselineEntry>();
  for (const e of baseline.entries) {
    const id = entryId(e.file, e.fingerprint);
    const prev = budget.get(id);
    budget.set(id, prev ? { ...prev, count: prev.count + e.count } : { ...e });
  }
  const used = new Map<string, number>();
  const kept: Diagnostic[] = [];
  const hidden: Diagnostic[] = [];
  for (const k of keyed(diags, ctx)) {
    const id = entryId(k.file, k.key);
    const e = budget.get(id);
    if (e && k.occurrence <= e.count) {
      hidden.push(k.d);
      used.set(id, (used.get(id) ?? 0) + 1);
    } else kept.push(k.d);
  }
  const unmatched: BaselineEntry[] = [];
  for (const [id, e] of budget) {
    const n = used.get(id) ?? 0;
    if (n < e.count && inScope(e.file)) unmatched.push({ ...e, count: e.count - n });
  }
  return { kept, hidden, unmatched };
}

/** The baseline of these findings (their counts per entry). */
export function makeBaseline(diags: readonly Diagnostic[], ctx: BaselineContext): Baseline {
  const entries = new Map<string, BaselineEntry>();
  for (const k of keyed(diags, ctx)) {
    const id = entryId(k.file, k.key);
    const e = entries.get(id);
    if (e) e.count++;
    else entries.set(id, { file: k.file, rule: k.d.rule, function: k.d.function, fingerprint: k.key, count: 1, message: k.d.message });
  }
  return { version: BASELINE_VERSION, tool: TOOL_NAME, entries: [...entries.values()] };
}

/**
 * `--update-baseline`: the findings of the scanned files replace their entries; entries of files
 * this run did not scan stay.
 */
export function updateBaseline(old: Baseline | undefined, diags: readonly Diagnostic[], ctx: BaselineContext, inScope: (file: string) => boolean): Baseline {
  const fresh = makeBaseline(diags, ctx);
  const kept = (old?.entries ?? []).filter((e) => !inScope(e.file));
  return { ...fresh, entries: [...kept, ...fresh.entries] };
}

/** `--prune-baseline`: drop what matched nothing and lower counts to what still matches. */
export function pruneBaseline(old: Baseline, outcome: BaselineOutcome): Baseline {
  const surplus = new Map(outcome.unmatched.map((e) => [entryId(e.file, e.fingerprint), e.count]));
  const entries: BaselineEntry[] = [];
  for (const e of old.entries) {
    const id = entryId(e.file, e.fingerprint);
    const extra = surplus.get(id) ?? 0;
    const cut = Math.min(extra, e.count);
    if (cut) surplus.set(id, extra - cut);
    if (e.count - cut > 0) entries.push({ ...e, count: e.count - cut });
  }
  return { ...old, entries };
}

/**
 * Whether a baseline path (relative to the baseline's directory) lies under one of the scanned
 * targets and was not skipped: only such entries can be replaced or found unmatched.
 */
export function scannedScope(targets: readonly string[], skipped: readonly string[], ctx: Pick<BaselineContext, 'baselinePath' | 'cwd'>): (file: string) => boolean {
  const base = dirname(resolve(ctx.cwd, ctx.baselinePath));
  const roots = targets.map((t) => resolve(ctx.cwd, t));
  const skip = new Set(skipped.map((f) => resolve(ctx.cwd, f)));
  return (file) => {
    const abs = resolve(base, file);
    if (skip.has(abs)) return false;
    return roots.some((r) => abs === r || abs.startsWith(r.endsWith(sep) ? r : r + sep));
  };
}

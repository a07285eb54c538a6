/**
 * The pipeline every front end calls: discover files → read → parse and extract facts → build
 * the model for the kernel version → analyse each function → interprocedural view → rules →
 * suppressions → sorted diagnostics.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { AnalysisTimeout, analyzeFunction } from '../function/analyze.js';
import type { FunctionView } from '../function/view.js';
import { createModel, type Model } from '../model/context.js';
import { builtinGfpTable, loadTreeGfpTable, withAliases } from '../model/gfp-tables.js';
import { NEWEST_MODELLED, parseKernelVersion, versionFromMakefile, type KernelVersion } from '../model/version.js';
import type { Expr } from '../syntax/expr.js';
import type { CommentFact, FileFacts, Rng } from '../syntax/facts.js';
import { discoverFiles } from '../program/discover.js';
import { buildProgram, type Program } from '../program/program.js';
import { extractSource, readSource } from '../program/source.js';
import { collectFacts } from '../program/workers.js';
import { compareDiagnostics, type Diagnostic } from './diagnostic.js';
import type { LintOptions, LintResult } from './lint-types.js';
import { resolveRuleSelection } from './registry.js';
import { renderMessage, type Rule } from './rule.js';
import { applySuppressions } from './suppressions.js';
import { toolVersion } from './tool-info.js';

export const DEFAULT_FILE_TIMEOUT_MS = 5000;

export class LintError extends Error {}

export interface AnalysedFile {
  path: string;
  facts: FileFacts;
}

/** Find the kernel tree a path lives in: the nearest ancestor whose Makefile names VERSION/PATCHLEVEL. */
export function findKernelRoot(start: string): { root: string; version?: KernelVersion } | undefined {
  let dir = path.resolve(start);
  try {
    if (!statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    return undefined;
  }
  for (let i = 0; i < 64; i++) {
    const mk = path.join(dir, 'Makefile');
    if (existsSync(mk) && existsSync(path.join(dir, 'include', 'linux'))) {
      try {
        const v = versionFromMakefile(readFileSync(mk, 'utf8').slice(0, 4096));
        if (v) return { root: dir, version: v };
      } catch {
        // unreadable Makefile: keep looking upwards
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

export function buildModel(opts: { kernelVersion?: string; treeRoot?: string; treeVersion?: KernelVersion; aliases?: Map<string, Expr> }): { model: Model; unresolvedAliases: string[] } {
  let version: KernelVersion = opts.treeVersion ?? NEWEST_MODELLED;
  if (opts.kernelVersion) {
    const v = parseKernelVersion(opts.kernelVersion);
    if ('error' in v) throw new LintError(v.error);
    version = v;
  }
  const base = (opts.treeRoot && loadTreeGfpTable(opts.treeRoot, version)) || builtinGfpTable(version);
  const { table, unresolved } = withAliases(base, opts.aliases ?? new Map());
  return { model: createModel(version, table), unresolvedAliases: unresolved };
}

function toLoc(r: Rng) {
  return { line: r[0] + 1, column: r[1] + 1, endLine: r[2] + 1, endColumn: r[3] + 1 };
}

export async function lint(opts: LintOptions): Promise<LintResult> {
  const t0 = performance.now();
  const skipped: { file: string; reason: string }[] = [];
  const skip = (file: string, reason: string) => {
    skipped.push({ file, reason });
    opts.onSkip?.(file, reason);
  };
  const selection = resolveRuleSelection(opts.rules, opts.disable);
  if ('error' in selection) throw new LintError(selection.error);
  const rules: Rule[] = selection;

  // 1. Inputs.
  const inputs: { path: string; abs?: string; text?: string }[] = [];
  let treeRoot: string | undefined;
  let treeVersion: KernelVersion | undefined;
  if (opts.sources) {
    for (const s of opts.sources) inputs.push({ path: s.path, text: s.text });
  } else {
    const found = await discoverFiles(opts.paths?.length ? opts.paths : ['.'], opts.cwd, skip);
    for (const f of found) inputs.push({ path: f.display, abs: f.abs });
    const first = (opts.paths?.length ? opts.paths : ['.'])[0];
    const kr = findKernelRoot(path.resolve(opts.cwd, first));
    if (kr) {
      treeRoot = kr.root;
      treeVersion = kr.version;
    }
  }

  // 2-4 per shard: a large tree is analysed subsystem by subsystem so that memory stays bounded
  // (facts and views of one shard are dropped before the next). Calls across shards are calls
  // gfplint cannot see, which only ever makes the interprocedural rules quieter.
  const budget = opts.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const aliases = new Map<string, Expr>();
  const raw: Diagnostic[] = [];
  const unresolved: Record<string, number> = {};
  const directives = new Map<string, CommentFact[]>();
  let allocationSites = 0;
  let functions = 0;
  let filesScanned = 0;
  let cacheHits = 0;
  let model = buildModel({ kernelVersion: opts.kernelVersion, treeRoot, treeVersion }).model;
  const shards = shardInputs(inputs);
  let done = 0;
  for (const shard of shards) {
    // Worker threads, pre-scan and facts cache: src/program/workers.ts. Files come back in input order.
    const collected = await collectFacts(
      shard,
      { cwd: opts.cwd, paths: opts.paths, jobs: opts.jobs, cacheDir: opts.cacheDir, noCache: opts.noCache, fileTimeoutMs: budget, signal: opts.signal, toolVersion: toolVersion() },
      skip,
      opts.onProgress ? (d, _t) => opts.onProgress!(done + d, inputs.length) : undefined,
    );
    done += shard.length;
    const files: AnalysedFile[] = collected.files;
    cacheHits += collected.stats.cacheHits;
    filesScanned += files.length;
    if (opts.signal?.aborted) throw new LintError('interrupted');

    // 3. Model: version, GFP table from the tree, aliases defined by macro in scanned files
    // (include/ is analysed first, so its aliases reach every later shard).
    for (const f of files) for (const m of f.facts.macros) if (!aliases.has(m.name)) aliases.set(m.name, m.expr);
    model = buildModel({ kernelVersion: opts.kernelVersion, treeRoot, treeVersion, aliases }).model;

    // 4. Functions (each file within its time budget: a file over it is reported and dropped
    // whole, never half-used), program view, rules.
    const views: FunctionView[] = [];
    const analysed: AnalysedFile[] = [];
    for (const f of files) {
      const t1 = performance.now();
      try {
        const fileViews = f.facts.functions.map((fn) => analyzeFunction(fn, f.path, model, { deadline: t1 + budget }));
        for (const v of fileViews) views.push(v); // not push(...): a file may hold 100,000s of functions
        analysed.push(f);
      } catch (e) {
        const ms = (performance.now() - t1).toFixed(0);
        // A bug in the analysis of one file must not end the run either: the file is dropped as
        // extractSource drops one whose extraction throws.
        skip(f.path, e instanceof AnalysisTimeout ? `over the time budget while analysing '${e.functionName}' (${ms} ms)` : `analysis failed: ${(e as Error).message}`);
      }
    }
    filesScanned -= files.length - analysed.length;
    const program = buildProgram(analysed, views, model);
    functions += views.length;
    for (const fv of program.views) {
      allocationSites += fv.allocations.length;
      for (const a of fv.allocations) if (a.gfp.kind === 'unknown') for (const u of a.gfp.unresolved) unresolved[u] = (unresolved[u] ?? 0) + 1;
      for (const rule of rules) {
        // A rule that throws on one function loses that function's findings of that rule, not
        // the run: it is reported once per file, like any other file that could not be checked.
        try {
          for (const f of rule.check(fv, { model, program: program.view })) {
            raw.push({
              rule: rule.id,
              severity: rule.severity,
              file: fv.file,
              ...toLoc(f.at),
              function: fv.name,
              message: renderMessage(rule.messages[f.message], f.data),
              related: (f.related ?? []).map((r) => ({ file: r.file ?? fv.file, line: r.at[0] + 1, column: r.at[1] + 1, message: r.note })),
            });
          }
        } catch (e) {
          skip(fv.file, `rule '${rule.id}' failed on '${fv.name}': ${(e as Error).message}`);
        }
      }
    }
    for (const f of analysed) if (f.facts.directives.length) directives.set(f.path, f.facts.directives);
    await new Promise((r) => setImmediate(r));
    if (opts.signal?.aborted) throw new LintError('interrupted');
  }
  const { kept, unused, suppressed } = applySuppressions(dedupe(raw), directives, { enabledRules: new Set(rules.map((r) => r.id)) });
  kept.sort(compareDiagnostics);
  unused.sort(compareDiagnostics);
  return {
    kernelVersion: model.versionText,
    gfpSource: model.table.source,
    filesScanned,
    findings: kept,
    unusedSuppressions: unused,
    suppressed: suppressed.sort(compareDiagnostics),
    skipped,
    stats: {
      files: filesScanned,
      functions,
      allocationSites,
      seconds: (performance.now() - t0) / 1000,
      unresolved,
      cacheHits,
    },
  };
}

/** Files per shard: fs/, mm/ and block/ of 6.12 together (~2,600 files) peak near 1.1 GB. */
const SHARD_FILES = 2500;

/**
 * Groups inputs by subsystem (first path component, or the first two for a component larger
 * than a shard), include/ first, merging neighbours up to SHARD_FILES. Deterministic.
 */
export function shardInputs<T extends { path: string }>(inputs: T[]): T[][] {
  if (inputs.length <= SHARD_FILES) return [inputs];
  const byTop = new Map<string, T[]>();
  for (const i of inputs) {
    const top = i.path.split('/')[0];
    byTop.set(top, [...(byTop.get(top) ?? []), i]);
  }
  const groups: T[][] = [];
  const tops = [...byTop.keys()].sort((a, b) => (a === 'include' ? -1 : b === 'include' ? 1 : a < b ? -1 : a > b ? 1 : 0));
  for (const top of tops) {
    const list = byTop.get(top)!;
    if (list.length <= SHARD_FILES) groups.push(list);
    else {
      const bySub = new Map<string, T[]>();
      for (const i of list) {
        const sub = i.path.split('/').slice(0, 2).join('/');
        bySub.set(sub, [...(bySub.get(sub) ?? []), i]);
      }
      for (const sub of [...bySub.keys()].sort()) groups.push(bySub.get(sub)!);
    }
  }
  const shards: T[][] = [];
  for (const g of groups) {
    const last = shards[shards.length - 1];
    if (last && last.length + g.length <= SHARD_FILES) last.push(...g);
    else shards.push([...g]);
  }
  return shards;
}

/** One defect, one finding: identical findings (same rule, place, message) collapse. */
function dedupe(ds: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = `${d.rule}\0${d.file}\0${d.line}\0${d.column}\0${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * For `gfplint facts`: one file's functions as the analysis sees them. The file's own
 * `#include "…"` headers next to it are analysed too, since inference needs their inline helpers
 * (fs/xfs/xfs_trans.c's scope comes from xfs_trans_set_context() in xfs_trans.h).
 */
export function analyzeFile(file: string, opts: { cwd: string; kernelVersion?: string; fileTimeoutMs?: number }): { views: FunctionView[]; model: Model; program?: Program; skipped?: string } {
  const abs = path.resolve(opts.cwd, file);
  const kr = findKernelRoot(abs);
  const read = readSource(abs);
  const { model } = buildModel({ kernelVersion: opts.kernelVersion, treeRoot: kr?.root, treeVersion: kr?.version });
  if ('skip' in read) return { views: [], model, skipped: read.skip };
  const budget = opts.fileTimeoutMs ?? DEFAULT_FILE_TIMEOUT_MS;
  const ex = extractSource(read.text, budget);
  if ('skip' in ex) return { views: [], model, skipped: ex.skip };
  const files: AnalysedFile[] = [{ path: file, facts: ex.facts }];
  for (const m of read.text.matchAll(/^\s*#\s*include\s+"([^"]+)"/gm)) {
    const hdr = path.resolve(path.dirname(abs), m[1]);
    const r = readSource(hdr);
    if ('skip' in r) continue;
    const hx = extractSource(r.text, budget);
    if (!('skip' in hx)) files.push({ path: path.relative(opts.cwd, hdr).split(path.sep).join('/'), facts: hx.facts });
  }
  const aliases = new Map<string, Expr>();
  for (const f of files) for (const m of f.facts.macros) if (!aliases.has(m.name)) aliases.set(m.name, m.expr);
  const withLocal = buildModel({ kernelVersion: opts.kernelVersion, treeRoot: kr?.root, treeVersion: kr?.version, aliases }).model;
  const views = files.flatMap((f) => f.facts.functions.map((fn) => analyzeFunction(fn, f.path, withLocal)));
  const program = buildProgram(files, views, withLocal);
  return { views: program.views.filter((v) => v.file === file), model: withLocal, program };
}

/**
 * The language server's one door into the engine: check an editor buffer (findings and NOFS
 * verdicts), the analysis facts of a buffer (for hover), and the whole-tree summaries a buffer
 * inside a kernel tree is checked against. Everything else in src/lsp speaks LSP only, so a
 * faster engine entry point (the program database) replaces this file alone.
 */
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic, FixProposal, TextEdit } from '../engine/diagnostic.js';
import { analyzeFile, findKernelRoot } from '../engine/lint.js';
import { lint } from '../engine/lint.js';
import type { SiteVerdict } from '../engine/lint-types.js';
import { toolVersion } from '../engine/tool-info.js';
import type { FunctionView } from '../function/view.js';
import type { Model } from '../model/context.js';
import { formatVersion } from '../model/version.js';
import { defaultCacheDir } from '../program/facts-cache.js';
import type { Program } from '../program/program.js';
import { databaseHasTree, databasePath } from '../program/database.js';

export interface CheckerConfig {
  /** `X.Y[.Z]`; default: the tree's Makefile, else the newest modelled. */
  kernelVersion?: string;
  cacheDir?: string;
  /** Neither read nor write whole-tree summaries. */
  noCache?: boolean;
  fileTimeoutMs?: number;
}

/** Where a buffer lives as the engine sees it. */
export interface BufferLocation {
  /** Absolute path of the buffer's file (its `display` path resolved against `cwd`). */
  file: string;
  /** The kernel tree's root when the file is inside one, else the file's directory. */
  cwd: string;
  /** The path findings carry: relative to `cwd`, forward slashes. */
  display: string;
  /** Set when the file is inside a kernel tree (findKernelRoot). */
  treeRoot?: string;
  /** The tree's version from its Makefile. */
  treeVersion?: string;
}

/** A text replacement, 1-based like Diagnostic (end exclusive): the engine's own shape. */
export type FixEdit = TextEdit;

/** A fix or suggestion a finding may carry (rules declare them; `--fix` applies `fix`). */
export type FindingFix = FixProposal;

export type BufferFinding = Diagnostic & { fix?: FindingFix; suggestions?: FindingFix[] };

export interface BufferCheck {
  location: BufferLocation;
  kernelVersion: string;
  /** Findings, then `unused-disable` problems. */
  findings: BufferFinding[];
  /** NOFS/NOIO verdicts of the buffer's sites, when the engine gives them. */
  sites: SiteVerdict[];
  /** Why the buffer could not be checked (too large, over its time budget), one line each. */
  skipped: string[];
  /** The whole-tree summaries it was checked against, when there are any. */
  summaries?: string;
}

export interface BufferFacts {
  location: BufferLocation;
  views: FunctionView[];
  model: Model;
  program?: Program;
  skipped?: string;
}

/** Locate a file: inside a kernel tree, paths are the tree's; otherwise the file's directory. */
export function locateBuffer(file: string): BufferLocation {
  const abs = path.resolve(file);
  const kr = findKernelRoot(path.dirname(abs));
  const cwd = kr?.root ?? path.dirname(abs);
  return {
    file: abs,
    cwd,
    display: path.relative(cwd, abs).split(path.sep).join('/'),
    ...(kr ? { treeRoot: kr.root, ...(kr.version ? { treeVersion: formatVersion(kr.version) } : {}) } : {}),
  };
}

function cacheDirOf(config: CheckerConfig): string {
  return path.resolve(config.cacheDir ?? defaultCacheDir());
}

/** The program database of `treeRoot` (program/database.ts), whether or not it exists. */
export function summariesFile(treeRoot: string, config: CheckerConfig): string {
  return databasePath(cacheDirOf(config), toolVersion(), treeRoot);
}

/** True when a whole-tree scan left summaries for `treeRoot` that this gfplint can read. */
export function summariesExist(treeRoot: string, config: CheckerConfig): boolean {
  return !config.noCache && databaseHasTree(summariesFile(treeRoot, config), treeRoot, treeRoot);
}

/** Check one buffer as a scan of its file would, with the tree's version and stored summaries. */
export async function checkBuffer(location: BufferLocation, text: string, config: CheckerConfig): Promise<BufferCheck> {
  const skipped: string[] = [];
  const result = await lint({
    sources: [{ path: location.display, text }],
    cwd: location.cwd,
    treeRoot: location.treeRoot,
    kernelVersion: config.kernelVersion,
    cacheDir: cacheDirOf(config),
    noCache: config.noCache,
    fileTimeoutMs: config.fileTimeoutMs,
    rememberResults: false,
    jobs: 1,
    onSkip: (_file, reason) => skipped.push(reason),
  });
  const mine = (d: Diagnostic) => d.file === location.display;
  return {
    location,
    kernelVersion: result.kernelVersion,
    findings: [...result.findings.filter(mine), ...result.unusedSuppressions.filter(mine)],
    sites: (result.sites ?? []).filter((s) => s.file === location.display),
    skipped,
    // The run itself says whether a whole-tree database answered (no second open per edit).
    ...(location.treeRoot && result.stats.database && result.stats.database.answers !== 'whole' ? { summaries: summariesFile(location.treeRoot, config) } : {}),
  };
}

/** What the analysis decided for each function of the buffer (`gfplint facts`), for hover. */
export function bufferFacts(location: BufferLocation, text: string, config: CheckerConfig): BufferFacts {
  const r = analyzeFile(location.display, {
    cwd: location.cwd,
    text,
    kernelVersion: config.kernelVersion,
    cacheDir: cacheDirOf(config),
    noCache: config.noCache,
    fileTimeoutMs: config.fileTimeoutMs,
  });
  return { location, ...r };
}

export interface SummaryBuild {
  /** Resolves when the scan ends: its one-line outcome. */
  done: Promise<{ ok: boolean; message: string }>;
  cancel(): void;
}

/**
 * Scan the whole tree in a child process (a scan of the tree's root writes its summaries),
 * reporting files done of total. A child keeps the scan's gigabytes out of the server and a
 * crash of the scan from ending it.
 */
export function buildSummaries(treeRoot: string, config: CheckerConfig, onProgress: (done: number, total: number) => void): SummaryBuild {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'build-summaries.js');
  const child = fork(script, [], {
    cwd: treeRoot,
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, GFPLINT_BUILD: JSON.stringify({ treeRoot, cacheDir: cacheDirOf(config), kernelVersion: config.kernelVersion }) },
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-2000);
  });
  const done = new Promise<{ ok: boolean; message: string }>((resolve) => {
    let outcome: { ok: boolean; message: string } | undefined;
    child.on('message', (m: { progress?: [number, number]; done?: string; error?: string }) => {
      if (m.progress) onProgress(m.progress[0], m.progress[1]);
      if (m.done) outcome = { ok: true, message: m.done };
      if (m.error) outcome = { ok: false, message: m.error };
    });
    child.on('error', (e) => resolve({ ok: false, message: `cannot start the scan: ${e.message}` }));
    child.on('exit', (code, signal) => {
      const last = stderr.trim().split('\n').pop();
      resolve(outcome ?? { ok: false, message: signal ? `the scan was ended by ${signal}` : `the scan exited with status ${code}${last ? `: ${last}` : ''}` });
    });
  });
  return { done, cancel: () => child.kill('SIGTERM') };
}

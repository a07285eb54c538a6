/**
 * The contract between the pipeline and its front ends (CLI, tests, editor): what a run is asked
 * to do and what it answers.
 */
import type { Diagnostic } from './diagnostic.js';

export interface SourceInput {
  /** Path as it will be printed (relative to cwd, forward slashes). */
  path: string;
  text: string;
}

export interface LintOptions {
  /** Files or directories to scan (CLI); ignored when `sources` is given. */
  paths?: string[];
  /** In-memory sources (fixtures, editor buffers). */
  sources?: SourceInput[];
  /**
   * With `sources` (editor buffers): the kernel tree they belong to, with `cwd` its root. Its
   * Makefile version, GFP header and stored summaries are used as a scan of those paths would;
   * the store is only read.
   */
  treeRoot?: string;
  cwd: string;
  /** `X.Y` or `X.Y.Z`; otherwise read from the scanned tree's Makefile, otherwise the newest modelled. */
  kernelVersion?: string;
  /** Rule ids to run; default: every recommended rule. */
  rules?: string[];
  /** Rule ids to switch off. */
  disable?: string[];
  jobs?: number;
  cacheDir?: string;
  noCache?: boolean;
  /** Per-file budget for parsing and analysis, in milliseconds. */
  fileTimeoutMs?: number;
  /** Called once per file that is skipped, with a one-line reason. */
  onSkip?: (file: string, reason: string) => void;
  onProgress?: (done: number, total: number) => void;
  /** false: neither use nor keep a remembered whole-run result (tests of the facts cache itself). */
  rememberResults?: boolean;
  /** Files per shard (default 1,200); smaller only to exercise the two-pass pipeline in tests. */
  shardFiles?: number;
  /** Abort promptly (SIGINT/SIGTERM). */
  signal?: AbortSignal;
}

export interface LintStats {
  files: number;
  functions: number;
  allocationSites: number;
  seconds: number;
  /** Flag names that could not be resolved, with how many sites used them. */
  unresolved: Record<string, number>;
  cacheHits: number;
  /** Answered from a remembered result: every input unchanged since an earlier run with the same options. */
  remembered?: boolean;
  /** Shard passes replayed from their memos (shard-memo.ts) instead of computed. */
  rememberedShards?: number;
}

export interface LintResult {
  kernelVersion: string;
  /** Where the GFP values came from: 'built-in' or the header path. */
  gfpSource: string;
  filesScanned: number;
  findings: Diagnostic[];
  /** Suppression comments that silenced nothing, as diagnostics of the pseudo-rule `unused-disable`. */
  unusedSuppressions: Diagnostic[];
  /** Findings silenced by a suppression comment, each with the comment's `-- reason`. */
  suppressed: Diagnostic[];
  skipped: { file: string; reason: string }[];
  /** Every NOFS/NOIO site scanned, with its verdict (the JSON report's `sites`, the census's input). */
  sites?: SiteVerdict[];
  stats: LintStats;
}

/**
 * The NOFS/NOIO verdict of one site (issue 15): what clearing __GFP_FS/__GFP_IO there buys, given
 * what direct reclaim entered at the site can reach (../shared/spec/reclaim-reach.md §5).
 * - `redundant`: a scope or live transaction handle already strips the bit on every path;
 * - `unneeded`: nothing held at the site that any reclaim entry needs (the flag is cargo cult);
 * - `needed`: a lock, handle or I/O state is held that a reclaim path needs;
 * - `unknown`: the analysis could not tell (callers through function pointers, parse errors, …).
 */
export type NofsVerdict = 'redundant' | 'unneeded' | 'needed' | 'unknown';

/** One GFP_NOFS/GFP_NOIO (or `~__GFP_FS`, `KM_NOFS`, subsystem alias) site and its verdict. */
export interface SiteVerdict {
  file: string;
  line: number;
  column: number;
  function: string;
  /** Which bit the written mask clears: 'nofs' (__GFP_FS) or 'noio' (__GFP_IO, and so __GFP_FS). */
  clears: 'nofs' | 'noio';
  /** The mask as written at the call. */
  written: string;
  /** The allocator or wrapper called. */
  callee: string;
  verdict: NofsVerdict;
  /** One sentence of evidence: the scope and its chain, what was checked, what is held, or what was missing. */
  evidence: string;
  /** The locations behind the evidence (scope opener, lock taken, caller chain). */
  related: { file: string; line: number; column: number; message: string }[];
}

/**
 * The contract between the pipeline and its front ends (CLI, tests, editor): what a run is asked
 * to do and what it answers.
 */
import type { AllocatorSpec } from '../model/allocators.js';
import type { ScopeProvider } from '../model/memalloc-scopes.js';
import type { Diagnostic } from './diagnostic.js';
import type { NofsVerdict } from '../program/verdicts.js';

/** Allocators and scope providers declared by a configuration, with a digest of them (cache keys). */
export interface DeclaredModel {
  allocators: AllocatorSpec[];
  scopeProviders: ScopeProvider[];
  digest: string;
}

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
   * The kernel tree `sources` belong to, or any path inside it (a staged change's repository, an
   * editor buffer, Kbuild's source file): its Makefile gives the kernel version, its GFP header the
   * bit values and its program database the rest of the program, read and never rewritten.
   * Default: the tree the first source's path lies in, if any. Paths on disk find their tree.
   */
  treeRoot?: string;
  cwd: string;
  /** `X.Y` or `X.Y.Z`; otherwise read from the scanned tree's Makefile, otherwise the newest modelled. */
  kernelVersion?: string;
  /** Rule ids to run; default: every recommended rule. */
  rules?: string[];
  /** Extra allocators and scope providers (configuration): known to every file, as if inferred. */
  declared?: DeclaredModel;
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
  /**
   * How the program database (src/program/database.ts) served the run: `whole` (the run is the
   * whole program and rewrote it), `stored` (the checked files' summaries were unchanged: the
   * stored answers were read), `closure` (their callers' and callees' summaries were read and the
   * answers computed), with the rows read from each table.
   */
  database?: { answers: 'whole' | 'stored' | 'closure'; reads: Record<string, number> };
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
  /** What the scanned functions do with the scope API (the census's input). */
  inventory?: ScopeInventory;
  stats: LintStats;
}

/** The verdict of a NOFS/NOIO site (src/program/verdicts.ts). */
export type { NofsVerdict };

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

/**
 * The scope inventory of a run (the census's input beside `sites`): every memalloc scope region,
 * every open-coded PF_MEMALLOC write and every function that returns with a scope open.
 */
export interface ScopeInventory {
  /** memalloc_*_save … restore regions (and memalloc_flags_save), by kind. */
  scopes: { file: string; line: number; function: string; kind: string; opener: string; calls: number; allocations: number; commented: boolean }[];
  /** Writes of PF_MEMALLOC* bits to a task's flags outside the scope API. */
  openCoded: { file: string; line: number; function: string; how: 'set' | 'clear' | 'assign'; flags: string[] }[];
  /** Functions that return with a NOFS/NOIO scope open: transaction starts and other providers. */
  providers: { file: string; line: number; function: string; kind: string; opener: string }[];
}

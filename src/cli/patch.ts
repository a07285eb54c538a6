/**
 * Patch and diff mode: which C files and lines a change touched (a unified diff already applied,
 * the index, the work since a base revision, or pre-commit's FROM/TO refs), what to lint for it,
 * and which findings the change is responsible for (`--filter-mode`).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import parseDiff from 'parse-diff';
import type { Diagnostic, RelatedLocation } from '../engine/diagnostic.js';
import type { LintResult, SourceInput } from '../engine/lint-types.js';
import { findKernelRoot, DEFAULT_FILE_TIMEOUT_MS } from '../engine/lint.js';
import { toolVersion } from '../engine/tool-info.js';
import { defaultCacheDir } from '../program/facts-cache.js';
import { displayPath } from '../program/discover.js';
import { extractSource } from '../program/source.js';
import { databaseHasTree, databasePath } from '../program/database.js';
import { UsageError } from './usage-error.js';

export const FILTER_MODES = ['function', 'added', 'file', 'nofilter'] as const;
export type FilterMode = (typeof FILTER_MODES)[number];

export interface ChangeOptions {
  patch?: string;
  staged?: boolean;
  diffBase?: string;
  filterMode?: string;
  cacheDir?: string;
  cache?: boolean;
}

/** One changed C file: the post-image lines added, and where lines were deleted. */
export interface FileChange {
  abs: string;
  /** 1-based post-image line numbers of added lines. */
  added: Set<number>;
  /** Deleted lines sit between post-image line N and N+1, for each N here. */
  deletedAfter: Set<number>;
}

/** What a change asks the run to lint, and how to keep what it is responsible for. */
export interface ChangeScope {
  /** What lint() reads: the changed files from the working tree, or their post-images in memory. */
  lintInput: { paths: string[] } | { sources: SourceInput[]; treeRoot: string };
  /** The findings (and unused suppressions) the change is responsible for. */
  filter(result: LintResult): LintResult;
  /** The post-image text of a printed path when it is not the working tree's (for excerpts). */
  source(file: string): string | undefined;
  files: FileChange[];
  /** A kernel tree without stored summaries: cross-file knowledge needs a whole-tree run first. */
  noStore?: string;
}

export function addChangeOptions(cmd: Command): Command {
  return cmd
    .option('--patch <file>', 'check what a unified diff (git diff, git format-patch) already applied to the working tree changed; - reads stdin')
    .option('--staged', 'check what is staged for commit, as the index holds it (under pre-commit with --from-ref/--to-ref: what changed between them)')
    .option('--diff-base <ref>', 'check what the working tree changed since the merge base of REF and HEAD')
    .option('--filter-mode <mode>', 'findings a change is responsible for: function (default: in a function it touched), added (on an added line, or their lock/scope site is), file, nofilter');
}

export function wantsChange(o: ChangeOptions): boolean {
  return o.patch !== undefined || Boolean(o.staged) || o.diffBase !== undefined;
}

/**
 * Reads the change the options name. `paths` (as given on the command line, e.g. by pre-commit)
 * restrict it to those files or directories.
 */
export function loadChange(o: ChangeOptions, paths: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): ChangeScope {
  const modes = [o.patch !== undefined && '--patch', o.staged && '--staged', o.diffBase !== undefined && '--diff-base'].filter(Boolean);
  if (modes.length > 1) throw new UsageError(`${modes.join(' and ')} cannot be combined; give one`);
  const mode = (o.filterMode ?? 'function') as FilterMode;
  if (!(FILTER_MODES as readonly string[]).includes(mode)) throw new UsageError(`unknown filter mode '${o.filterMode}' (expected ${FILTER_MODES.join(', ')})`);

  const top = gitTop(cwd);
  let diffText: string;
  /** Where the post-images are: the working tree, the index (''), or a revision. */
  let postImage: 'worktree' | { rev: string } = 'worktree';
  if (o.patch !== undefined) {
    diffText = readPatch(o.patch, cwd);
  } else {
    if (!top) throw new UsageError(`${modes[0]} needs a git work tree, and '${cwd}' is not in one`);
    const from = env.PRE_COMMIT_FROM_REF;
    const to = env.PRE_COMMIT_TO_REF;
    if (o.staged && from && to) {
      // `pre-commit run --from-ref A --to-ref B` (CI): the files it passes changed between A and B.
      diffText = git(top, ['diff', ...DIFF_ARGS, `${from}...${to}`, '--', ...C_PATHSPEC]);
      postImage = { rev: to };
    } else if (o.staged) {
      diffText = git(top, ['diff', '--cached', ...DIFF_ARGS, '--', ...C_PATHSPEC]);
      postImage = { rev: '' };
    } else {
      diffText = git(top, ['diff', '--merge-base', o.diffBase!, ...DIFF_ARGS, '--', ...C_PATHSPEC]);
    }
  }

  // A patch's paths are relative to the top of the tree it was made in (checkpatch and b4 run
  // there): the git work tree when there is one, else the current directory.
  const base = top ?? cwd;
  const restrict = paths.map((p) => path.resolve(cwd, p));
  const within = (abs: string) => !restrict.length || restrict.some((r) => abs === r || abs.startsWith(r + path.sep));
  const files: FileChange[] = [];
  for (const f of parseDiffText(diffText)) {
    if (f.deleted || !f.to || f.to === '/dev/null' || !C_FILE.test(f.to)) continue;
    const abs = path.resolve(base, f.to);
    if (!within(abs)) continue;
    const change: FileChange = { abs, added: new Set(), deletedAfter: new Set() };
    for (const chunk of f.chunks) {
      // A hunk that adds nothing (`@@ -4 +3,0 @@`) names the line after which it deleted.
      let next = chunk.newLines === 0 ? chunk.newStart + 1 : chunk.newStart;
      for (const c of chunk.changes) {
        if (c.type === 'add') {
          change.added.add(c.ln);
          next = c.ln + 1;
        } else if (c.type === 'normal') {
          next = c.ln2 + 1;
        } else {
          change.deletedAfter.add(next - 1);
        }
      }
    }
    files.push(change);
  }

  // Post-images: the working tree's file when it holds exactly them (pre-commit stashes unstaged
  // changes, so it does), otherwise the revision's or the index's blob, linted in memory.
  const texts = new Map<string, string>();
  let inMemory = false;
  for (const f of files) {
    let disk: Buffer | undefined;
    try {
      disk = readFileSync(f.abs);
    } catch {
      disk = undefined;
    }
    if (postImage === 'worktree') {
      if (disk === undefined) throw new UsageError(`the change names '${displayPath(f.abs, cwd)}', which is not in the working tree (apply the patch first)`);
      texts.set(f.abs, disk.toString('utf8'));
      continue;
    }
    const rel = path.relative(top!, f.abs).split(path.sep).join('/');
    const blob = gitBuffer(top!, ['show', `${postImage.rev}:${rel}`]);
    if (!disk || !disk.equals(blob)) inMemory = true;
    texts.set(f.abs, blob.toString('utf8'));
  }

  const display = (abs: string) => displayPath(abs, cwd);
  const lintInput: ChangeScope['lintInput'] = inMemory
    ? { sources: files.map((f) => ({ path: display(f.abs), text: texts.get(f.abs)! })), treeRoot: top ?? cwd }
    : files.length ? { paths: files.map((f) => display(f.abs)) } : { sources: [], treeRoot: top ?? cwd };
  const byAbs = new Map(files.map((f) => [f.abs, f]));
  const ranges = new Map<string, [number, number][]>();
  const touchedRanges = (abs: string): [number, number][] => {
    let r = ranges.get(abs);
    if (!r) {
      r = mode === 'function' ? touchedFunctions(texts.get(abs) ?? '', byAbs.get(abs)!) : [];
      ranges.set(abs, r);
    }
    return r;
  };
  const onAdded = (file: string, line: number) => byAbs.get(path.resolve(cwd, file))?.added.has(line) ?? false;
  const inTouched = (file: string, line: number) => {
    const abs = path.resolve(cwd, file);
    return byAbs.has(abs) && touchedRanges(abs).some(([s, e]) => s <= line && line <= e);
  };
  const related = (d: Diagnostic, test: (r: RelatedLocation) => boolean) => d.related.some(test);
  const keep = (d: Diagnostic): boolean => {
    switch (mode) {
      case 'nofilter':
        return true;
      case 'file':
        return byAbs.has(path.resolve(cwd, d.file));
      case 'added':
        return onAdded(d.file, d.line) || related(d, (r) => onAdded(r.file, r.line));
      case 'function':
        // The finding's own function, or the lock, scope or caller that its related locations
        // name (a helper now called under a new lock is reported through its chain).
        return inTouched(d.file, d.line) || related(d, (r) => onAdded(r.file, r.line) || inTouched(r.file, r.line));
    }
  };
  const textByDisplay = inMemory ? new Map(files.map((f) => [display(f.abs), texts.get(f.abs)!])) : new Map<string, string>();

  let noStore: string | undefined;
  const kr = findKernelRoot(top ?? cwd);
  if (kr && o.cache !== false && !databaseHasTree(databasePath(path.resolve(cwd, o.cacheDir ?? defaultCacheDir()), toolVersion(), kr.root), kr.root, cwd)) noStore = kr.root;

  return {
    lintInput,
    files,
    noStore,
    source: (file) => textByDisplay.get(file),
    filter: (r) => ({ ...r, findings: r.findings.filter(keep), unusedSuppressions: r.unusedSuppressions.filter(keep), suppressed: r.suppressed.filter(keep) }),
  };
}

/** Post-image line ranges (1-based, inclusive) of the functions the change touched. */
export function touchedFunctions(text: string, change: Pick<FileChange, 'added' | 'deletedAfter'>): [number, number][] {
  const ex = extractSource(text, DEFAULT_FILE_TIMEOUT_MS);
  if ('skip' in ex) return [];
  const out: [number, number][] = [];
  for (const fn of ex.facts.functions) {
    const start = fn.r[0] + 1;
    const end = fn.r[2] + 1;
    let hit = false;
    for (const l of change.added) if (start <= l && l <= end) hit = true;
    // A deletion inside the body: both lines around it belong to the function.
    for (const n of change.deletedAfter) if (start <= n && n + 1 <= end) hit = true;
    if (hit) out.push([start, end]);
  }
  return out;
}

const C_FILE = /\.[ch]$/;
const C_PATHSPEC = ['*.c', '*.h'];
/** A diff whatever the user's git configuration (diff.noprefix, color.ui, diff.external, renames). */
const DIFF_ARGS = ['--no-color', '--no-ext-diff', '--no-relative', '-U0', '--src-prefix=a/', '--dst-prefix=b/', '--diff-filter=ACMR', '-M'];

function parseDiffText(text: string): parseDiff.File[] {
  try {
    return parseDiff(text);
  } catch (e) {
    throw new UsageError(`cannot parse the patch: ${(e as Error).message}`);
  }
}

function readPatch(file: string, cwd: string): string {
  try {
    return readFileSync(file === '-' ? 0 : path.resolve(cwd, file), 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read patch '${file}': ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

/** The top of the git work tree holding `cwd`, or undefined outside one (or without git). */
export function gitTop(cwd: string): string | undefined {
  try {
    const out = execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return out ? path.resolve(out) : undefined;
  } catch {
    return undefined;
  }
}

function git(top: string, args: string[]): string {
  return gitBuffer(top, args).toString('utf8');
}

function gitBuffer(top: string, args: string[]): Buffer {
  try {
    return execFileSync('git', ['-c', 'core.quotePath=false', ...args], { cwd: top, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    const why = err.stderr?.toString('utf8').trim().split('\n')[0] || err.message;
    throw new UsageError(`git ${args.filter((a) => !a.startsWith('-')).join(' ')} failed: ${why}`);
  }
}

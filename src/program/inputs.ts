/**
 * Stage 1 of the pipeline (docs/architecture.md): what a run is about. The files given (walked,
 * in a stable order, `tools/` of a kernel tree left out unless named), the kernel tree they live
 * in and its version, and each file's path below the tree's root (or the scanned root), the key
 * batches are cut by whatever the spelling of the path (absolute, `../../linux`, a symlink).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { versionFromMakefile, type KernelVersion } from '../model/version.js';
import { discoverFiles } from './discover.js';
import type { FactsInput } from './workers.js';

export interface Inputs {
  /** In a stable order; `path` as printed, `key` relative to `base`. */
  files: FactsInput[];
  /** The kernel tree the paths live in, when there is one (the program database is per tree). */
  treeRoot?: string;
  treeVersion?: KernelVersion;
  /** The paths given include the tree's root: the run is the whole program. */
  scansTree: boolean;
}

/** Find the kernel tree a path lives in: the nearest ancestor whose Makefile names VERSION/PATCHLEVEL. */
export function findKernelRoot(start: string): { root: string; version?: KernelVersion } | undefined {
  let dir = path.resolve(start);
  try {
    if (!statSync(dir).isDirectory()) dir = path.dirname(dir);
  } catch {
    // an editor buffer not yet saved: its directory may exist
    dir = path.dirname(dir);
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

/**
 * The directory batch keys are relative to: the kernel tree's root when every file is inside it,
 * otherwise the deepest directory holding every file.
 */
export function shardBase(files: readonly string[], treeRoot?: string): string {
  if (treeRoot && files.every((f) => f.startsWith(treeRoot + path.sep))) return treeRoot;
  if (!files.length) return path.sep;
  let base = path.dirname(files[0]);
  for (const f of files) while (!(f.startsWith(base + path.sep) || base === path.dirname(base))) base = path.dirname(base);
  return base;
}

/** Paths on disk (the CLI): discovered, tools/ filtered, keyed. */
export async function diskInputs(given: string[], cwd: string, skip: (file: string, reason: string) => void): Promise<Inputs> {
  const found = await discoverFiles(given, cwd, skip);
  const kr = findKernelRoot(path.resolve(cwd, given[0]));
  const treeRoot = kr?.root;
  const scansTree = kr !== undefined && given.some((g) => path.resolve(cwd, g) === kr.root);
  // A kernel tree's tools/ is userspace (tools/include maps spinlocks to pthread mutexes, RCU to
  // liburcu, GFP_KERNEL to malloc): scanned only when a path inside it is given.
  const tools = treeRoot ? path.join(treeRoot, 'tools') + path.sep : undefined;
  const toolsGiven = tools !== undefined && given.some((g) => (path.resolve(cwd, g) + path.sep).startsWith(tools));
  const files: FactsInput[] = [];
  for (const f of found) if (!tools || toolsGiven || !f.abs.startsWith(tools)) files.push({ path: f.display, abs: f.abs });
  const base = shardBase(files.map((i) => i.abs!), treeRoot);
  for (const i of files) i.key = path.relative(base, i.abs!).split(path.sep).join('/');
  return { files, treeRoot, treeVersion: kr?.version, scansTree };
}

/**
 * In-memory sources (an editor's buffers, fixtures): the tree is `treeRoot` when given, else the
 * one the first source's path lies in, so that a buffer is checked against the tree's database.
 */
/** The kernel tree a given path lies in; a directory outside any kernel tree is taken as the root itself. */
function givenTree(p: string): { root: string; version?: KernelVersion } | undefined {
  const kr = findKernelRoot(p);
  if (kr) return kr;
  try {
    return statSync(p).isDirectory() ? { root: p } : undefined;
  } catch {
    return undefined;
  }
}

export function sourceInputs(sources: readonly { path: string; text: string }[], cwd: string, treeRoot?: string): Inputs {
  const kr = treeRoot ? givenTree(path.resolve(cwd, treeRoot)) : sources.length ? findKernelRoot(path.resolve(cwd, sources[0].path)) : undefined;
  return { files: sources.map((s) => ({ path: s.path, text: s.text })), treeRoot: kr?.root, treeVersion: kr?.version, scansTree: false };
}

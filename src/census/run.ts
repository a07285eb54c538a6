/**
 * `gfplint census TREE [--compare OTHER]`: one lint run per tree, from the tree's root so that
 * paths (and subsystems) are relative to it whatever the working directory. A tree unchanged since
 * its last run is answered from the remembered result, so a second census takes seconds.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { lint } from '../engine/lint.js';
import type { LintOptions } from '../engine/lint-types.js';
import { buildCensus, type Census } from './census.js';

export interface CensusRunOptions {
  cwd: string;
  kernelVersion?: string;
  jobs?: number;
  cacheDir?: string;
  noCache?: boolean;
  signal?: AbortSignal;
  onSkip?: LintOptions['onSkip'];
  onProgress?: LintOptions['onProgress'];
}

export class CensusError extends Error {}

export async function censusOf(tree: string, o: CensusRunOptions): Promise<Census> {
  const root = path.resolve(o.cwd, tree);
  let isDir: boolean;
  try {
    isDir = statSync(root).isDirectory();
  } catch {
    throw new CensusError(`'${tree}': no such directory`);
  }
  if (!isDir) throw new CensusError(`'${tree}' is not a directory: a census is of a whole tree`);
  const result = await lint({
    paths: ['.'], cwd: root, kernelVersion: o.kernelVersion, jobs: o.jobs, signal: o.signal, onSkip: o.onSkip, onProgress: o.onProgress,
    // The cache directory is the user's spelling, relative to where they typed it.
    cacheDir: o.cacheDir === undefined ? undefined : path.resolve(o.cwd, o.cacheDir), noCache: o.noCache,
  });
  return buildCensus(tree, result);
}

/**
 * Whole-run results, remembered for a re-run with nothing changed (issue 6: a warm re-run in
 * about the time of a grep). The key is everything a run's output depends on: the content of
 * every input (as the stat indexes know it: no file is read or parsed to check), the tree's GFP
 * header and Makefile, the stored summaries of the rest of the tree, gfplint's code and version,
 * and the options. Any doubt (a file the indexes do not know unchanged) means no key, and the
 * pipeline runs. Entries are written atomically; a damaged one is ignored.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { codeDigest, writeAtomic } from '../program/facts-cache.js';
import { analysisDigest } from '../program/database.js';
import type { LintResult } from './lint-types.js';

const KEEP = 16;

/** A file's identity for keys: size, mtime and inode, or its absence. */
export function statText(file: string | undefined): string {
  if (!file) return '-';
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}:${s.ino}`;
  } catch {
    return 'absent';
  }
}

export interface MemoKeyParts {
  inputsDigest: string;
  toolVersion: string;
  options: unknown;
  /** Files outside the inputs that the result depends on (GFP header, Makefile, summary store). */
  dependsOn: (string | undefined)[];
}

export function memoKey(p: MemoKeyParts): string {
  return createHash('sha1')
    .update(JSON.stringify([p.inputsDigest, p.toolVersion, analysisDigest(), codeDigest(), p.options, p.dependsOn.map(statText)]))
    .digest('hex');
}

function dirOf(cacheDir: string): string {
  return path.join(cacheDir, 'results');
}

export function readMemo(cacheDir: string, key: string): LintResult | undefined {
  try {
    const r = JSON.parse(gunzipSync(readFileSync(path.join(dirOf(cacheDir), `${key}.json.gz`))).toString('utf8')) as LintResult & { key?: string };
    if (r.key !== key || !Array.isArray(r.findings) || !Array.isArray(r.skipped) || typeof r.stats !== 'object') return undefined;
    delete r.key;
    return r;
  } catch {
    return undefined;
  }
}

export function writeMemo(cacheDir: string, key: string, result: LintResult): void {
  const dir = dirOf(cacheDir);
  try {
    mkdirSync(dir, { recursive: true });
    writeAtomic(path.join(dir, `${key}.json.gz`), gzipSync(JSON.stringify({ ...result, key }), { level: 1 }));
    const entries = readdirSync(dir).filter((n) => n.endsWith('.json.gz'))
      .map((n) => ({ n, t: statSync(path.join(dir, n)).mtimeMs }))
      .sort((a, b) => b.t - a.t || (a.n < b.n ? -1 : 1));
    for (const { n } of entries.slice(KEEP)) rmSync(path.join(dir, n), { force: true });
  } catch {
    // a read-only cache still serves reads
  }
}

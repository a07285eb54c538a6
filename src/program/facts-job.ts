/**
 * The work done for one file, the same in a worker thread and in-process: read the bytes, apply
 * the reader's checks (the same reasons, in the same order, as source.ts `decodeSource`), hash
 * the bytes, answer from the facts cache, pre-scan, and only then decode, parse and extract. The
 * result is plain data: the facts travel as their JSON text, which is also what the cache stores,
 * so a fresh result and a cached one are parsed from identical text (cold and warm runs cannot
 * differ, not even in `undefined` fields or `-0`).
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { extractSource, MAX_FILE_BYTES } from './source.js';
import { contentHash, type FactsCache } from './facts-cache.js';
import type { Prescanner } from './prescan.js';

export interface JobTask {
  /** Position in the run's input list. */
  i: number;
  abs?: string;
  /** In-memory source (editor buffer, fixture) instead of a file. */
  text?: string;
  /**
   * 'file': everything; 'cached': the stat index says this content (`hash`) has facts, so read the
   * cache entry and touch the source only if the entry is unusable; 'parse': the file was trivial
   * but a widening round wants it parsed (no pre-scan; the cache is tried first when `hash` is set).
   */
  mode: 'file' | 'cached' | 'parse';
  hash?: string;
  /** Do not read the cache for this task (its entry was found unusable). */
  noRead?: boolean;
}

export type JobResult =
  | { i: number; kind: 'facts'; json: string; hash: string; hit: boolean }
  | { i: number; kind: 'trivial'; hash: string; calls: number[] }
  /** `stable`: a property of the content (empty, binary, …) that the stat index may remember. */
  | { i: number; kind: 'skip'; reason: string; hash?: string; stable: boolean };

export interface JobContext {
  cache?: FactsCache;
  prescan: Prescanner;
  budgetMs: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const tooLarge = (n: number) => `too large (${(n / 1048576).toFixed(1)} MB > ${MAX_FILE_BYTES / 1048576} MB)`;

function readBytes(abs: string): Buffer | { skip: string; stable?: boolean } {
  try {
    const st = statSync(abs);
    if (!st.isFile()) return { skip: 'not a regular file' };
    // A property of the content, like being empty: the stat index may remember it.
    if (st.size > MAX_FILE_BYTES) return { skip: tooLarge(st.size), stable: true };
    return readFileSync(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { skip: code === 'EACCES' ? 'unreadable (permission denied)' : code === 'ENOENT' ? 'no such file' : `unreadable (${code ?? String(e)})` };
  }
}

/** decodeSource's checks without decoding: the reason, or undefined when the bytes are C text. */
function checkBytes(buf: Buffer): string | undefined {
  if (buf.length === 0) return 'empty file';
  if (buf.length > MAX_FILE_BYTES) return tooLarge(buf.length);
  if (buf.subarray(0, 8192).includes(0)) return 'binary file (contains NUL bytes)';
  if (!isUtf8(buf)) return 'not valid UTF-8';
  if (buf.includes(0)) return 'binary file (contains NUL bytes)';
  return undefined;
}

export function runJob(t: JobTask, ctx: JobContext): JobResult {
  const { i } = t;
  // A content hash known from the stat index: try the cache before touching the source.
  if (t.mode !== 'file' && t.hash && ctx.cache && !t.noRead) {
    const json = ctx.cache.read(t.hash);
    if (json !== undefined) return { i, kind: 'facts', json, hash: t.hash, hit: true };
  }
  let buf: Buffer;
  if (t.text !== undefined) buf = Buffer.from(t.text, 'utf8');
  else {
    const r = readBytes(t.abs!);
    if (!Buffer.isBuffer(r)) return { i, kind: 'skip', reason: r.skip, stable: r.stable === true };
    buf = r;
  }
  const bad = checkBytes(buf);
  if (bad) return { i, kind: 'skip', reason: bad, stable: true };
  const hash = contentHash(buf);
  // The pre-scan comes before the cache: whether a file is parsed must not depend on what an
  // earlier run (perhaps with another pre-scan) happened to cache.
  if (t.mode !== 'parse') {
    const p = ctx.prescan.scan(buf.toString('latin1'));
    if (!p.keep) return { i, kind: 'trivial', hash, calls: p.callHashes ?? [] };
  }
  if (ctx.cache && !t.noRead && !(t.mode !== 'file' && hash === t.hash)) {
    const json = ctx.cache.read(hash);
    if (json !== undefined) return { i, kind: 'facts', json, hash, hit: true };
  }
  const text = utf8.decode(buf);
  const ex = extractSource(text, ctx.budgetMs);
  if ('skip' in ex) return { i, kind: 'skip', reason: ex.skip, hash, stable: false };
  const json = JSON.stringify(ex.facts);
  ctx.cache?.write(hash, json);
  return { i, kind: 'facts', json, hash, hit: false };
}

/**
 * Reading one file as a linter must: anything that is not UTF-8 C text under the size limit is
 * skipped with a one-line reason, never thrown. Then parse and extract its facts within a budget.
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { compactFacts } from '../syntax/compact.js';
import { extractFacts } from '../syntax/extract.js';
import type { FileFacts } from '../syntax/facts.js';
import { parseC } from '../syntax/parser.js';
import { prepareForParse } from '../syntax/prepare.js';

export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export type ReadResult = { text: string; hash: string; bytes: number } | { skip: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function readSource(absPath: string): ReadResult {
  let buf: Buffer;
  try {
    const st = statSync(absPath);
    if (!st.isFile()) return { skip: 'not a regular file' };
    if (st.size > MAX_FILE_BYTES) return { skip: `too large (${(st.size / 1048576).toFixed(1)} MB > ${MAX_FILE_BYTES / 1048576} MB)` };
    buf = readFileSync(absPath);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { skip: code === 'EACCES' ? 'unreadable (permission denied)' : code === 'ENOENT' ? 'no such file' : `unreadable (${code ?? String(e)})` };
  }
  return decodeSource(buf);
}

export function decodeSource(buf: Buffer): ReadResult {
  if (buf.length === 0) return { skip: 'empty file' };
  if (buf.length > MAX_FILE_BYTES) return { skip: `too large (${(buf.length / 1048576).toFixed(1)} MB > ${MAX_FILE_BYTES / 1048576} MB)` };
  if (buf.subarray(0, 8192).includes(0)) return { skip: 'binary file (contains NUL bytes)' };
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { skip: 'not valid UTF-8' };
  }
  if (text.includes('\0')) return { skip: 'binary file (contains NUL bytes)' };
  return { text, hash: hashText(text), bytes: buf.length };
}

export function hashText(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

export type ExtractResult = { facts: FileFacts } | { skip: string; stage: string; ms: number };

/** Parse and extract within `budgetMs`; a file over budget is dropped whole, never half-used. */
export function extractSource(text: string, budgetMs: number): ExtractResult {
  const t0 = performance.now();
  const deadline = t0 + budgetMs;
  let tree;
  const masked = prepareForParse(text);
  try {
    tree = parseC(masked, deadline);
  } catch (e) {
    return { skip: `parser failed: ${(e as Error).message}`, stage: 'parse', ms: performance.now() - t0 };
  }
  if (!tree) return { skip: `over the time budget while parsing (${(performance.now() - t0).toFixed(0)} ms)`, stage: 'parse', ms: performance.now() - t0 };
  try {
    const facts = compactFacts(extractFacts(tree, masked, text));
    const ms = performance.now() - t0;
    if (ms > budgetMs) return { skip: `over the time budget while extracting facts (${ms.toFixed(0)} ms)`, stage: 'extract', ms };
    return { facts };
  } catch (e) {
    return { skip: `fact extraction failed: ${(e as Error).message}`, stage: 'extract', ms: performance.now() - t0 };
  }
}

/**
 * The identity of a finding that survives unrelated edits: rule, file, function, the flagged code
 * with its whitespace removed, and the message with positions removed; never a line number. Two
 * findings with the same identity in one function are told apart by their order (occurrence 1, 2,
 * …). SARIF's `partialFingerprints`, GitLab's `fingerprint` and the baseline all use it, so a
 * finding keeps its identity wherever it is reported.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Diagnostic } from './diagnostic.js';

/** Returns a file's text, or undefined when it cannot be read (the fingerprint then rests on the message). */
export type SourceReader = (file: string) => string | undefined;

export interface Fingerprint {
  /** 16 hex digits: the finding's identity without its occurrence number. */
  key: string;
  /** 1 for the first finding with this key (in source order), 2 for the second, … */
  occurrence: number;
}

/**
 * Line numbers and `file:line:col` positions in a message move with unrelated edits; everything
 * else (names, masks, lock expressions) identifies the finding.
 */
export function normaliseMessage(message: string): string {
  return message
    .replace(/\blines? \d+(?:\s*[-–]\s*\d+)?/g, 'line N')
    .replace(/:\d+(?::\d+)?\b/g, ':N')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The flagged lines without any whitespace, so re-indenting or re-wrapping them changes nothing. */
export function flaggedCode(text: string | undefined, d: Pick<Diagnostic, 'line' | 'endLine'>): string {
  if (text === undefined) return '';
  const lines = text.split(/\r?\n/);
  return lines.slice(d.line - 1, Math.max(d.line, d.endLine)).join('\n').replace(/\s+/g, '');
}

/** The key of one finding, given the text of its file. */
export function fingerprintKey(d: Diagnostic, text: string | undefined): string {
  return createHash('sha256')
    .update([d.rule, d.file, d.function, flaggedCode(text, d), normaliseMessage(d.message)].join('\0'))
    .digest('hex')
    .slice(0, 16);
}

/**
 * Fingerprints of a list of findings, in the list's order. Occurrences are numbered in source order
 * (line, then column) whatever order the list is in, so a report sorted differently numbers alike.
 */
export function fingerprints(diags: readonly Diagnostic[], source: SourceReader): Fingerprint[] {
  const texts = new Map<string, string | undefined>();
  const textOf = (file: string) => {
    if (!texts.has(file)) texts.set(file, source(file));
    return texts.get(file);
  };
  const keys = diags.map((d) => fingerprintKey(d, textOf(d.file)));
  const order = diags.map((_, i) => i).sort((a, b) => diags[a].line - diags[b].line || diags[a].column - diags[b].column || a - b);
  const seen = new Map<string, number>();
  const out: Fingerprint[] = new Array<Fingerprint>(diags.length);
  for (const i of order) {
    const n = (seen.get(keys[i]) ?? 0) + 1;
    seen.set(keys[i], n);
    out[i] = { key: keys[i], occurrence: n };
  }
  return out;
}

/** Reads files relative to `cwd` (in-memory sources first), each once. */
export function fileSourceReader(cwd: string, sources?: readonly { path: string; text: string }[]): SourceReader {
  const mem = new Map((sources ?? []).map((s) => [s.path, s.text]));
  return (file) => {
    if (mem.has(file)) return mem.get(file);
    try {
      return readFileSync(resolve(cwd, file), 'utf8');
    } catch {
      return undefined;
    }
  };
}

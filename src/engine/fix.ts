/**
 * Fixes. Rules declare them as data (engine/rule.ts RuleFix: ranges and replacement text); this
 * module turns them into 1-based edits on the diagnostic and applies the safe ones for `--fix`:
 * only in files inside the scanned tree (after resolving symlinks), only where the file still
 * holds the text the rule expected, without overlapping edits, each file written atomically with
 * its permission bits kept. A file that cannot be fixed is one error line; the others go on.
 */
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { Diagnostic, FixProposal, TextEdit } from './diagnostic.js';
import type { Finding, RuleFix } from './rule.js';
import { writeFileAtomic } from './write-atomic.js';

function proposal(f: RuleFix, file: string): FixProposal {
  return {
    description: f.description,
    edits: f.edits.map((e): TextEdit => ({
      file: e.file ?? file,
      line: e.at[0] + 1,
      column: e.at[1] + 1,
      endLine: e.at[2] + 1,
      endColumn: e.at[3] + 1,
      text: e.text,
      ...(e.expect !== undefined ? { expect: e.expect } : {}),
    })),
  };
}

/** The diagnostic's `fix` and `suggestions` from a rule's finding (absent when it offers none). */
export function fixesOf(f: Finding, file: string): Pick<Diagnostic, 'fix' | 'suggestions'> {
  const out: Pick<Diagnostic, 'fix' | 'suggestions'> = {};
  if (f.fix) out.fix = proposal(f.fix, file);
  if (f.suggestions?.length) out.suggestions = f.suggestions.map((s) => proposal(s, file));
  return out;
}

export interface FixOutcome {
  /** Files written, as the findings name them, with how many findings each fix resolved. */
  fixed: { file: string; findings: number }[];
  /** One line per file (or edit) that was not fixed, saying why. */
  problems: string[];
}

/** Offsets of the start of each line (UTF-16 code units, as tree-sitter's columns). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function offset(starts: number[], text: string, line: number, column: number): number | undefined {
  if (line < 1 || line > starts.length) return undefined;
  const end = line < starts.length ? starts[line] - 1 : text.length;
  const off = starts[line - 1] + column - 1;
  return column >= 1 && off <= end ? off : undefined;
}

/** True when `path` is `root` or below it. */
function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel);
}

/**
 * Apply the `fix` of each diagnostic. `roots` are the scanned files or directories (relative to
 * `cwd`); a file whose real path is outside all of them is never written.
 */
export function applyFixes(diags: readonly Diagnostic[], opts: { cwd: string; roots: readonly string[] }): FixOutcome {
  // The tree is each named directory itself; for a named file (or a named symbolic link, even to
  // a directory) it is the directory holding the name, so a link out of the tree never counts.
  const roots = opts.roots.flatMap((r) => {
    const abs = resolve(opts.cwd, r);
    try {
      return [realpathSync(lstatSync(abs).isDirectory() ? abs : dirname(abs))];
    } catch {
      return [];
    }
  });
  const byFile = new Map<string, { d: Diagnostic; edits: TextEdit[] }[]>();
  for (const d of diags) {
    if (!d.fix) continue;
    const files = new Set(d.fix.edits.map((e) => e.file));
    // A fix spanning several files is applied whole or not at all; none of ours do, so keep it simple.
    if (files.size !== 1) continue;
    const [file] = files;
    byFile.set(file, [...(byFile.get(file) ?? []), { d, edits: d.fix.edits }]);
  }
  const outcome: FixOutcome = { fixed: [], problems: [] };
  for (const [file, fixes] of byFile) {
    const problem = (why: string) => outcome.problems.push(`not fixed '${file}': ${why}`);
    const abs = resolve(opts.cwd, file);
    let real: string;
    try {
      real = realpathSync(abs);
    } catch (e) {
      problem((e as Error).message);
      continue;
    }
    if (!roots.some((r) => within(real, r))) {
      problem(lstatSync(abs).isSymbolicLink() ? `it is a symbolic link to '${real}', outside the scanned tree` : 'it is outside the scanned tree');
      continue;
    }
    const st = statSync(real);
    if (!st.isFile()) {
      problem('not a regular file');
      continue;
    }
    // Root may write anything; a file without write permission bits is still left alone.
    if ((st.mode & 0o222) === 0) {
      problem('the file is read-only');
      continue;
    }
    let text: string;
    try {
      text = readFileSync(real, 'utf8');
    } catch (e) {
      problem((e as Error).message);
      continue;
    }
    const starts = lineStarts(text);
    // Resolve every edit; a fix applies only if all its edits do and none overlaps an accepted one.
    const accepted: { start: number; end: number; text: string }[] = [];
    let resolved = 0;
    for (const { edits } of fixes) {
      const spans = edits.map((e) => {
        const start = offset(starts, text, e.line, e.column);
        const end = offset(starts, text, e.endLine, e.endColumn);
        if (start === undefined || end === undefined || end < start) return undefined;
        if (e.expect !== undefined && text.slice(start, end) !== e.expect) return undefined;
        return { start, end, text: e.text };
      });
      if (spans.some((s) => s === undefined)) {
        outcome.problems.push(`not fixed '${file}:${edits[0].line}:${edits[0].column}': the file no longer holds the text the fix expects`);
        continue;
      }
      const ok = spans as { start: number; end: number; text: string }[];
      const clash = ok.some((s) => accepted.some((a) => s.start < a.end && a.start < s.end && !(s.start === a.start && s.end === a.end && s.text === a.text)));
      if (clash) continue; // another fix already changes this text; the next run offers it again
      for (const s of ok) if (!accepted.some((a) => a.start === s.start && a.end === s.end)) accepted.push(s);
      resolved++;
    }
    if (!accepted.length) continue;
    accepted.sort((a, b) => b.start - a.start);
    let out = text;
    for (const s of accepted) out = out.slice(0, s.start) + s.text + out.slice(s.end);
    try {
      writeFileAtomic(real, out, { mode: st.mode & 0o7777 });
    } catch (e) {
      problem((e as Error).message);
      continue;
    }
    outcome.fixed.push({ file, findings: resolved });
  }
  return outcome;
}

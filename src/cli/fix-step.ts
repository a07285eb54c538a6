/**
 * The command line's `--fix`: apply the behaviour-preserving fixes the rules offer
 * (engine/fix.ts), say what was fixed and what could not be, and let the caller lint again so
 * the report shows what remains.
 */
import type { Diagnostic } from '../engine/diagnostic.js';
import { applyFixes } from '../engine/fix.js';
import { TOOL_NAME } from '../engine/tool-info.js';

export interface FixStepResult {
  /** Whether any file was written (the caller lints again). */
  changed: boolean;
  /** Lines for stderr. */
  notes: string[];
}

export function fixStep(findings: readonly Diagnostic[], run: { cwd: string; targets: string[] }): FixStepResult {
  const outcome = applyFixes(findings, { cwd: run.cwd, roots: run.targets });
  const notes = outcome.problems.map((p) => `${TOOL_NAME}: ${p}`);
  const n = outcome.fixed.reduce((k, f) => k + f.findings, 0);
  if (outcome.fixed.length) {
    notes.push(`${TOOL_NAME}: fixed ${n} finding${n === 1 ? '' : 's'} in ${outcome.fixed.length} file${outcome.fixed.length === 1 ? '' : 's'}: ${outcome.fixed.map((f) => f.file).join(', ')}`);
  }
  return { changed: outcome.fixed.length > 0, notes };
}

/** ESLint's hint: how many of the reported findings `--fix` would resolve (undefined when none). */
export function fixableNote(shown: readonly Diagnostic[]): string | undefined {
  const n = shown.filter((d) => d.fix).length;
  return n ? `${TOOL_NAME}: ${n} of these finding${n === 1 ? ' has a fix' : 's have fixes'} that keep behaviour: run with --fix to apply ${n === 1 ? 'it' : 'them'}` : undefined;
}

/**
 * The one finding type every output format reads: rule id, severity, message, a 1-based range in
 * a file, the function it is in, and related locations (where the lock or scope began).
 */
import type { Severity } from './rule.js';

export interface Location { file: string; line: number; column: number; endLine: number; endColumn: number }

export interface RelatedLocation { file: string; line: number; column: number; message: string }

/**
 * Replace the text of a 1-based range (end column exclusive, UTF-16 code units) with `text`;
 * `expect`, when given, is the text that must be there for the edit to apply.
 */
export interface TextEdit extends Location { text: string; expect?: string }

/** A change that resolves a finding: what it does, and its edits. */
export interface FixProposal { description: string; edits: TextEdit[] }

export interface Diagnostic extends Location {
  rule: string;
  severity: Severity;
  message: string;
  function: string;
  related: RelatedLocation[];
  /** Set when a suppression comment silenced it (kept for --report-unused-disable accounting). */
  suppressed?: { reason?: string };
  /** A fix that provably keeps behaviour: `--fix` applies it. */
  fix?: FixProposal;
  /** Changes offered for a person to judge (JSON `suggestions`, SARIF `fixes`); never applied. */
  suggestions?: FixProposal[];
}

/** Stable order: file, line, column, rule, message. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return cmp(a.file, b.file) || a.line - b.line || a.column - b.column || cmp(a.rule, b.rule) || cmp(a.message, b.message);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

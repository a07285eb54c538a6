/**
 * The JSON report, a contract users' scripts depend on (issue 2): fixed key order, 2-space
 * indent, trailing newline. `sites` (every NOFS/NOIO site with its verdict, issue 15),
 * `unusedSuppressions`, `skipped` and `suppressed` are extra top-level keys after `findings`. A
 * finding's keys never change; `fix` and `suggestions` are added after `related` only when a
 * rule offers them (an additive change).
 */
import type { Diagnostic, FixProposal } from '../engine/diagnostic.js';
import type { LintResult } from '../engine/lint-types.js';
import { TOOL_NAME, toolVersion } from '../engine/tool-info.js';

export interface JsonFinding {
  rule: string;
  severity: string;
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  function: string;
  message: string;
  related: { file: string; line: number; column: number; message: string }[];
  /** Present only when the rule offers a behaviour-preserving fix (what `--fix` applies). */
  fix?: JsonFix;
  /** Present only when the rule offers changes for a person to judge. */
  suggestions?: JsonFix[];
}

export interface JsonFix {
  description: string;
  edits: { file: string; line: number; column: number; endLine: number; endColumn: number; text: string }[];
}

function jsonFix(f: FixProposal): JsonFix {
  return { description: f.description, edits: f.edits.map((e) => ({ file: e.file, line: e.line, column: e.column, endLine: e.endLine, endColumn: e.endColumn, text: e.text })) };
}

export type JsonReportInput = Pick<LintResult, 'kernelVersion' | 'filesScanned' | 'findings' | 'unusedSuppressions' | 'skipped' | 'sites'> & {
  /** Findings silenced by a suppression comment; printed with their `reason` when given. */
  suppressed?: Diagnostic[];
};

/** One finding in contract order (explicit, so a new Diagnostic field never leaks into the output). */
export function jsonFinding(d: Diagnostic): JsonFinding {
  return {
    rule: d.rule,
    severity: d.severity,
    file: d.file,
    line: d.line,
    column: d.column,
    endLine: d.endLine,
    endColumn: d.endColumn,
    function: d.function,
    message: d.message,
    related: d.related.map((r) => ({ file: r.file, line: r.line, column: r.column, message: r.message })),
    ...(d.fix ? { fix: jsonFix(d.fix) } : {}),
    ...(d.suggestions?.length ? { suggestions: d.suggestions.map(jsonFix) } : {}),
  };
}

export function formatJson(result: JsonReportInput, version: string = toolVersion()): string {
  const doc: Record<string, unknown> = {
    tool: { name: TOOL_NAME, version },
    kernelVersion: result.kernelVersion,
    filesScanned: result.filesScanned,
    findings: result.findings.map(jsonFinding),
    sites: (result.sites ?? []).map((x) => ({
      file: x.file, line: x.line, column: x.column, function: x.function, clears: x.clears, written: x.written, callee: x.callee,
      verdict: x.verdict, evidence: x.evidence, related: x.related.map((r) => ({ file: r.file, line: r.line, column: r.column, message: r.message })),
    })),
    unusedSuppressions: result.unusedSuppressions.map(jsonFinding),
    skipped: result.skipped.map((s) => ({ file: s.file, reason: s.reason })),
  };
  if (result.suppressed) {
    doc.suppressed = result.suppressed.map((d) => ({ ...jsonFinding(d), reason: d.suppressed?.reason ?? null }));
  }
  return JSON.stringify(doc, null, 2) + '\n';
}

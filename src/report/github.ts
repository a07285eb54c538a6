/**
 * GitHub Actions: one workflow command per finding (`::error file=…,line=…,col=…,title=…::msg`,
 * actions/toolkit packages/core/src/command.ts), which the run page and the pull request's diff
 * show as annotations. GitHub shows only 10 error and 10 warning annotations per step (REST
 * checks docs), so the most important 10 of each level are printed, then one plain line saying
 * how many were left out; the full list goes to the step summary when `$GITHUB_STEP_SUMMARY` is
 * set, and completeness is SARIF's job.
 */
import { appendFileSync } from 'node:fs';
import type { Diagnostic } from '../engine/diagnostic.js';
import type { Severity } from '../engine/rule.js';
import { TOOL_NAME } from '../engine/tool-info.js';

/** Annotations GitHub shows per level and step. */
export const ANNOTATIONS_PER_LEVEL = 10;

const COMMAND: Record<Severity, 'error' | 'warning' | 'notice'> = { error: 'error', warning: 'warning', info: 'notice' };

/** A command's message: `%`, CR and LF escaped. */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A command's property value: as data, plus `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function annotation(d: Diagnostic): string {
  const props = [`file=${escapeProperty(d.file)}`, `line=${d.line}`, `endLine=${Math.max(d.line, d.endLine)}`, `col=${d.column}`];
  if (d.endLine === d.line && d.endColumn > d.column) props.push(`endColumn=${d.endColumn}`);
  props.push(`title=${escapeProperty(`${TOOL_NAME} ${d.rule}`)}`);
  const notes = d.related.map((r) => `\n${r.file}:${r.line}:${r.column}: note: ${r.message}`).join('');
  const where = d.function ? `in '${d.function}': ` : '';
  return `::${COMMAND[d.severity]} ${props.join(',')}::${escapeData(where + d.message + notes)}\n`;
}

/**
 * The annotations (errors first, each level capped, in report order within a level) and a line
 * counting what was left out.
 */
export function formatGithub(diags: readonly Diagnostic[], opts: { summaryWritten: boolean }): string {
  const out: string[] = [];
  let left = 0;
  for (const sev of ['error', 'warning', 'info'] as const) {
    const level = diags.filter((d) => d.severity === sev);
    out.push(...level.slice(0, ANNOTATIONS_PER_LEVEL).map(annotation));
    left += Math.max(0, level.length - ANNOTATIONS_PER_LEVEL);
  }
  if (left) {
    const where = opts.summaryWritten ? 'the step summary lists every finding' : 'use --format sarif for the full list';
    out.push(`${TOOL_NAME}: ${left} more finding${left === 1 ? '' : 's'} not annotated (GitHub shows ${ANNOTATIONS_PER_LEVEL} annotations per level and step); ${where}\n`);
  }
  return out.join('');
}

function cell(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!).replace(/\r?\n/g, '<br>');
}

function code(s: string): string {
  return s ? '`' + s.replace(/`/g, "'") + '`' : '';
}

/** The step summary: every finding as a markdown table row. */
export function githubStepSummary(diags: readonly Diagnostic[]): string {
  const counts = (['error', 'warning', 'info'] as const).map((s) => {
    const n = diags.filter((d) => d.severity === s).length;
    return `${n} ${s === 'info' || n === 1 ? s : s + 's'}`;
  });
  const lines = [`### ${TOOL_NAME}: ${diags.length} finding${diags.length === 1 ? '' : 's'} (${counts.join(', ')})`, ''];
  if (diags.length) {
    lines.push('| Severity | Location | Rule | Function | Message |', '| --- | --- | --- | --- | --- |');
    for (const d of diags) lines.push(`| ${d.severity} | ${cell(code(`${d.file}:${d.line}:${d.column}`))} | ${cell(code(d.rule))} | ${cell(code(d.function))} | ${cell(d.message)} |`);
  }
  return lines.join('\n') + '\n\n';
}

/** Append the summary to `$GITHUB_STEP_SUMMARY` (GitHub's convention: every command of the step appends). Returns whether it did. */
export function writeStepSummary(diags: readonly Diagnostic[], env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  try {
    appendFileSync(file, githubStepSummary(diags));
    return true;
  } catch (e) {
    throw new Error(`cannot write the step summary '${file}': ${(e as Error).message}`, { cause: e });
  }
}

/**
 * GitLab Code Quality: a JSON array of Code Climate issues, of which GitLab reads `description`,
 * `check_name`, `fingerprint`, `severity` and `location.path`/`location.lines.begin`
 * (gitlabhq:doc/ci/testing/code_quality.md, "Implement a custom tool"). The merge-request widget
 * tells new from fixed findings by fingerprint, so it is the line-independent one
 * (engine/fingerprint.ts): an edit above a finding does not show it as fixed and new again.
 */
import type { Diagnostic } from '../engine/diagnostic.js';
import { fingerprints, type SourceReader } from '../engine/fingerprint.js';
import type { Severity } from '../engine/rule.js';

export type GitlabSeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

/** As ESLint's and other linters' GitLab reports map them: an error is major, a warning minor. */
export const GITLAB_SEVERITY: Record<Severity, GitlabSeverity> = { error: 'major', warning: 'minor', info: 'info' };

export interface GitlabIssue {
  description: string;
  check_name: string;
  fingerprint: string;
  severity: GitlabSeverity;
  location: { path: string; lines: { begin: number; end: number } };
}

export function toGitlab(diags: readonly Diagnostic[], source: SourceReader): GitlabIssue[] {
  const prints = fingerprints(diags, source);
  return diags.map((d, i) => ({
    description: d.function ? `${d.message} (in '${d.function}')` : d.message,
    check_name: d.rule,
    fingerprint: `${prints[i].key}:${prints[i].occurrence}`,
    severity: GITLAB_SEVERITY[d.severity],
    location: { path: d.file, lines: { begin: d.line, end: Math.max(d.line, d.endLine) } },
  }));
}

/** No byte-order mark (GitLab rejects one), 2-space indent, trailing newline. */
export function formatGitlab(diags: readonly Diagnostic[], source: SourceReader): string {
  return JSON.stringify(toGitlab(diags, source), null, 2) + '\n';
}

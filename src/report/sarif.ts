/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: `tool.driver.rules[]` from the
 * rule metadata, one result per finding with its related locations, and a line-independent
 * `primaryLocationLineHash` so baselines survive unrelated edits.
 */
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from '../engine/diagnostic.js';
import { UNUSED_DISABLE } from '../engine/registry.js';
import type { Rule, Severity } from '../engine/rule.js';
import { INFORMATION_URI, TOOL_NAME, toolVersion } from '../engine/tool-info.js';
import { renderRuleSection } from '../docs/render.js';
import type { JsonReportInput } from './json.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';
/** GitHub rejects longer rule descriptions. */
const MAX_DESCRIPTION = 1024;

export interface SarifOptions {
  /** Rule descriptors to declare (normally every registered rule); `unused-disable` is added. */
  rules: readonly Rule[];
  /** The directory relative paths are relative to; recorded as `%SRCROOT%`. */
  cwd?: string;
  version?: string;
  /** Where fixtures/ lives, for the help markdown's example (default: gfplint's own tree). */
  docsRoot?: string;
  /** Also emit suppressed findings, marked with `suppressions[{kind: 'inSource'}]`. */
  includeSuppressed?: boolean;
}

type Level = 'error' | 'warning' | 'note';

export function sarifLevel(s: Severity): Level {
  return s === 'info' ? 'note' : s;
}

interface ReportingDescriptor {
  id: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown?: string };
  messageStrings?: Record<string, { text: string }>;
  defaultConfiguration: { level: Level };
  properties: { precision: string; 'problem.severity': string; tags: string[] };
}

function clip(s: string): string {
  const t = s.trim();
  return t.length <= MAX_DESCRIPTION ? t : t.slice(0, MAX_DESCRIPTION - 1) + '…';
}

function descriptor(rule: Rule, docsRoot: string | undefined): ReportingDescriptor {
  const level = sarifLevel(rule.severity);
  return {
    id: rule.id,
    shortDescription: { text: clip(rule.summary) },
    fullDescription: { text: clip(rule.docs.rationale) },
    help: { text: rule.docs.fix.trim(), markdown: renderRuleSection(rule, docsRoot) },
    messageStrings: Object.fromEntries(Object.entries(rule.messages).map(([k, v]) => [k, { text: v }])),
    defaultConfiguration: { level },
    properties: { precision: rule.confidence, 'problem.severity': level === 'note' ? 'recommendation' : level, tags: ['gfp', `${rule.scope}-scope`] },
  };
}

const unusedDisableDescriptor: ReportingDescriptor = {
  id: UNUSED_DISABLE,
  shortDescription: { text: 'Reports suppression comments that silence nothing, name an unknown rule or are malformed' },
  fullDescription: { text: 'A suppression that silences nothing today will silently hide a future finding on that line.' },
  help: { text: 'Delete the comment, or correct the rule id it names.' },
  defaultConfiguration: { level: 'warning' },
  properties: { precision: 'very-high', 'problem.severity': 'warning', tags: ['suppression'] },
};

/** A relative path as a percent-encoded URI reference against `%SRCROOT%`; an absolute one as a file URI. */
export function artifactLocation(file: string): { uri: string; uriBaseId?: string } {
  // A lone surrogate (possible in an in-memory source's name) makes encodeURIComponent throw.
  const name = file.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
  if (name.startsWith('/')) return { uri: pathToFileURL(name).href };
  return { uri: name.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT };
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

/** Hash of rule, file, function and normalised message (no positions). */
export function findingHash(d: Diagnostic): string {
  return createHash('sha256').update([d.rule, d.file, d.function, normaliseMessage(d.message)].join('\0')).digest('hex').slice(0, 16);
}

function region(line: number, column: number, endLine?: number, endColumn?: number): Record<string, number> {
  const r: Record<string, number> = { startLine: line, startColumn: column };
  if (endLine !== undefined && endColumn !== undefined) {
    r.endLine = endLine;
    r.endColumn = endLine === line ? Math.max(endColumn, column) : endColumn;
  }
  return r;
}

export function toSarif(result: JsonReportInput, opts: SarifOptions): Record<string, unknown> {
  const descriptors = [...opts.rules.filter((r) => r.id !== UNUSED_DISABLE).map((r) => descriptor(r, opts.docsRoot)), unusedDisableDescriptor];
  const ruleIndex = new Map(descriptors.map((d, i) => [d.id, i]));
  const seen = new Map<string, number>();

  const diags: Diagnostic[] = [...result.findings, ...result.unusedSuppressions];
  if (opts.includeSuppressed && result.suppressed) diags.push(...result.suppressed);

  const results = diags.map((d) => {
    const hash = findingHash(d);
    const n = (seen.get(hash) ?? 0) + 1;
    seen.set(hash, n);
    const res: Record<string, unknown> = { ruleId: d.rule };
    const idx = ruleIndex.get(d.rule);
    if (idx !== undefined) res.ruleIndex = idx;
    res.level = sarifLevel(d.severity);
    res.message = { text: d.message };
    const location: Record<string, unknown> = {
      physicalLocation: { artifactLocation: artifactLocation(d.file), region: region(d.line, d.column, d.endLine, d.endColumn) },
    };
    if (d.function) location.logicalLocations = [{ name: d.function, kind: 'function' }];
    res.locations = [location];
    if (d.related.length) {
      res.relatedLocations = d.related.map((r, i) => ({
        id: i + 1,
        physicalLocation: { artifactLocation: artifactLocation(r.file), region: region(r.line, r.column) },
        message: { text: r.message },
      }));
    }
    res.partialFingerprints = { primaryLocationLineHash: `${hash}:${n}` };
    if (d.suppressed) res.suppressions = [{ kind: 'inSource', ...(d.suppressed.reason ? { justification: d.suppressed.reason } : {}) }];
    return res;
  });

  const version = opts.version ?? toolVersion();
  const run: Record<string, unknown> = {
    tool: { driver: { name: TOOL_NAME, version, semanticVersion: version, informationUri: INFORMATION_URI, rules: descriptors } },
  };
  if (opts.cwd) run.originalUriBaseIds = { [SRCROOT]: { uri: pathToFileURL(opts.cwd.endsWith('/') ? opts.cwd : opts.cwd + '/').href } };
  run.columnKind = 'utf16CodeUnits';
  run.properties = { kernelVersion: result.kernelVersion, filesScanned: result.filesScanned };
  run.invocations = [
    {
      executionSuccessful: true,
      toolExecutionNotifications: result.skipped.map((s) => ({
        level: 'warning',
        message: { text: `skipped: ${s.reason}` },
        locations: [{ physicalLocation: { artifactLocation: artifactLocation(s.file) } }],
      })),
    },
  ];
  run.results = results;
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}

export function formatSarif(result: JsonReportInput, opts: SarifOptions): string {
  return JSON.stringify(toSarif(result, opts), null, 2) + '\n';
}

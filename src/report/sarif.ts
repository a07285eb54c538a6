/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers: `tool.driver.rules[]` from the rule
 * records, one result per finding with its related locations (linked from the message), the
 * witness chain as a code flow, suggested fixes, and line-independent `partialFingerprints`
 * (engine/fingerprint.ts) so an alert keeps its identity when code above it moves.
 */
import { pathToFileURL } from 'node:url';
import type { Diagnostic, FixProposal } from '../engine/diagnostic.js';
import { fileSourceReader, fingerprints, fingerprintKey, normaliseMessage, type SourceReader } from '../engine/fingerprint.js';
import { UNUSED_DISABLE } from '../engine/registry.js';
import type { Rule, Severity } from '../engine/rule.js';
import { INFORMATION_URI, ruleDocsUri, TOOL_NAME, toolVersion } from '../engine/tool-info.js';
import { renderRuleSection } from '../docs/render.js';
import type { JsonReportInput } from './json.js';

export { normaliseMessage };

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const SRCROOT = '%SRCROOT%';
/** GitHub rejects longer rule descriptions. */
const MAX_DESCRIPTION = 1024;
/** Our own fingerprint's name in `partialFingerprints` (the baseline's key; engine/fingerprint.ts). */
export const FINGERPRINT_NAME = `${TOOL_NAME}/v1`;

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
  /** Findings a baseline hid: emitted with `suppressions[{kind: 'external'}]` so auditors still see them. */
  baselined?: readonly Diagnostic[];
  /** The text of each file, for the fingerprints (default: read from disk relative to `cwd`). */
  source?: SourceReader;
}

type Level = 'error' | 'warning' | 'note';

export function sarifLevel(s: Severity): Level {
  return s === 'info' ? 'note' : s;
}

interface ReportingDescriptor {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown?: string };
  helpUri?: string;
  messageStrings?: Record<string, { text: string }>;
  defaultConfiguration: { level: Level };
  properties: { precision: string; 'problem.severity': string; tags: string[] };
}

function clip(s: string): string {
  const t = s.trim();
  return t.length <= MAX_DESCRIPTION ? t : t.slice(0, MAX_DESCRIPTION - 1) + '…';
}

/** `sleep-in-atomic` → `SleepInAtomic` (SARIF's readable rule name). */
export function ruleName(id: string): string {
  return id.split(/[^A-Za-z0-9]+/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');
}

function descriptor(rule: Rule, docsRoot: string | undefined): ReportingDescriptor {
  const level = sarifLevel(rule.severity);
  const uri = ruleDocsUri(rule.id);
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: clip(rule.summary) },
    fullDescription: { text: clip(rule.docs.rationale) },
    // GitHub shows help.markdown and ignores helpUri, so the link goes in the markdown too.
    help: { text: `${rule.docs.fix.trim()}\n\nDocumentation: ${uri}`, markdown: `${renderRuleSection(rule, docsRoot)}\n[Documentation of ${rule.id}](${uri})\n` },
    helpUri: uri,
    messageStrings: Object.fromEntries(Object.entries(rule.messages).map(([k, v]) => [k, { text: v }])),
    defaultConfiguration: { level },
    properties: {
      precision: rule.confidence,
      'problem.severity': level === 'note' ? 'recommendation' : level,
      tags: ['gfp', `${rule.scope}-scope`, ...(rule.recommended ? [] : ['not-recommended'])],
    },
  };
}

const unusedDisableDescriptor: ReportingDescriptor = {
  id: UNUSED_DISABLE,
  name: ruleName(UNUSED_DISABLE),
  shortDescription: { text: 'Reports suppression comments that silence nothing, name an unknown rule or are malformed' },
  fullDescription: { text: 'A suppression that silences nothing today will silently hide a future finding on that line.' },
  help: { text: 'Delete the comment, or correct the rule id it names.' },
  helpUri: INFORMATION_URI,
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

/** Hash of rule, file, function and normalised message, without the code (when no source is at hand). */
export function findingHash(d: Diagnostic): string {
  return fingerprintKey(d, undefined);
}

function region(line: number, column: number, endLine?: number, endColumn?: number): Record<string, number> {
  const r: Record<string, number> = { startLine: line, startColumn: column };
  if (endLine !== undefined && endColumn !== undefined) {
    r.endLine = endLine;
    r.endColumn = endLine === line ? Math.max(endColumn, column) : endColumn;
  }
  return r;
}

function physical(file: string, line: number, column: number, endLine?: number, endColumn?: number): Record<string, unknown> {
  return { artifactLocation: artifactLocation(file), region: region(line, column, endLine, endColumn) };
}

/**
 * The message with each `line N` that names a related location in the same file turned into a
 * SARIF link to it (`[line 12](1)`), so a viewer jumps to where the lock or scope began.
 * Brackets already in the message are escaped, as SARIF §3.11.6 asks when a message has links.
 */
export function linkedMessage(d: Diagnostic): string | undefined {
  const ids = new Map<number, number>();
  d.related.forEach((r, i) => {
    if (r.file === d.file && !ids.has(r.line)) ids.set(r.line, i + 1);
  });
  if (!ids.size) return undefined;
  let linked = false;
  const text = d.message.replace(/[[\]]/g, (c) => `\\${c}`).replace(/\bline (\d+)\b/g, (m, n: string) => {
    const id = ids.get(Number(n));
    if (id === undefined) return m;
    linked = true;
    return `[${m}](${id})`;
  });
  return linked ? text : undefined;
}

/** The witness chain (callers, scope opener, lock) in order, ending at the finding. */
function codeFlow(d: Diagnostic): Record<string, unknown> {
  const steps = d.related.map((r) => ({
    location: { physicalLocation: physical(r.file, r.line, r.column), message: { text: r.message } },
    importance: 'important',
  }));
  steps.push({ location: { physicalLocation: physical(d.file, d.line, d.column, d.endLine, d.endColumn), message: { text: d.message } }, importance: 'essential' });
  return { threadFlows: [{ locations: steps }] };
}

function sarifFix(f: FixProposal): Record<string, unknown> {
  const byFile = new Map<string, FixProposal['edits']>();
  for (const e of f.edits) byFile.set(e.file, [...(byFile.get(e.file) ?? []), e]);
  return {
    description: { text: f.description },
    artifactChanges: [...byFile].map(([file, edits]) => ({
      artifactLocation: artifactLocation(file),
      replacements: edits.map((e) => ({ deletedRegion: region(e.line, e.column, e.endLine, e.endColumn), insertedContent: { text: e.text } })),
    })),
  };
}

export function toSarif(result: JsonReportInput, opts: SarifOptions): Record<string, unknown> {
  const descriptors = [...opts.rules.filter((r) => r.id !== UNUSED_DISABLE).map((r) => descriptor(r, opts.docsRoot)), unusedDisableDescriptor];
  const ruleIndex = new Map(descriptors.map((d, i) => [d.id, i]));

  const diags: Diagnostic[] = [...result.findings, ...result.unusedSuppressions];
  if (opts.includeSuppressed && result.suppressed) diags.push(...result.suppressed);
  const baselined = new Set(opts.baselined ?? []);
  diags.push(...baselined);
  const prints = fingerprints(diags, opts.source ?? fileSourceReader(opts.cwd ?? process.cwd()));

  const results = diags.map((d, i) => {
    const res: Record<string, unknown> = { ruleId: d.rule };
    const idx = ruleIndex.get(d.rule);
    if (idx !== undefined) res.ruleIndex = idx;
    res.level = sarifLevel(d.severity);
    const linked = linkedMessage(d);
    res.message = { text: linked ?? d.message };
    const location: Record<string, unknown> = { physicalLocation: physical(d.file, d.line, d.column, d.endLine, d.endColumn) };
    if (d.function) location.logicalLocations = [{ name: d.function, kind: 'function' }];
    res.locations = [location];
    if (d.related.length) {
      res.relatedLocations = d.related.map((r, k) => ({ id: k + 1, physicalLocation: physical(r.file, r.line, r.column), message: { text: r.message } }));
      res.codeFlows = [codeFlow(d)];
    }
    const { key, occurrence } = prints[i];
    res.partialFingerprints = { primaryLocationLineHash: `${key}:${occurrence}`, [FINGERPRINT_NAME]: `${key}:${occurrence}` };
    const fixes = [...(d.fix ? [d.fix] : []), ...(d.suggestions ?? [])];
    if (fixes.length) res.fixes = fixes.map(sarifFix);
    if (baselined.has(d)) res.suppressions = [{ kind: 'external', status: 'accepted', justification: 'in the baseline' }];
    else if (d.suppressed) res.suppressions = [{ kind: 'inSource', ...(d.suppressed.reason ? { justification: d.suppressed.reason } : {}) }];
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
      ...(opts.cwd ? { workingDirectory: { uri: pathToFileURL(opts.cwd.endsWith('/') ? opts.cwd : opts.cwd + '/').href } } : {}),
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

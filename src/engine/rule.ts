/**
 * The rule interface: one declarative record per rule (id, summary, severity, docs, messages) and
 * a pure generator `check` that reads analysed facts and yields findings. The engine adds the id,
 * severity, suppressions, ordering and every output format.
 */
import type { FunctionView, Witness } from '../function/view.js';
import type { Model } from '../model/context.js';
import type { Rng } from '../syntax/facts.js';
import type { ProgramView } from '../program/program-view.js';

export type Severity = 'error' | 'warning' | 'info';
export type Confidence = 'high' | 'medium' | 'low';

export interface RuleDocs {
  /** Why it matters (markdown), citing the kernel documentation or the model. */
  rationale: string;
  /** What to do instead. */
  fix: string;
  /** Known false positives / negatives. */
  limitations?: string;
  /** Kernel Documentation/ paths, headers, commits. */
  references: string[];
}

export interface Finding<M extends string = string> {
  message: M;
  /** Lower than the rule's severity for this finding only (a suggestion where the rule usually warns). */
  severity?: Severity;
  /** Fills `{{placeholders}}`; an undefined value leaves the placeholder visible (tests catch it). */
  data?: Record<string, string | number | undefined>;
  at: Rng;
  related?: { at: Rng; note: string; file?: string }[];
}

export interface RuleContext {
  model: Model;
  /** Present for every rule; interprocedural facts are empty when only one file is known. */
  program: ProgramView;
}

export interface Rule<M extends string = string> {
  id: string;
  /** One line: "Reports …", no trailing period. */
  summary: string;
  severity: Severity;
  confidence: Confidence;
  recommended: boolean;
  scope: 'function' | 'program';
  messages: Record<M, string>;
  docs: RuleDocs;
  check(fn: FunctionView, ctx: RuleContext): Iterable<Finding<M>>;
}

export const defineRule = <const M extends string>(rule: Rule<M>): Rule<M> => rule;

export type { Witness };

/** Fill `{{name}}` placeholders; a missing one is left visible so tests catch it. */
export function renderMessage(template: string, data: Record<string, string | number | undefined> = {}): string {
  return template.replace(/\{\{(\w+)\}\}/g, (m, k: string) => (data[k] !== undefined ? String(data[k]) : m));
}

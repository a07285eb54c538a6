/**
 * The rule interface: one declarative record per rule (id, summary, severity, docs, messages) and
 * a pure generator `check` that reads analysed facts and yields findings. The engine adds the id,
 * severity, suppressions, ordering and every output format.
 */
import type { FunctionView, Witness } from '../function/view.js';
import type { Model } from '../model/context.js';
import type { Rng } from '../facts/facts.js';
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
  /** A change that provably keeps behaviour (`--fix` applies it); only where the analysis proves it. */
  fix?: RuleFix;
  /** Changes for a person to judge (JSON `suggestions`, SARIF `fixes`); never applied. */
  suggestions?: RuleFix[];
}

/**
 * A fix as data: replace the text of `at` (in the function's file unless `file` is given) with
 * `text`. `expect` is the text the rule believes is there; the engine refuses the edit when the
 * file says otherwise.
 */
export interface RuleFix {
  description: string;
  edits: { at: Rng; text: string; expect?: string; file?: string }[];
}

export interface RuleContext {
  model: Model;
  /** Present for every rule; interprocedural facts are empty when only one file is known. */
  program: ProgramView;
}

/**
 * The facts of a FunctionView a finding can start from. A two-pass run re-analyses in pass B only
 * the functions holding a fact that some selected rule starts from (lint.ts mayReport()), so every
 * rule declares all the facts it starts from; test/rules.test.ts holds each rule to its record.
 */
export const VIEW_FACTS = {
  allocations: (v: FunctionView) => v.allocations.length > 0,
  frees: (v: FunctionView) => v.frees.length > 0,
  scopes: (v: FunctionView) => v.scopes.length > 0,
  scopeIssues: (v: FunctionView) => v.scopeIssues.length > 0,
  openCoded: (v: FunctionView) => v.openCoded.length > 0,
  gfpParams: (v: FunctionView) => v.gfpParams.length > 0,
  /** Returns with a scope open (a provider). */
  exitScopes: (v: FunctionView) => v.exitScopes.length > 0,
  /** A call made with an atomic lock or section held on every path into it. */
  atomicCalls: (v: FunctionView) => v.calls.some((c) => c.ctx.held.some((h) => h.atomic)),
} as const satisfies Record<string, (v: FunctionView) => boolean>;

export type ViewFact = keyof typeof VIEW_FACTS;

/** True when the view holds one of `facts`: a rule starting from them may report on it. */
export function holdsAnyFact(v: FunctionView, facts: Iterable<ViewFact>): boolean {
  for (const f of facts) if (VIEW_FACTS[f](v)) return true;
  return false;
}

export interface Rule<M extends string = string> {
  id: string;
  /** One line: "Reports …", no trailing period. */
  summary: string;
  severity: Severity;
  confidence: Confidence;
  recommended: boolean;
  scope: 'function' | 'program';
  /** The view facts its findings start from (at least one): what the pass-B scheduler looks for. */
  startsFrom: readonly [ViewFact, ...ViewFact[]];
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

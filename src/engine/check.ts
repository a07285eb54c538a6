/**
 * The checking stage (docs/architecture.md): rules over analysed functions, each asking the
 * whole-program view (a run's own, or the program database's answers) what it needs. Returns the
 * raw findings; suppressions, de-duplication and sorting come after.
 */
import type { FunctionView } from '../function/view.js';
import type { Model } from '../model/context.js';
import type { ProgramView } from '../program/program-view.js';
import type { Rng } from '../syntax/facts.js';
import type { Diagnostic } from './diagnostic.js';
import { fixesOf } from './fix.js';
import { renderMessage, type Rule } from './rule.js';

function toLoc(r: Rng) {
  return { line: r[0] + 1, column: r[1] + 1, endLine: r[2] + 1, endColumn: r[3] + 1 };
}

/**
 * Runs `rules` over `views`. `model` is the model without inferred wrappers: a wrapper is checked
 * as a function, not as an allocator (rules skip functions the model lists as allocators). A rule
 * that throws on one function loses that function's findings of that rule, not the run:
 * `onRuleError` hears of it once per function and rule.
 */
export function checkViews(views: readonly FunctionView[], rules: readonly Rule[], model: Model, program: ProgramView, onRuleError: (file: string, reason: string) => void): Diagnostic[] {
  const out: Diagnostic[] = [];
  const ctx = { model, program };
  for (const fv of views) {
    for (const rule of rules) {
      try {
        for (const f of rule.check(fv, ctx)) {
          out.push({
            rule: rule.id,
            severity: f.severity ?? rule.severity,
            file: fv.file,
            ...toLoc(f.at),
            function: fv.name,
            message: renderMessage(rule.messages[f.message], f.data),
            related: (f.related ?? []).map((r) => ({ file: r.file ?? fv.file, line: r.at[0] + 1, column: r.at[1] + 1, message: r.note })),
            ...fixesOf(f, fv.file),
          });
        }
      } catch (e) {
        onRuleError(fv.file, `rule '${rule.id}' failed on '${fv.name}': ${(e as Error).message}`);
      }
    }
  }
  return out;
}

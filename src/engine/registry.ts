/**
 * The rule registry: the list from `rules/index.ts`, checked once (ids unique and kebab-case),
 * looked up by id, and the `--rule`/`--disable` selection that the CLI and the fixtures use.
 */
import { rules as registered } from '../../rules/index.js';
import type { Rule } from './rule.js';

/** The pseudo-rule under which unused or malformed suppression comments are reported. */
export const UNUSED_DISABLE = 'unused-disable';

const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/** Problems with a rule list: duplicate ids, ids that are not kebab-case, the reserved pseudo-rule id. */
export function checkRuleList(list: readonly Rule[]): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const r of list) {
    if (!KEBAB.test(r.id)) errors.push(`rule id '${r.id}' is not kebab-case`);
    if (r.id === UNUSED_DISABLE) errors.push(`rule id '${r.id}' is reserved for suppression comments`);
    if (seen.has(r.id)) errors.push(`rule id '${r.id}' is registered twice`);
    seen.add(r.id);
  }
  return errors;
}

let byId: Map<string, Rule> | undefined;

function load(): Map<string, Rule> {
  if (byId) return byId;
  const errors = checkRuleList(registered);
  if (errors.length) throw new Error(`rules/index.ts: ${errors.join('; ')}`);
  byId = new Map(registered.map((r) => [r.id, r]));
  return byId;
}

/** Every registered rule, in registration (id) order. */
export function allRules(): Rule[] {
  return [...load().values()];
}

export function getRule(id: string): Rule | undefined {
  return load().get(id);
}

/** The rules a run uses when none are named. */
export function recommendedRules(): Rule[] {
  return allRules().filter((r) => r.recommended);
}

/** Ids a suppression comment or a fixture annotation may name: every rule plus `unused-disable`. */
export function knownRuleIds(): Set<string> {
  return new Set([...load().keys(), UNUSED_DISABLE]);
}

/**
 * The rules a run uses: exactly `enable` when given (non-empty), otherwise every recommended
 * rule; minus `disable`. An unknown id in either list is an error naming it.
 */
export function resolveRuleSelection(enable?: readonly string[], disable?: readonly string[]): Rule[] | { error: string } {
  const map = load();
  for (const id of [...(enable ?? []), ...(disable ?? [])]) {
    if (!map.has(id)) return { error: unknownRuleMessage(id) };
  }
  const wanted = enable && enable.length ? new Set(enable) : undefined;
  const off = new Set(disable ?? []);
  return allRules().filter((r) => (wanted ? wanted.has(r.id) : r.recommended) && !off.has(r.id));
}

/** `unknown rule 'x' (did you mean 'y'?)`, with the closest id when one is close. */
export function unknownRuleMessage(id: string): string {
  const near = closest(id, [...load().keys()]);
  return `unknown rule '${id}'` + (near ? ` (did you mean '${near}'?)` : ' (see \'gfplint rules\')');
}

function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const o of options) {
    const d = editDistance(word, o);
    if (d < bestD) [best, bestD] = [o, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

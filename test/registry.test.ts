/**
 * The registry's checks and the --rule/--disable selection, on the real rule list and on
 * hand-made ones.
 */
import { expect, test } from 'vitest';
import { allRules, checkRuleList, getRule, knownRuleIds, recommendedRules, resolveRuleSelection } from '../src/engine/registry.js';
import { defineRule, type Rule } from '../src/engine/rule.js';

const fake = (id: string): Rule =>
  defineRule({
    id,
    summary: 'Reports nothing',
    severity: 'warning',
    confidence: 'low',
    recommended: false,
    scope: 'function',
    startsFrom: ['allocations'],
    messages: { m: 'nothing' },
    docs: { rationale: 'r', fix: 'f', references: ['x'] },
    *check() {},
  });

test('checkRuleList rejects duplicate, non-kebab and reserved ids', () => {
  expect(checkRuleList([fake('a-b'), fake('c')])).toEqual([]);
  expect(checkRuleList([fake('a-b'), fake('a-b')])).toEqual(["rule id 'a-b' is registered twice"]);
  expect(checkRuleList([fake('Sleep_In_Atomic')])).toEqual(["rule id 'Sleep_In_Atomic' is not kebab-case"]);
  expect(checkRuleList([fake('a--b'), fake('-a')])).toHaveLength(2);
  expect(checkRuleList([fake('unused-disable')])).toEqual(["rule id 'unused-disable' is reserved for suppression comments"]);
});

test('lookups agree with the list', () => {
  for (const r of allRules()) expect(getRule(r.id)).toBe(r);
  expect(getRule('no-such-rule')).toBeUndefined();
  expect(recommendedRules().every((r) => r.recommended)).toBe(true);
  expect(knownRuleIds()).toEqual(new Set([...allRules().map((r) => r.id), 'unused-disable']));
});

test('selection: default recommended, --rule picks exactly, --disable removes, unknown ids are errors', () => {
  expect(resolveRuleSelection()).toEqual(recommendedRules());
  expect(resolveRuleSelection([], [])).toEqual(recommendedRules());
  const [first, second] = allRules();
  if (first && second) {
    expect(resolveRuleSelection([second.id, first.id])).toEqual([first, second]);
    expect(resolveRuleSelection([first.id, second.id], [first.id])).toEqual([second]);
    expect(resolveRuleSelection(undefined, [first.id])).toEqual(recommendedRules().filter((r) => r !== first));
    const typo = first.id.slice(0, -1) + (first.id.endsWith('x') ? 'y' : 'x');
    expect(resolveRuleSelection([typo])).toEqual({ error: `unknown rule '${typo}' (did you mean '${first.id}'?)` });
  }
  expect(resolveRuleSelection(undefined, ['zzzzzzzzzzzz'])).toEqual({ error: "unknown rule 'zzzzzzzzzzzz' (see 'gfplint rules')" });
});

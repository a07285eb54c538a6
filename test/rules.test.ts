/**
 * Meta-checks that keep rules, their registration, fixtures and docs in step (style.md (d), (e)):
 * one id, one `rules/<id>.ts`, one `fixtures/<id>/` with an example that fires exactly once.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { rules } from '../rules/index.js';
import { checkRuleList, UNUSED_DISABLE } from '../src/engine/registry.js';
import { holdsAnyFact, VIEW_FACTS, type Rule, type ViewFact } from '../src/engine/rule.js';
import { ALL_RULES_DIR, fixturesRoot, listCases, listFixtureDirs, repoRoot, runCase, type FixtureCase } from './expectations.js';

const rulesDir = join(repoRoot, 'rules');
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.ts') && f !== 'index.ts').map((f) => f.slice(0, -3)).sort();
const ids = rules.map((r) => r.id);

/** A regex that matches what a message template renders to, whatever the placeholders hold. */
function templateRegex(template: string): RegExp {
  const parts = template.split(/\{\{\w+\}\}/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp('^' + parts.join('[\\s\\S]*?') + '$');
}

describe('the registry', () => {
  test('ids are unique, kebab-case and not reserved', () => {
    expect(checkRuleList(rules)).toEqual([]);
  });

  test('rules/index.ts lists the rules sorted by id', () => {
    expect(ids).toEqual([...ids].sort());
  });

  test('every rules/<id>.ts is registered, and every registered rule has its file', () => {
    expect(ids).toEqual(ruleFiles);
  });

  test('every fixtures/ folder is a rule id or all-rules', () => {
    const stray = listFixtureDirs().filter((d) => d !== ALL_RULES_DIR && !ids.includes(d));
    expect(stray, `fixtures/ folders that match no rule id: ${stray.join(', ')}`).toEqual([]);
  });
});

/**
 * Runs the fixture cases with `rule.check` watched: every finding it yields on a function whose
 * view holds none of the facts the rule declares in `startsFrom` is returned. Such a finding
 * would be lost in a two-pass run, whose pass B re-analyses only functions holding a declared fact.
 */
async function findingsOutsideStartsFrom(rule: Rule, cases: FixtureCase[]): Promise<string[]> {
  const original = rule.check;
  const outside: string[] = [];
  rule.check = function* watched(fn, ctx) {
    for (const f of original.call(rule, fn, ctx)) {
      if (!holdsAnyFact(fn, rule.startsFrom)) outside.push(`${fn.file}:${f.at[0] + 1}: '${f.message}' in ${fn.name}()`);
      yield f;
    }
  };
  try {
    for (const c of cases) await runCase(c);
  } finally {
    rule.check = original;
  }
  return outside;
}

/** The rule's own fixture cases, and the all-rules ones when it is recommended. */
const casesOf = (rule: Rule): FixtureCase[] => [...(existsSync(join(fixturesRoot, rule.id)) ? listCases(rule.id) : []), ...(rule.recommended ? listCases(ALL_RULES_DIR) : [])];

test('a rule that reports on a function holding none of its declared facts fails the startsFrom check', async () => {
  const rule = rules.find((r) => r.id === 'nofs-redundant')!;
  const declared = rule.startsFrom;
  // As if it had been written to start from frees: its findings on allocations fall outside.
  (rule as { startsFrom: readonly ViewFact[] }).startsFrom = ['frees'];
  try {
    expect(await findingsOutsideStartsFrom(rule, listCases(rule.id))).not.toEqual([]);
  } finally {
    (rule as { startsFrom: readonly ViewFact[] }).startsFrom = declared;
  }
});

describe.for(ids)('%s', (id) => {
  const rule: Rule = rules.find((r) => r.id === id)!;
  test('rules/<id>.ts default-exports the registered rule', async () => {
    const mod = (await import(pathToFileURL(join(rulesDir, `${id}.ts`)).href)) as { default?: Rule };
    expect(mod.default?.id).toBe(id);
    expect(mod.default).toBe(rule);
  });

  test('summary reads "Reports …" without a trailing period', () => {
    expect(rule.summary).toMatch(/^Reports [a-z].*[^.]$/);
    expect(rule.summary).not.toMatch(/\n/);
  });

  test('startsFrom names the view facts its findings start from (the two-pass scheduler reads it)', async () => {
    expect(rule.startsFrom.length).toBeGreaterThan(0);
    for (const f of rule.startsFrom) expect(Object.keys(VIEW_FACTS)).toContain(f);
    expect(await findingsOutsideStartsFrom(rule, casesOf(rule))).toEqual([]);
  });

  test('docs fields are non-empty', () => {
    expect(rule.docs.rationale.trim()).not.toBe('');
    expect(rule.docs.fix.trim()).not.toBe('');
    if (rule.docs.limitations !== undefined) expect(rule.docs.limitations.trim()).not.toBe('');
    expect(rule.docs.references.length).toBeGreaterThan(0);
    for (const r of rule.docs.references) expect(r.trim()).not.toBe('');
  });

  test('messages: non-empty, lowercase start, no trailing period, well-formed placeholders', () => {
    const keys = Object.keys(rule.messages);
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      const m = (rule.messages as Record<string, string>)[k];
      expect(m.trim(), k).not.toBe('');
      expect(m, k).not.toMatch(/^[A-Z]/);
      expect(m, k).not.toMatch(/\.$/);
      expect(m.replace(/\{\{\w+\}\}/g, ''), `${k}: stray braces`).not.toMatch(/\{\{|\}\}/);
    }
  });

  test('fixtures/<id>/example.c exists and yields exactly one diagnostic', async () => {
    const example = join(fixturesRoot, id, 'example.c');
    expect(existsSync(example), `${example} is missing`).toBe(true);
    const { diagnostics } = await runCase({ dir: id, name: 'example.c', files: [example] });
    expect(diagnostics.map((d) => `${d.rule}@${d.line}: ${d.message}`)).toHaveLength(1);
    expect(diagnostics[0].rule).toBe(id);
  });

  test('the fixture folder expects the rule somewhere, and every message key fires in some fixture', async () => {
    const cases = existsSync(join(fixturesRoot, id)) ? listCases(id) : [];
    const outcomes = await Promise.all(cases.map((c) => runCase(c)));
    const expects = outcomes.flatMap((o) => o.parsed.flatMap((p) => p.annotations)).filter((a) => a.kind === 'expect' && a.rule === id);
    expect(expects.length, `no 'expect: ${id}' annotation under fixtures/${id}/`).toBeGreaterThan(0);
    const messages = outcomes.flatMap((o) => o.diagnostics).filter((d) => d.rule === id).map((d) => d.message);
    const unused = Object.entries(rule.messages as Record<string, string>)
      .filter(([, t]) => !messages.some((m) => templateRegex(t).test(m)))
      .map(([k]) => k);
    expect(unused, `message keys no fixture under fixtures/${id}/ produces`).toEqual([]);
  });
});

test(`'${UNUSED_DISABLE}' is reserved for suppression comments`, () => {
  expect(ids).not.toContain(UNUSED_DISABLE);
  expect(existsSync(join(fixturesRoot, UNUSED_DISABLE))).toBe(false);
});

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
import type { Rule } from '../src/engine/rule.js';
import { ALL_RULES_DIR, fixturesRoot, listCases, listFixtureDirs, repoRoot, runCase } from './expectations.js';

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

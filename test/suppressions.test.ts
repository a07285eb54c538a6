/**
 * Suppression comments, read from real comment nodes: which findings they silence, the reason
 * they keep, and the `unused-disable` diagnostics for ones that silence nothing.
 */
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../src/engine/diagnostic.js';
import { applySuppressions, commentBody, parseSuppressions } from '../src/engine/suppressions.js';
import { extractFacts } from '../src/syntax/extract.js';
import type { CommentFact } from '../src/syntax/facts.js';
import { parseC } from '../src/syntax/parser.js';

const FILE = 'drivers/x.c';
const KNOWN = new Set(['rule-a', 'rule-b', 'unused-disable']);

function comments(text: string): CommentFact[] {
  const tree = parseC(text);
  if (!tree) throw new Error('no tree');
  return extractFacts(tree, text).directives;
}

function finding(rule: string, line: number, message = `${rule} here`): Diagnostic {
  return { rule, severity: 'warning', file: FILE, line, column: 2, endLine: line, endColumn: 9, function: 'f', message, related: [] };
}

const SRC = `int f(void)
{
	/* gfplint-disable-next-line rule-a -- only called at boot */
	x = g();
	y = h(); // gfplint-disable-line rule-b
	z = i(); // gfplint-disable-line rule-a, rule-b
	/* gfplint-disable-next-line no-such-rule */
	w();
	s = "// gfplint-disable-line rule-a";
	return 0;
}
`;

describe('applySuppressions', () => {
  const dirs = new Map([[FILE, comments(SRC)]]);

  test('silences exactly the named rules on the target line and keeps the reason', () => {
    const findings = [finding('rule-a', 4), finding('rule-b', 4), finding('rule-b', 5), finding('rule-a', 5), finding('rule-a', 6), finding('rule-a', 8), finding('rule-a', 9)];
    const r = applySuppressions(findings, dirs, { knownRules: KNOWN });
    expect(r.kept.map((d) => `${d.rule}@${d.line}`)).toEqual(['rule-b@4', 'rule-a@5', 'rule-a@8', 'rule-a@9']);
    expect(r.suppressed.map((d) => [`${d.rule}@${d.line}`, d.suppressed])).toEqual([
      ['rule-a@4', { reason: 'only called at boot' }],
      ['rule-b@5', {}],
      ['rule-a@6', {}],
    ]);
  });

  test('reports suppressions that silence nothing and unknown rule ids, at the comment', () => {
    const r = applySuppressions([finding('rule-a', 4), finding('rule-b', 5), finding('rule-a', 6)], dirs, { knownRules: KNOWN });
    expect(r.unused.map((d) => [d.rule, d.severity, d.line, d.column, d.message])).toEqual([
      ['unused-disable', 'warning', 6, 11, "suppression of 'rule-b' silences nothing"],
      ['unused-disable', 'warning', 7, 2, "unknown rule 'no-such-rule' in suppression"],
    ]);
  });

  test('a suppression of a rule that did not run is not judged', () => {
    const r = applySuppressions([finding('rule-a', 4), finding('rule-b', 5), finding('rule-a', 6)], dirs, { knownRules: KNOWN, enabledRules: new Set(['rule-a']) });
    expect(r.unused.map((d) => d.message)).toEqual(["unknown rule 'no-such-rule' in suppression"]);
  });

  test('with no findings every suppression is unused', () => {
    const r = applySuppressions([], dirs, { knownRules: KNOWN });
    expect(r.unused.map((d) => `${d.line}: ${d.message}`)).toEqual([
      "3: suppression of 'rule-a' silences nothing",
      "5: suppression of 'rule-b' silences nothing",
      "6: suppression of 'rule-a' silences nothing",
      "6: suppression of 'rule-b' silences nothing",
      "7: unknown rule 'no-such-rule' in suppression",
    ]);
  });

  test('a finding in another file is not silenced', () => {
    const other = { ...finding('rule-a', 4), file: 'drivers/y.c' };
    expect(applySuppressions([other], dirs, { knownRules: KNOWN }).kept).toEqual([other]);
  });
});

describe('parseSuppressions', () => {
  test('a multi-line block comment targets the line after its end', () => {
    const src = 'void f(void)\n{\n\t/*\n\t * gfplint-disable-next-line rule-a --\n\t * the lock is a mutex here\n\t */\n\tg();\n}\n';
    const { suppressions, problems } = parseSuppressions(FILE, comments(src), KNOWN);
    expect(problems).toEqual([]);
    expect(suppressions.map((s) => [s.kind, s.targetLine, s.rules, s.reason])).toEqual([['disable-next-line', 7, ['rule-a'], 'the lock is a mutex here']]);
  });

  test('malformed directives are reported, not ignored', () => {
    const src = 'void f(void)\n{\n\tg(); // gfplint-disable-line\n\th(); // gfplint-disable-nextline rule-a\n\tk(); // gfplint-disable-line: rule-a\n}\n';
    const { suppressions, problems } = parseSuppressions(FILE, comments(src), KNOWN);
    expect(suppressions).toEqual([]);
    expect(problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      "3: suppression 'gfplint-disable-line' names no rule",
      "4: unknown directive 'gfplint-disable-nextline' (expected 'gfplint-disable-line' or 'gfplint-disable-next-line')",
      "5: unknown directive 'gfplint-disable-line:'",
    ]);
  });

  test('a nested comment opener ends the rule list', () => {
    const src = 'void f(void)\n{\n\tg(); // gfplint-disable-line rule-a // expect: unused-disable\n}\n';
    const { suppressions, problems } = parseSuppressions(FILE, comments(src), KNOWN);
    expect(problems).toEqual([]);
    expect(suppressions.map((s) => s.rules)).toEqual([['rule-a']]);
  });

  test('comments that do not start with gfplint- are not directives', () => {
    const src = 'void f(void)\n{\n\tg(); /* see gfplint-disable-line rule-a in the docs */\n}\n';
    expect(parseSuppressions(FILE, comments(src), KNOWN)).toEqual({ suppressions: [], problems: [] });
  });
});

test('commentBody strips the delimiters and continuation stars', () => {
  expect(commentBody('// gfplint-disable-line a')).toBe('gfplint-disable-line a');
  expect(commentBody('/* x */')).toBe('x');
  expect(commentBody('/*\n * a\n * b\n */')).toBe('a b');
});

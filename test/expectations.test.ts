/**
 * The fixture harness tested on its own: annotation placement, exhaustive matching both ways,
 * `todo-*` strictness, vacuous files, and the re-rendered failure report.
 */
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from '../src/engine/diagnostic.js';
import { matchExpectations, parseConfig, parseFixture, renderFailure, type ParsedFixture } from './expectations.js';

const KNOWN = new Set(['rule-a', 'rule-b', 'unused-disable']);
const FILE = 'fixtures/rule-a/case.c';

function fx(text: string): ParsedFixture {
  return parseFixture(FILE, text, KNOWN);
}

function diag(rule: string, line: number, message = `${rule} fired`, related: Diagnostic['related'] = []): Diagnostic {
  return { rule, severity: 'warning', file: FILE, line, column: 1, endLine: line, endColumn: 2, function: 'f', message, related };
}

const texts = (f: ParsedFixture, ds: Diagnostic[]) => matchExpectations([f], ds).map((p) => `${p.line ?? '-'}: ${p.text}`);

describe('placement', () => {
  test('trailing comments apply to their line; own-line ones to the next non-annotation line; stacking works', () => {
    const f = fx(
      [
        'void f(void)', //                                   1
        '{', //                                              2
        '\tg(); // expect: rule-a', //                       3
        '\t// expect: rule-b "second"', //                   4
        '\t/* expect: rule-a */', //                         5
        '\th();', //                                         6
        '\tk(); /* expect: rule-a */ /* todo-ok: rule-b */', // 7
        '}',
      ].join('\n') + '\n',
    );
    expect(f.errors).toEqual([]);
    expect(f.annotations.map((a) => [a.kind, a.rule, a.substring, a.line])).toEqual([
      ['expect', 'rule-a', undefined, 3],
      ['expect', 'rule-b', 'second', 6],
      ['expect', 'rule-a', undefined, 6],
      ['expect', 'rule-a', undefined, 7],
      ['todo-ok', 'rule-b', undefined, 7],
    ]);
  });

  test('an annotation inside a string literal does not count', () => {
    const f = fx('// expect-none\nvoid f(void)\n{\n\tputs("// expect: rule-a");\n}\n');
    expect(f.annotations).toEqual([]);
    expect(f.expectNone).toBe(true);
  });

  test('several annotations in one line comment', () => {
    const f = fx('void f(void)\n{\n\tg(); // expect: rule-a // expect: rule-b\n}\n');
    expect(f.annotations.map((a) => `${a.rule}@${a.line}`)).toEqual(['rule-a@3', 'rule-b@3']);
  });

  test('an own-line annotation skips other annotation lines but not suppression comments', () => {
    const f = fx('void f(void)\n{\n\t// expect: unused-disable\n\t/* gfplint-disable-next-line rule-a */\n\tg();\n}\n');
    expect(f.annotations.map((a) => `${a.rule}@${a.line}`)).toEqual(['unused-disable@4']);
  });
});

describe('annotation errors', () => {
  test('unknown rule ids and malformed annotations fail', () => {
    const f = fx('void f(void)\n{\n\tg(); // expect: rule-c\n\th(); // expect rule-a\n\tk(); // expect: rule-a "unterminated\n}\n');
    expect(f.errors.map((e) => `${e.line}: ${e.text.split(' (')[0]}`)).toEqual([
      "3: UNKNOWN rule 'rule-c' in annotation",
      "4: MALFORMED annotation 'expect rule-a'",
      "5: MALFORMED annotation 'expect: rule-a \"unterminated'",
    ]);
  });

  test('a file with no annotations and no expect-none is vacuous', () => {
    const f = fx('void f(void)\n{\n}\n');
    expect(texts(f, [])).toEqual(["-: VACUOUS: no 'expect:' annotation and no 'expect-none'; say what this fixture should produce"]);
  });

  test('expect-none together with expect is a conflict', () => {
    const f = fx('// expect-none\nvoid f(void)\n{\n\tg(); // expect: rule-a\n}\n');
    expect(f.errors.map((e) => e.text)).toEqual(["CONFLICT: 'expect-none' in a file that also expects diagnostics"]);
  });

  test('config comments', () => {
    expect(parseConfig('/* config: {"kernel": "6.1"} */', FILE)).toEqual({ config: { kernel: '6.1' }, errors: [] });
    expect(parseConfig('/* config: {"kernle": "6.1"} */', FILE).errors.map((e) => e.text)).toEqual(["BAD config comment: unknown key 'kernle'"]);
    expect(parseConfig('/* a plain comment */', FILE)).toEqual({ errors: [] });
    expect(fx('/* config: {"kernel": "5.10"} */\n// expect-none\nint x;\n').config).toEqual({ kernel: '5.10' });
  });
});

describe('matching', () => {
  const src = 'void f(void)\n{\n\tg(); // expect: rule-a "lock"\n\th(); // todo-ok: rule-b\n\tk(); // todo-expect: rule-a\n\tspin_lock(&l); // expect-related: rule-a\n}\n';

  test('everything satisfied, both ways', () => {
    const ds = [diag('rule-a', 3, 'under lock', [{ file: FILE, line: 6, column: 2, message: 'taken here' }]), diag('rule-b', 4)];
    expect(texts(fx(src), ds)).toEqual([]);
  });

  test('missing, unexpected, stale todo-ok, fixed todo-expect, missing related', () => {
    const ds = [diag('rule-a', 3, 'no match'), diag('rule-b', 3), diag('rule-a', 5)];
    expect(texts(fx(src), ds)).toEqual([
      '3: MISSING expect: rule-a "lock" (it fired with "no match")',
      '3: UNEXPECTED: rule-a "no match"',
      '3: UNEXPECTED: rule-b "rule-b fired"',
      '4: STALE todo-ok: rule-b no longer fires; delete the annotation',
      `5: FIXED todo-expect: rule-a now fires ("rule-a fired"); promote it to 'expect:'`,
      "6: MISSING expect-related: rule-a (no 'rule-a' diagnostic has a related location on this line)",
    ]);
  });

  test('one annotation claims one diagnostic', () => {
    const f = fx('void f(void)\n{\n\tg(); // expect: rule-a\n}\n');
    expect(texts(f, [diag('rule-a', 3), diag('rule-a', 3, 'again')])).toEqual(['3: UNEXPECTED: rule-a "again"']);
  });

  test('matching is maximal: a general expectation does not steal the only diagnostic a specific one fits', () => {
    const f = fx('void f(void)\n{\n\t// expect: rule-a\n\t// expect: rule-a "special"\n\tg();\n}\n');
    expect(texts(f, [diag('rule-a', 5, 'special case'), diag('rule-a', 5, 'plain')])).toEqual([]);
  });

  test('expect-none fails on any diagnostic', () => {
    expect(texts(fx('// expect-none\nvoid f(void)\n{\n\tg();\n}\n'), [diag('rule-b', 4)])).toEqual(['4: UNEXPECTED: rule-b "rule-b fired"']);
  });

  test('unfilled placeholders fail', () => {
    const f = fx('void f(void)\n{\n\tg(); // expect: rule-a\n}\n');
    expect(texts(f, [diag('rule-a', 3, "'{{callee}}' sleeps")])).toEqual([`3: UNFILLED placeholder: rule-a "'{{callee}}' sleeps"`]);
  });
});

test('the failure report re-renders the fixture with the problems inline', () => {
  const f = fx('void f(void)\n{\n\tg(); // expect: rule-a\n\th();\n}\n');
  const report = renderFailure([f], matchExpectations([f], [diag('rule-b', 4, 'h is bad')]));
  expect(report).toBe(
    [
      '2 fixture problems:',
      '',
      `${FILE}:`,
      ' 1 | void f(void)',
      ' 2 | {',
      '>3 | \tg(); // expect: rule-a  // MISSING expect: rule-a',
      '>4 | \th();  // UNEXPECTED: rule-b "h is bad"',
      ' 5 | }',
    ].join('\n'),
  );
});

/**
 * Code actions from findings: a finding's fix (preferred) and suggestions become quick fixes with
 * their edits; every finding gets one suppression comment, indented like its line.
 */
import { expect, test } from 'vitest';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { codeActions } from '../src/lsp/actions.js';
import type { BufferFinding, BufferLocation } from '../src/lsp/checker.js';

const text = 'static void f(void)\n{\n\tp = kmalloc(8, GFP_NOFS);\n}\n';
const doc = TextDocument.create('file:///t/f.c', 'c', 1, text);
const location: BufferLocation = { file: '/t/f.c', cwd: '/t', display: 'f.c' };
const finding: BufferFinding = {
  rule: 'nofs-redundant', severity: 'warning', file: 'f.c', line: 3, column: 16, endLine: 3, endColumn: 24, function: 'f',
  message: "'GFP_NOFS' is redundant", related: [],
  fix: { description: "Replace 'GFP_NOFS' with 'GFP_KERNEL'", edits: [{ file: 'f.c', line: 3, column: 16, endLine: 3, endColumn: 24, text: 'GFP_KERNEL' }] },
  suggestions: [{ description: 'Drop the scope instead', edits: [{ file: 'f.c', line: 3, column: 1, endLine: 3, endColumn: 1, text: '' }] }],
};
const everywhere = { start: { line: 0, character: 0 }, end: { line: 4, character: 0 } };

test('fix, suggestion and suppression, in that order', () => {
  const actions = codeActions([finding], location, doc, everywhere);
  expect(actions.map((a) => [a.title, a.isPreferred ?? false])).toEqual([
    ["Replace 'GFP_NOFS' with 'GFP_KERNEL'", true],
    ['Drop the scope instead', false],
    ["Disable 'nofs-redundant' for this line", false],
  ]);
  expect(actions[0].edit?.changes?.[doc.uri]).toEqual([{ range: { start: { line: 2, character: 15 }, end: { line: 2, character: 23 } }, newText: 'GFP_KERNEL' }]);
  expect(actions[2].edit?.changes?.[doc.uri]?.[0].newText).toBe('\t/* gfplint-disable-next-line nofs-redundant -- reason */\n');
});

test('only findings that touch the range, and only when quick fixes are wanted', () => {
  expect(codeActions([finding], location, doc, { start: { line: 0, character: 0 }, end: { line: 0, character: 5 } })).toEqual([]);
  expect(codeActions([finding], location, doc, everywhere, ['refactor'])).toEqual([]);
  expect(codeActions([finding], location, doc, everywhere, ['quickfix'])).toHaveLength(3);
});

test('an unused suppression naming one rule is removed with its line; one naming several is left alone', () => {
  const src = 'int f(void)\n{\n\t/* gfplint-disable-next-line sleep-in-atomic -- old */\n\treturn 0;\n}\n';
  const d = TextDocument.create('file:///t/g.c', 'c', 1, src);
  const col = src.split('\n')[2].indexOf('/*');
  const unused = (text: string): BufferFinding => ({
    rule: 'unused-disable', severity: 'warning', file: 'g.c', line: 3, column: col + 1, endLine: 3, endColumn: col + 1 + text.length, function: '',
    message: "suppression of 'sleep-in-atomic' silences nothing", related: [],
  });
  const comment = '/* gfplint-disable-next-line sleep-in-atomic -- old */';
  const [remove] = codeActions([unused(comment)], { file: '/t/g.c', cwd: '/t', display: 'g.c' }, d, everywhere);
  expect(remove.title).toBe("Remove the unused suppression of 'sleep-in-atomic'");
  expect(remove.edit?.changes?.[d.uri]).toEqual([{ range: { start: { line: 2, character: 0 }, end: { line: 3, character: 0 } }, newText: '' }]);

  const two = src.replace('sleep-in-atomic', 'sleep-in-atomic, nofs-redundant');
  const d2 = TextDocument.create('file:///t/g.c', 'c', 1, two);
  expect(codeActions([unused(comment.replace('sleep-in-atomic', 'sleep-in-atomic, nofs-redundant'))], { file: '/t/g.c', cwd: '/t', display: 'g.c' }, d2, everywhere)).toEqual([]);
});

/**
 * The hover's text for what the end-to-end test cannot reach yet: a site's NOFS verdict (the
 * engine's `LintResult.sites`), and flag names kept as code so markdown does not eat their
 * underscores.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { bufferFacts, locateBuffer } from '../src/lsp/checker.js';
import { hoverAt } from '../src/lsp/hover.js';
import { repoRoot } from './expectations.js';

const dir = mkdtempSync(join(tmpdir(), 'gfplint-hover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the NOFS verdict of the site, with its evidence and related lines', () => {
  const text = readFileSync(join(repoRoot, 'test', 'lsp', 'demo.c'), 'utf8');
  const file = join(dir, 'demo.c');
  writeFileSync(file, text);
  const facts = bufferFacts(locateBuffer(file), text, { noCache: true });
  const line = text.split('\n').findIndex((l) => l.includes('GFP_NOFS'));
  const column = text.split('\n')[line].indexOf('kmalloc');
  const scopeLine = text.split('\n').findIndex((l) => l.includes('memalloc_nofs_save'));
  const site = {
    file: 'demo.c', line: line + 1, column: column + 1, function: 'demo_fill', clears: 'nofs' as const, written: 'GFP_NOFS', callee: 'kmalloc',
    verdict: 'redundant' as const, evidence: 'the memalloc_nofs_save() scope already clears __GFP_FS on every path',
    related: [{ file: 'demo.c', line: scopeLine + 1, column: 22, message: 'scope opened here' }],
  };
  const h = hoverAt({ file: 'demo.c', views: facts.views, model: facts.model, program: facts.program, sites: [site] }, { line, character: column + 2 });
  expect(h?.markdown).toContain('**NOFS verdict:** redundant (clears `__GFP_FS`): the memalloc_nofs_save() scope already clears `__GFP_FS` on every path');
  expect(h?.markdown).toContain(`- line ${scopeLine + 1}: scope opened here`);
  expect(h?.markdown).toContain('direct reclaim does not call into filesystems (`__GFP_FS` clear)');
  expect(h?.markdown).not.toMatch(/(?<!`)__GFP_/);
});

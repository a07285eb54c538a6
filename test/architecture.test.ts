/**
 * The layer arrows of .dependency-cruiser.cjs (`npm run arch`) catch what they are meant to: a
 * throw-away tree with one wrong import per rule, and the imports that must stay allowed.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { repoRoot } from './expectations.js';

const work = mkdtempSync(join(tmpdir(), 'gfplint-arch-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(work, 'tree-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

/** The violations depcruise reports for `root` under the repository's config, as `rule: from → to`. */
function violations(root: string): string[] {
  const bin = join(repoRoot, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
  const run = spawnSync(process.execPath, [bin, '--config', join(repoRoot, '.dependency-cruiser.cjs'), '--output-type', 'json', 'src', 'rules'], { cwd: root, encoding: 'utf8' });
  if (!run.stdout) throw new Error(`depcruise printed nothing (exit ${run.status}): ${run.stderr}`);
  const result = JSON.parse(run.stdout) as { summary: { violations: { from: string; to: string; rule: { name: string } }[] } };
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

const use = (path: string, typeOnly = false) => `${typeOnly ? 'import type' : 'import'} { x } from '${path}';\nexport const used = x;\n`;
const leaf = 'export const x = 1;\nexport type T = number;\n';

test('wrong arrows fail the check, the allowed ones pass', { timeout: 60_000 }, () => {
  const root = tree({
    // Allowed: each layer uses those below it; a new top-level folder (an editor server) uses the engine;
    // the registry loads rules/index.ts; a cycle closed only by `import type`.
    'src/facts/expr.ts': leaf,
    'src/model/gfp.ts': use('../facts/expr.js'),
    'src/syntax/parse.ts': use('../model/gfp.js'),
    'src/function/analyze.ts': use('../syntax/parse.js'),
    'src/program/graph.ts': use('../function/analyze.js'),
    'src/program/types-a.ts': `import type { T } from './types-b.js';\nexport type A = T;\nexport const x = 1;\n`,
    'src/program/types-b.ts': `import { x as y } from './types-a.js';\nexport type T = number;\nexport const x = y;\n`,
    'src/engine/lint.ts': use('../program/graph.js'),
    'src/engine/registry.ts': use('../../rules/index.js'),
    'rules/index.ts': use('../src/engine/lint.js', true),
    'src/lsp/server.ts': use('../engine/lint.js'),
    // Wrong: the model reaches the parser (even for a type), facts reaches the model, syntax reaches
    // the engine, the engine reaches a top-level folder, a runtime cycle in function/.
    'src/model/bad-type.ts': use('../syntax/parse.js', true),
    'src/facts/bad.ts': use('../model/gfp.js'),
    'src/syntax/bad.ts': use('../engine/lint.js'),
    'src/engine/bad.ts': use('../lsp/server.js'),
    'src/function/cycle-a.ts': use('./cycle-b.js'),
    'src/function/cycle-b.ts': `import { used } from './cycle-a.js';\nexport const x = used;\n`,
  });
  expect(violations(root)).toEqual([
    'layer-engine: src/engine/bad.ts → src/lsp/server.ts',
    'layer-facts: src/facts/bad.ts → src/model/gfp.ts',
    'layer-model: src/model/bad-type.ts → src/syntax/parse.ts',
    'layer-syntax: src/syntax/bad.ts → src/engine/lint.ts',
    'no-circular: src/function/cycle-a.ts → src/function/cycle-b.ts',
  ]);
});

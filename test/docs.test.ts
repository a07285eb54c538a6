/**
 * README's generated rules region must match what the rule metadata and example fixtures render
 * (`gfplint docs` rewrites it; `gfplint docs --check` is this test from the command line).
 */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { checkReadme, readmePath, renderRulesRegion, replaceRulesRegion, RULES_BEGIN, RULES_END } from '../src/docs/render.js';
import { allRules } from '../src/engine/registry.js';
import { repoRoot } from './expectations.js';

test('README.md has exactly one rules region', () => {
  const readme = readFileSync(readmePath(repoRoot), 'utf8');
  expect(readme.split(RULES_BEGIN)).toHaveLength(2);
  expect(readme.split(RULES_END)).toHaveLength(2);
});

test("README.md's rules region is current (run 'npm run docs' to regenerate)", () => {
  const r = checkReadme(allRules(), repoRoot);
  if ('error' in r) throw new Error(r.error);
  if (!r.current) {
    // Show the first differing line rather than two whole READMEs.
    const have = readFileSync(readmePath(repoRoot), 'utf8').split('\n');
    const want = r.text.split('\n');
    const i = want.findIndex((l, k) => l !== have[k]);
    throw new Error(`README.md is stale from line ${i + 1}:\n  have: ${have[i]}\n  want: ${want[i]}\nRun 'npm run docs'.`);
  }
});

test('every rule has a section and a table row in the region', () => {
  const region = renderRulesRegion(allRules(), repoRoot);
  for (const r of allRules()) {
    expect(region).toContain(`### ${r.id}\n`);
    expect(region).toContain(`| [\`${r.id}\`](#${r.id}) |`);
  }
});

test('replacing the region keeps the text around the markers', () => {
  const r = replaceRulesRegion(`intro\n${RULES_BEGIN}\nold\n${RULES_END}\noutro\n`, '\nnew\n');
  expect(r).toEqual({ text: `intro\n${RULES_BEGIN}\nnew\n${RULES_END}\noutro\n` });
  expect(replaceRulesRegion('no markers', 'x')).toHaveProperty('error');
});

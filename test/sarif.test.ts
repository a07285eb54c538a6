/**
 * SARIF from real runs validated against the official SARIF 2.1.0 JSON schema
 * (test/data/sarif-schema-2.1.0.json, draft-07; source in test/data/README.md), plus what GitHub
 * code scanning reads: rule records with help and links, related locations linked from the
 * message, the witness chain as a code flow, and fingerprints that survive moved code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { beforeAll, describe, expect, test } from 'vitest';
import { lint } from '../src/engine/lint.js';
import type { LintResult } from '../src/engine/lint-types.js';
import { allRules } from '../src/engine/registry.js';
import { fileSourceReader } from '../src/engine/fingerprint.js';
import { toSarif } from '../src/report/sarif.js';

const repoRoot = join(import.meta.dirname, '..');

/**
 * ajv's default class speaks draft-07, the schema's dialect. The schema's formats (uri,
 * uri-reference, date-time) are checked with the WHATWG URL parser and Date, since ajv-formats is
 * not a dependency.
 */
function sarifValidator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'test/data/sarif-schema-2.1.0.json'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat('uri', (s: string) => URL.canParse(s));
  ajv.addFormat('uri-reference', (s: string) => URL.canParse(s, 'file:///base/') && !/\s/.test(s));
  ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
  return ajv.compile(schema);
}

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  message: { text: string };
  locations: { physicalLocation: { region: { startLine: number } } }[];
  relatedLocations?: { id: number; message: { text: string } }[];
  codeFlows?: { threadFlows: { locations: { location: { message: { text: string } } }[] }[] }[];
  partialFingerprints: Record<string, string>;
  fixes?: unknown[];
}
interface SarifLog {
  runs: { tool: { driver: { rules: { id: string; name: string; helpUri: string; help: { text: string; markdown: string } }[] } }; results: SarifResult[] }[];
}

const MOVED_SRC = `// SPDX-License-Identifier: GPL-2.0
static int bar_fill(struct bar_dev *bd)
{
	unsigned int nofs_flag;
	struct bar_item *it;

	nofs_flag = memalloc_nofs_save();
	it = kzalloc(sizeof(*it), GFP_NOFS);
	bar_link(bd, it);
	memalloc_nofs_restore(nofs_flag);
	return it ? 0 : -ENOMEM;
}
`;

let validate: ValidateFunction;
let result: LintResult;
let log: SarifLog;

beforeAll(async () => {
  validate = sarifValidator();
  result = await lint({ paths: ['fixtures/nofs-redundant', 'fixtures/sleep-in-atomic', 'fixtures/alloc-free-mismatch', 'fixtures/scope-unbalanced'], cwd: repoRoot, noCache: true, rememberResults: false });
  log = toSarif(result, { rules: allRules(), cwd: repoRoot, includeSuppressed: true }) as unknown as SarifLog;
}, 120_000);

describe('SARIF 2.1.0 schema', () => {
  test('the schema itself rejects what it should (the validator is live)', () => {
    expect(validate({ version: '2.1.0', runs: [] })).toBe(true);
    expect(validate({ version: '2.0.0', runs: [] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] })).toBe(false);
    expect(validate({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x', informationUri: 'not a uri' } } }] })).toBe(false);
  });

  test('a run over real fixtures validates, with findings of several rules, related locations and code flows', () => {
    expect(validate(log), JSON.stringify(validate.errors?.slice(0, 5), null, 2)).toBe(true);
    const results = log.runs[0].results;
    expect(new Set(results.map((r) => r.ruleId)).size).toBeGreaterThanOrEqual(3);
    expect(results.some((r) => r.relatedLocations?.length)).toBe(true);
    expect(results.some((r) => r.codeFlows?.length)).toBe(true);
  });

  test('an empty run validates', () => {
    const empty = toSarif({ ...result, findings: [], unusedSuppressions: [], suppressed: [], skipped: [] }, { rules: allRules(), cwd: repoRoot });
    expect(validate(empty)).toBe(true);
  });
});

describe('what GitHub reads', () => {
  test('each rule has a name, help text and markdown with the documentation link, and a helpUri', () => {
    for (const r of log.runs[0].tool.driver.rules) {
      expect(r.name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
      expect(r.helpUri).toMatch(/^https:\/\//);
      expect(r.help.text.length).toBeGreaterThan(0);
      if (r.id !== 'unused-disable') expect(r.help.markdown).toContain(`](${r.helpUri})`);
    }
  });

  test('ruleIndex points at the rule named by ruleId', () => {
    const rules = log.runs[0].tool.driver.rules;
    for (const r of log.runs[0].results) expect(rules[r.ruleIndex].id).toBe(r.ruleId);
  });

  test('a related location on a line the message names is linked from the message', () => {
    const redundant = log.runs[0].results.find((r) => r.ruleId === 'nofs-redundant' && /\[line \d+\]\(1\)/.test(r.message.text));
    expect(redundant, 'a nofs-redundant result with a linked line').toBeDefined();
  });

  test('the code flow is the related chain, ending at the finding', () => {
    for (const r of log.runs[0].results.filter((x) => x.codeFlows)) {
      const steps = r.codeFlows![0].threadFlows[0].locations;
      expect(steps).toHaveLength(r.relatedLocations!.length + 1);
      expect(steps.slice(0, -1).map((s) => s.location.message.text)).toEqual(r.relatedLocations!.map((x) => x.message.text));
    }
  });
});

describe('fingerprints', () => {
  async function printsOf(text: string): Promise<string[]> {
    const sources = [{ path: 'drivers/bar.c', text }];
    const r = await lint({ sources, cwd: '/nonexistent', rules: ['nofs-redundant'], noCache: true, rememberResults: false });
    const l = toSarif(r, { rules: allRules(), source: fileSourceReader('/nonexistent', sources) }) as unknown as SarifLog;
    return l.runs[0].results.map((x) => x.partialFingerprints['gfplint/v1']);
  }

  test('moving a function 50 lines down keeps its fingerprint; changing the flagged line changes it', async () => {
    const before = await printsOf(MOVED_SRC);
    expect(before).toHaveLength(1);
    expect(await printsOf('\n'.repeat(50) + MOVED_SRC)).toEqual(before);
    expect(await printsOf(MOVED_SRC.replace('\tit = kzalloc', '\t\tit  =  kzalloc'))).toEqual(before);
    expect(await printsOf(MOVED_SRC.replace('sizeof(*it), GFP_NOFS', 'sizeof(*it) + 8, GFP_NOFS'))).not.toEqual(before);
  });

  test('two identical findings in one function are numbered 1 and 2', async () => {
    const twice = MOVED_SRC.replace('\tbar_link(bd, it);\n', '\tbar_link(bd, it);\n\tit = kzalloc(sizeof(*it), GFP_NOFS);\n');
    const prints = await printsOf(twice);
    expect(prints).toHaveLength(2);
    expect(prints[0].split(':')[0]).toBe(prints[1].split(':')[0]);
    expect(prints.map((p) => p.split(':')[1])).toEqual(['1', '2']);
  });
});

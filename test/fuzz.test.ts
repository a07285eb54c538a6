/**
 * Fuzz and property suite (issue 7): whatever the input, no exception escapes, each file ends as
 * findings (it is counted as scanned) or as exactly one skipped-file entry with a legitimate
 * reason, every output format renders, and the same input gives the same output.
 *
 * The corpus comes from test/fuzz-corpus.ts: the fixtures and examples truncated at every byte
 * (the 3 smallest), with bytes flipped, braces deleted or duplicated, comments, strings and #if
 * left open, NUL bytes, invalid UTF-8, other line endings, 1 MB lines and deep nesting; then
 * fast-check token soups. Size: GFPLINT_FUZZ_RUNS (default 100) token soups and
 * max(1, RUNS / 50) mutations of each kind per corpus file; GFPLINT_FUZZ_SEED (default 7) seeds
 * both. `npm run fuzz -- --runs N` runs the same generator longer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allRules } from '../src/engine/registry.js';
import { lint } from '../src/engine/lint.js';
import type { LintResult } from '../src/engine/lint-types.js';
import { extractSource } from '../src/program/source.js';
import { formatJson } from '../src/report/json.js';
import { formatSarif } from '../src/report/sarif.js';
import { formatText } from '../src/report/text.js';
import { repoRoot } from './expectations.js';
import { fingerprint as fingerprintOf, mutationCorpus, problems as checkRun, tokenSoup, type FuzzInput, type Reporters } from './fuzz-corpus.js';

const RUNS = Math.max(1, Number(process.env.GFPLINT_FUZZ_RUNS ?? 100) || 100);
const SEED = Number(process.env.GFPLINT_FUZZ_SEED ?? 7) || 7;
/** Far above what any input here needs: a budget skip would make the output timing-dependent. */
const BUDGET_MS = 120_000;

const rep: Reporters = { formatJson, formatSarif, formatText, rules: allRules() };
const problems = (r: LintResult, files: readonly string[]) => checkRun(r, files, rep);
const fingerprint = (r: LintResult) => fingerprintOf(r, rep);

async function lintText(text: string): Promise<LintResult> {
  return lint({ sources: [{ path: 'fuzz/input.c', text }], cwd: repoRoot, fileTimeoutMs: BUDGET_MS });
}

/** One in-memory input through lint twice, and through the extractor directly (the pre-scan may skip parsing). */
async function checkText(input: FuzzInput): Promise<string | undefined> {
  const text = input.bytes.toString('utf8');
  let a: LintResult;
  let b: LintResult;
  try {
    a = await lintText(text);
    b = await lintText(text);
  } catch (e) {
    return `${input.name}: lint threw: ${(e as Error).stack}`;
  }
  const p = problems(a, ['fuzz/input.c']);
  if (p) return `${input.name}: ${p}`;
  if (fingerprint(a) !== fingerprint(b)) return `${input.name}: two runs differ`;
  if (!text.includes('\0')) {
    const ex = extractSource(text, BUDGET_MS);
    if ('skip' in ex) return `${input.name}: extractSource: ${ex.skip}`;
  }
  return undefined;
}

const corpus = mutationCorpus(repoRoot, { seed: SEED, perFile: Math.max(1, Math.floor(RUNS / 50)), truncateFiles: 3, heavy: true });
const light = corpus.filter((c) => !/^(deep|long)\//.test(c.name));
const heavy = corpus.filter((c) => /^(deep|long)\//.test(c.name));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-fuzz-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('mutation corpus, in memory', () => {
  test(`${light.length} mutated fixtures: findings or one legitimate skip, deterministic`, async () => {
    const failures: string[] = [];
    for (const input of light) {
      const f = await checkText(input);
      if (f) failures.push(f);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  test.each(heavy.map((h) => [h.name, h] as const))('%s', async (_name, input) => {
    expect(await checkText(input)).toBeUndefined();
  }, 120_000);
});

describe('mutation corpus, as files (reading and decoding)', () => {
  const bytes = corpus.filter((c) => c.byteLevel);
  const names = bytes.map((c, i) => `${String(i).padStart(5, '0')}-${c.name.replace(/[^A-Za-z0-9-]+/g, '_')}.c`);

  let sub: string;
  beforeAll(() => {
    sub = join(dir, 'bytes');
    mkdirSync(sub);
    for (let i = 0; i < bytes.length; i++) writeFileSync(join(sub, names[i]), bytes[i].bytes);
  });

  test(`${bytes.length} byte-level inputs through lint({ paths }): accounted for, deterministic`, async () => {
    const run = () => lint({ paths: ['.'], cwd: sub, noCache: true, fileTimeoutMs: BUDGET_MS });
    const a = await run();
    expect(problems(a, names)).toBeUndefined();
    // Each kind of unreadable content is recognised.
    const reasons = new Set(a.skipped.map((s) => s.reason));
    expect([...reasons].sort()).toEqual(expect.arrayContaining(['binary file (contains NUL bytes)', 'empty file', 'not valid UTF-8']));
    expect(fingerprint(await run())).toBe(fingerprint(a));
  }, 300_000);

  test('the same files through the CLI (worker threads): no internal error, every file accounted for', () => {
    const bin = join(repoRoot, 'bin', 'gfplint.js');
    if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) throw new Error("dist/ is missing: run 'npm run build' (npm test does)");
    const outs: string[] = [];
    for (const format of ['json', 'sarif', 'text']) {
      const r = spawnSync(process.execPath, [bin, '--format', format, '--no-cache', '--quiet', '-o', `../out.${format}`, '.'], { cwd: sub, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 240_000 });
      expect(r.status, r.stderr).toBeLessThanOrEqual(1);
      expect(r.stderr).not.toMatch(/internal error|failed:/);
      outs.push(readFileSync(join(dir, `out.${format}`), 'utf8'));
    }
    const doc = JSON.parse(outs[0]) as { filesScanned: number; skipped: { file: string }[] };
    expect(doc.filesScanned + doc.skipped.length).toBe(names.length);
    JSON.parse(outs[1]);
  }, 300_000);
});

describe('token soups (fast-check)', () => {
  test(`${RUNS} kernel-C-like token soups: no exception, accounted for, deterministic`, async () => {
    await fc.assert(
      fc.asyncProperty(tokenSoup(), async (text) => {
        const f = await checkText({ name: 'soup', bytes: Buffer.from(text), byteLevel: false });
        if (f) throw new Error(f);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  }, 300_000);

  test('several files at once: each accounted for, the order of the inputs does not matter', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tokenSoup(60), { minLength: 1, maxLength: 5 }), async (texts) => {
        const sources = texts.map((text, i) => ({ path: `soup/${i}.c`, text }));
        const a = await lint({ sources, cwd: repoRoot, fileTimeoutMs: BUDGET_MS });
        const p = problems(a, sources.map((s) => s.path));
        if (p) throw new Error(p);
        const b = await lint({ sources: [...sources].reverse(), cwd: repoRoot, fileTimeoutMs: BUDGET_MS });
        if (formatJson(a) !== formatJson(b)) throw new Error('input order changed the output');
      }),
      { numRuns: Math.max(5, Math.floor(RUNS / 5)), seed: SEED },
    );
  }, 300_000);
});

/**
 * The CI reporters on hand-made findings: GitLab Code Quality (fields, severity mapping, stable
 * unique fingerprints, no BOM) and GitHub Actions workflow commands (escaping, the per-level cap,
 * the step summary), plus the step summary written by the CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { annotation, ANNOTATIONS_PER_LEVEL, escapeProperty, formatGithub, githubStepSummary } from '../src/report/github.js';
import { formatGitlab, toGitlab } from '../src/report/gitlab.js';
import { repoRoot } from './expectations.js';
import { sampleDiagnostic } from './sample-diagnostic.js';

const diag = sampleDiagnostic;

const SOURCE = '\tspin_lock(&d->lock);\n\tp = kmalloc(n, GFP_KERNEL);\n\tq = kmalloc(n, GFP_KERNEL);\n';
const source = (f: string) => (f === 'drivers/foo.c' ? SOURCE : undefined);

describe('gitlab', () => {
  test('the fields GitLab reads, severity mapped to its enum', () => {
    const [issue] = toGitlab([diag()], source);
    expect(issue).toEqual({
      description: "'kmalloc()' with 'GFP_KERNEL' may sleep (in 'foo_probe')",
      check_name: 'sleep-in-atomic',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}:1$/) as unknown,
      severity: 'major',
      location: { path: 'drivers/foo.c', lines: { begin: 2, end: 2 } },
    });
    expect(toGitlab([diag({ severity: 'warning' }), diag({ severity: 'info' })], source).map((i) => i.severity)).toEqual(['minor', 'info']);
  });

  test('fingerprints are unique per finding and do not depend on the line', () => {
    const a = diag();
    const b = diag({ line: 3, endLine: 3 });
    const prints = toGitlab([a, b], source).map((i) => i.fingerprint);
    expect(new Set(prints).size).toBe(2);
    const moved = (f: string) => (f === 'drivers/foo.c' ? '\n\n' + SOURCE : undefined);
    expect(toGitlab([{ ...a, line: 4, endLine: 4 }], moved)[0].fingerprint).toBe(toGitlab([a], source)[0].fingerprint);
  });

  test('a JSON array with no byte-order mark', () => {
    const text = formatGitlab([diag()], source);
    expect(text.charCodeAt(0)).toBe('['.charCodeAt(0));
    expect(Array.isArray(JSON.parse(text))).toBe(true);
    expect(formatGitlab([], source)).toBe('[]\n');
  });
});

describe('github', () => {
  test('one workflow command per finding, with the related notes in the message', () => {
    expect(annotation(diag())).toBe(
      "::error file=drivers/foo.c,line=2,endLine=2,col=6,endColumn=28,title=gfplint sleep-in-atomic::in 'foo_probe': 'kmalloc()' with 'GFP_KERNEL' may sleep%0Adrivers/foo.c:1:2: note: 'spin_lock' taken here\n",
    );
    expect(annotation(diag({ severity: 'info', related: [], function: '' }))).toMatch(/^::notice file=.*::'kmalloc\(\)' with 'GFP_KERNEL' may sleep\n$/);
  });

  test('escaping: data gets %, CR, LF; properties also : and ,', () => {
    expect(escapeProperty('a,b:c%d\ne')).toBe('a%2Cb%3Ac%25d%0Ae');
    const line = annotation(diag({ file: 'x,y:z.c', message: '100% sure\r\nnext', related: [] }));
    expect(line).toContain('file=x%2Cy%3Az.c,');
    expect(line).toContain('::in \'foo_probe\': 100%25 sure%0D%0Anext\n');
    expect(line.split('\n')).toHaveLength(2);
  });

  test(`at most ${ANNOTATIONS_PER_LEVEL} annotations per level, errors first, then a line counting the rest`, () => {
    const many = [
      ...Array.from({ length: 12 }, (_, i) => diag({ severity: 'warning', line: i + 1 })),
      ...Array.from({ length: 13 }, (_, i) => diag({ line: i + 1 })),
      diag({ severity: 'info' }),
    ];
    const out = formatGithub(many, { summaryWritten: true }).split('\n').filter(Boolean);
    expect(out.filter((l) => l.startsWith('::error '))).toHaveLength(10);
    expect(out.filter((l) => l.startsWith('::warning '))).toHaveLength(10);
    expect(out.filter((l) => l.startsWith('::notice '))).toHaveLength(1);
    expect(out[0]).toMatch(/^::error .*line=1,/);
    expect(out[10]).toMatch(/^::warning /);
    expect(out.at(-1)).toBe('gfplint: 5 more findings not annotated (GitHub shows 10 annotations per level and step); the step summary lists every finding');
    expect(formatGithub([diag()], { summaryWritten: false })).not.toContain('more finding');
  });

  test('the step summary: a heading with the counts and every finding as a table row, cells escaped', () => {
    const md = githubStepSummary([diag(), diag({ severity: 'warning', message: 'a | b <c>' })]);
    expect(md).toContain('### gfplint: 2 findings (1 error, 1 warning, 0 info)');
    expect(md).toContain('| Severity | Location | Rule | Function | Message |');
    expect(md).toContain("| error | `drivers/foo.c:2:6` | `sleep-in-atomic` | `foo_probe` | 'kmalloc()' with 'GFP_KERNEL' may sleep |");
    expect(md).toContain('| warning | `drivers/foo.c:2:6` | `sleep-in-atomic` | `foo_probe` | a \\| b &lt;c&gt; |');
    expect(githubStepSummary([])).toBe('### gfplint: 0 findings (0 errors, 0 warnings, 0 info)\n\n\n');
  });
});

describe('through the CLI', () => {
  let dir: string;
  const bin = join(repoRoot, 'bin', 'gfplint.js');
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [bin, '--cache-dir', join(dir, '.cache'), ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', GITHUB_STEP_SUMMARY: '', ...env }, timeout: 60_000 });

  beforeAll(() => {
    if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) throw new Error("dist/ is missing: run 'npm run build' (npm test does)");
    dir = mkdtempSync(join(tmpdir(), 'gfplint-ci-'));
    mkdirSync(join(dir, 'drivers'));
    writeFileSync(join(dir, 'drivers', 'a.c'), 'static int a_add(struct a_dev *d)\n{\n\tspin_lock(&d->lock);\n\td->buf = kmalloc(64, GFP_KERNEL);\n\tspin_unlock(&d->lock);\n\treturn 0;\n}\n');
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('--format github prints annotations and appends the step summary when $GITHUB_STEP_SUMMARY is set', () => {
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '## earlier step output\n');
    const r = run(['--format', 'github', 'drivers'], { GITHUB_STEP_SUMMARY: summary });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^::error file=drivers\/a\.c,line=4,endLine=4,col=11,endColumn=\d+,title=gfplint sleep-in-atomic::in 'a_add': /);
    const md = readFileSync(summary, 'utf8');
    expect(md.startsWith('## earlier step output\n### gfplint: 1 finding (1 error, 0 warnings, 0 info)')).toBe(true);
    expect(md).toContain('`drivers/a.c:4:11`');
  });

  test('--format gitlab -o FILE writes the Code Quality report', () => {
    const r = run(['--format', 'gitlab', '-o', 'gl.json', 'drivers']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    const issues = JSON.parse(readFileSync(join(dir, 'gl.json'), 'utf8')) as { check_name: string; location: { path: string } }[];
    expect(issues).toMatchObject([{ check_name: 'sleep-in-atomic', location: { path: 'drivers/a.c' } }]);
  });
});

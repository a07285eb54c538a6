/**
 * The command line as users run it: `node bin/gfplint.js` against the compiled dist/ (`npm test`
 * builds first). Exit codes, one-line errors without stack traces, output formats, atomic -o,
 * skipped files, escaping, and interruption by signals.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { allRules } from '../src/engine/registry.js';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
let dir: string;

interface Run { status: number | null; stdout: string; stderr: string }

function gfplint(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Run {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: opts.cwd ?? dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bad input: exit 2, exactly one `gfplint: error: …` line, no stack trace, nothing on stdout. */
function expectUsageError(r: Run, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.split('\n').filter(Boolean);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^gfplint: error: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

const CLEAN = 'static int clean(int x)\n{\n\treturn x + 1;\n}\n';
// A suppression naming an unknown rule: an `unused-disable` warning whatever rules are registered.
const STALE = 'int stale(void)\n{\n\t/* gfplint-disable-next-line no-such-rule -- old */\n\treturn 0;\n}\n';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'src', 'cli', 'main.js'))) throw new Error("dist/ is missing: run 'npm run build' (npm test does)");
  dir = mkdtempSync(join(tmpdir(), 'gfplint-cli-'));
  mkdirSync(join(dir, 'clean'));
  writeFileSync(join(dir, 'clean', 'a.c'), CLEAN);
  mkdirSync(join(dir, 'stale'));
  writeFileSync(join(dir, 'stale', 'b.c'), STALE);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('exit codes', () => {
  test('0 when nothing reaches the fail level', () => {
    const r = gfplint(['clean']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    // The file mentions no allocator, lock or scope: the pre-scan counts it without parsing it.
    expect(r.stderr).toMatch(/^gfplint: 1 file, 0 functions, 0 allocation sites, 0 findings \(0 errors, 0 warnings, 0 info\) in \d+\.\d\d s\n$/);
  });

  test('1 when a finding reaches the fail level; --fail-level and --no-report-unused-disable move it', () => {
    const r = gfplint(['stale']);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain("stale/b.c:3:2: warning: unknown rule 'no-such-rule' in suppression [unused-disable]\n");
    expect(gfplint(['--fail-level', 'error', 'stale']).status).toBe(0);
    expect(gfplint(['--fail-level', 'info', 'stale']).status).toBe(1);
    const off = gfplint(['--no-report-unused-disable', 'stale']);
    expect(off.status).toBe(0);
    expect(off.stdout).toBe('');
  });

  test('--quiet prints no summary', () => {
    const r = gfplint(['--quiet', 'clean']);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  test('the explicit check command is the default command', () => {
    expect(gfplint(['check', 'stale']).status).toBe(1);
  });
});

describe('bad input: exit 2 with one line', () => {
  test('missing path', () => expectUsageError(gfplint(['clean', 'no/such/file.c']), /no such file or directory: 'no\/such\/file.c'/));
  test('unknown rule', () => expectUsageError(gfplint(['--rule', 'no-such-rule', 'clean']), /unknown rule 'no-such-rule'/));
  test('unknown disabled rule', () => expectUsageError(gfplint(['--disable', 'no-such-rule', 'clean']), /unknown rule 'no-such-rule'/));
  test('unknown format', () => expectUsageError(gfplint(['--format', 'xml', 'clean']), /unknown format 'xml'/));
  test('bad kernel version', () => expectUsageError(gfplint(['--kernel-version', 'banana', 'clean']), /banana/));
  test('unmodelled kernel version', () => expectUsageError(gfplint(['--kernel-version', '3.2', 'clean']), /3\.2/));
  test('bad --jobs', () => {
    expectUsageError(gfplint(['--jobs', '0', 'clean']), /--jobs/);
    expectUsageError(gfplint(['--jobs', 'many', 'clean']), /--jobs/);
  });
  test('bad --fail-level', () => expectUsageError(gfplint(['--fail-level', 'fatal', 'clean']), /fail level 'fatal'/));
  test('unknown option (commander)', () => expectUsageError(gfplint(['--frmat', 'json']), /unknown option '--frmat'/));
  test('missing option argument (commander)', () => expectUsageError(gfplint(['clean', '--format']), /--format/));
  test('explain of an unknown rule', () => expectUsageError(gfplint(['explain', 'no-such-rule']), /unknown rule 'no-such-rule'/));
  test('-o into a missing directory', () => expectUsageError(gfplint(['-o', 'nowhere/out.json', 'clean']), /cannot write 'nowhere\/out.json'/));
});

describe('output', () => {
  test('--format json follows the contract', () => {
    const r = gfplint(['--format', 'json', 'stale', 'clean']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['tool', 'kernelVersion', 'filesScanned', 'findings', 'sites', 'unusedSuppressions', 'skipped', 'suppressed']);
    expect(doc.tool).toMatchObject({ name: 'gfplint' });
    expect(doc.kernelVersion).toMatch(/^\d+\.\d+$/);
    expect(doc.filesScanned).toBe(2);
    expect(doc.findings).toEqual([]);
    expect(doc.unusedSuppressions).toEqual([
      { rule: 'unused-disable', severity: 'warning', file: 'stale/b.c', line: 3, column: 2, endLine: 3, endColumn: 53, function: '', message: "unknown rule 'no-such-rule' in suppression", related: [] },
    ]);
    expect(r.stdout.endsWith('}\n')).toBe(true);
  });

  test('--kernel-version is reported back', () => {
    const doc = JSON.parse(gfplint(['--format', 'json', '--kernel-version', '6.1.192', 'clean']).stdout) as { kernelVersion: string };
    expect(doc.kernelVersion).toBe('6.1');
  });

  test('--format sarif', () => {
    const r = gfplint(['--format', 'sarif', 'stale']);
    const log = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string }[] }[] };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0].tool.driver.rules.map((x) => x.id)).toEqual([...allRules().map((x) => x.id), 'unused-disable']);
    expect(log.runs[0].results.map((x) => x.ruleId)).toEqual(['unused-disable']);
  });

  test('the same input gives byte-identical output', () => {
    const a = gfplint(['--format', 'json', '.']).stdout;
    expect(gfplint(['--format', 'json', '.']).stdout).toBe(a);
  });

  test('-o writes the whole report atomically and leaves no temporary file', () => {
    const out = join(dir, 'out');
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'report.json'), 'old');
    const r = gfplint(['--format', 'json', '-o', 'out/report.json', 'stale']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { unusedSuppressions: unknown[] }).unusedSuppressions).toHaveLength(1);
    expect(readdirSync(out)).toEqual(['report.json']);
    // A failed run leaves the previous report alone.
    expectUsageError(gfplint(['--format', 'json', '-o', 'out/report.json', '--rule', 'no-such-rule', 'stale']), /unknown rule/);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toContain('"unusedSuppressions"');
    expect(readdirSync(out)).toEqual(['report.json']);
  });

  test('a file name with a newline is printed escaped', () => {
    const sub = join(dir, 'odd');
    mkdirSync(sub);
    writeFileSync(join(sub, 'a\nb.c'), STALE);
    const r = gfplint(['odd']);
    expect(r.stdout.split('\n')[0]).toBe("odd/a\\nb.c:3:2: warning: unknown rule 'no-such-rule' in suppression [unused-disable]");
  });

  test('a skipped file gets one stderr line and the run goes on', () => {
    const sub = join(dir, 'skip');
    mkdirSync(sub);
    writeFileSync(join(sub, 'blob.c'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 2, 3]));
    writeFileSync(join(sub, 'ok.c'), CLEAN);
    const r = gfplint(['skip']);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines[0]).toMatch(/^gfplint: skipped skip\/blob\.c: \S.*$/);
    expect(lines[1]).toMatch(/^gfplint: 1 file, /);
  });

  test('--stats reports unresolved flag names', () => {
    const sub = join(dir, 'stats');
    mkdirSync(sub);
    writeFileSync(join(sub, 'u.c'), 'void *u(void)\n{\n\treturn kmalloc(8, MY_ODD_FLAGS);\n}\n');
    const r = gfplint(['--stats', 'stats']);
    expect(r.stderr).toMatch(/^ {2}MY_ODD_FLAGS +1$/m);
  });
});

describe('commands', () => {
  test('--version and --help', () => {
    const v = gfplint(['--version']);
    expect(v.status).toBe(0);
    expect(v.stdout).toBe((JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version + '\n');
    const h = gfplint(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('--fail-level');
  });

  test('--list-rules and rules list every registered rule', () => {
    const r = gfplint(['--list-rules']);
    expect(r.status).toBe(0);
    for (const rule of allRules()) expect(r.stdout).toMatch(new RegExp(`^${rule.id} +${rule.severity} +${rule.confidence} +`, 'm'));
    expect(gfplint(['rules']).stdout).toBe(r.stdout);
    const json = JSON.parse(gfplint(['rules', '--json']).stdout) as { id: string }[];
    expect(json.map((x) => x.id)).toEqual(allRules().map((x) => x.id));
  });

  test('explain prints the rule section', () => {
    for (const rule of allRules().slice(0, 2)) {
      const r = gfplint(['explain', rule.id]);
      expect(r.status).toBe(0);
      expect(r.stdout.startsWith(`### ${rule.id}\n\n${rule.summary}.`)).toBe(true);
    }
    expect(gfplint(['explain', 'unused-disable']).status).toBe(0);
  });

  test('facts prints what the analysis decided', () => {
    writeFileSync(join(dir, 'facts.c'), 'static void *f(struct d *d)\n{\n\tvoid *p;\n\tspin_lock(&d->l);\n\tp = kmalloc(8, GFP_KERNEL);\n\tspin_unlock(&d->l);\n\treturn p;\n}\nint g(void)\n{\n\treturn 0;\n}\n');
    const t = gfplint(['facts', 'facts.c', '--function', 'f']);
    expect(t.status, t.stderr).toBe(0);
    expect(t.stdout).toContain("facts.c:1: function 'f' (static)");
    expect(t.stdout).toMatch(/5:6 kmalloc: written 'GFP_KERNEL' = GFP_KERNEL; effective GFP_KERNEL/);
    expect(t.stdout).toMatch(/held: spin_lock\(.*\) \[.*atomic\] at 4:2/);
    expect(t.stdout).not.toContain("function 'g'");
    const j = JSON.parse(gfplint(['facts', 'facts.c', '--json']).stdout) as { functions: { function: string; allocations: { callee: string; line: number }[] }[] };
    expect(j.functions.map((f) => f.function)).toEqual(['f', 'g']);
    expect(j.functions[0].allocations).toMatchObject([{ callee: 'kmalloc', line: 5 }]);
    // A work function's entry point: the queue its work item is queued on.
    writeFileSync(join(dir, 'work.c'), 'static void refill(struct work_struct *w)\n{\n\tkfree(kmalloc(8, GFP_NOIO));\n}\nvoid setup(struct d *d)\n{\n\tINIT_WORK(&d->refill, refill);\n\tschedule_work(&d->refill);\n}\n');
    expect(gfplint(['facts', 'work.c', '--function', 'refill']).stdout).toContain('"processEntryPoint":["work.c:1: work queued only on workqueues without WQ_MEM_RECLAIM');
    expectUsageError(gfplint(['facts', 'facts.c', '--function', 'nope']), /no function 'nope'/);
    expectUsageError(gfplint(['facts', 'clean']), /is a directory/);
  });
});

describe('signals', () => {
  /** Start a long run, interrupt it once it is busy, and check that -o was not touched. */
  async function interrupted(signal: NodeJS.Signals): Promise<{ code: number | null; report: string; files: string[] }> {
    const sub = mkdtempSync(join(dir, 'sig-'));
    let body = '';
    for (let i = 0; i < 4000; i++) body += `static int f${i}(struct d *d)\n{\n\tvoid *p = kmalloc(16, GFP_KERNEL);\n\tspin_lock(&d->l);\n\td->p = p;\n\tspin_unlock(&d->l);\n\treturn 0;\n}\n`;
    writeFileSync(join(sub, 'big.c'), body);
    writeFileSync(join(sub, 'notes.txt'), 'not C');
    writeFileSync(join(sub, 'report.json'), 'previous report');
    const child = spawn(process.execPath, [bin, '--format', 'json', '-o', 'report.json', '--file-timeout', '120', 'notes.txt', 'big.c'], { cwd: sub, env: { ...process.env, NO_COLOR: '1' } });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => {
      // The skip line for notes.txt comes from file discovery, before the long parse of big.c.
      if (!stderr.includes('skipped') && (stderr += b.toString()).includes('skipped')) child.kill(signal);
    });
    const code = await new Promise<number | null>((res) => child.on('close', (c) => res(c)));
    return { code, report: readFileSync(join(sub, 'report.json'), 'utf8'), files: readdirSync(sub).sort() };
  }

  test('SIGINT: exit 130, -o not replaced, no temporary file', async () => {
    const r = await interrupted('SIGINT');
    expect(r.code).toBe(130);
    expect(r.report).toBe('previous report');
    expect(r.files).toEqual(['big.c', 'notes.txt', 'report.json']);
  });

  test('SIGTERM: exit 143', async () => {
    const r = await interrupted('SIGTERM');
    expect(r.code).toBe(143);
    expect(r.report).toBe('previous report');
  });
});

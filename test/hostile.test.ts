/**
 * Hostile trees (issue 7): symbolic link loops, links out of the scanned root (to a file and to a
 * directory), broken links, and file names with spaces, line breaks, escape sequences and bytes
 * that are not UTF-8. Through the compiled CLI in every format: no crash, no link followed, each
 * reported once on stderr, names escaped in text and valid in JSON and SARIF.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { lint } from '../src/engine/lint.js';
import { allRules } from '../src/engine/registry.js';
import { formatSarif } from '../src/report/sarif.js';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
const SOURCE = readFileSync(join(repoRoot, 'fixtures', 'sleep-in-atomic', 'example.c'));

let dir: string;
let scan: string;
/** Whether this platform let us create a file whose name is not UTF-8. */
let badNameMade = false;

/** The names of the regular files with a finding each, as gfplint prints them. */
const GOOD = ['real.c', 'with space.c', 'new\nline.c', 'esc\x1b[31mred.c', 'bidi\u202egnp.c', 'sub/deep.c'];

/** Links and names that must each get exactly one skip line. */
const SKIPS: [string, RegExp][] = [
  ['loop.c', /^symbolic link loop \(not followed\)$/],
  ['a.c', /^symbolic link loop \(not followed\)$/],
  ['b.c', /^symbolic link loop \(not followed\)$/],
  ['broken.c', /^broken symbolic link \(not followed\)$/],
  ['inside-link.c', /^symbolic link \(not followed\)$/],
  ['out-file.c', /^symbolic link pointing outside the scanned tree \(not followed\)$/],
  ['out-dir', /^symbolic link to a directory pointing outside the scanned tree \(not followed\)$/],
  ['sub/up', /^symbolic link to a directory \(not followed\)$/],
  ['line\nbreak-dir', /^directory name with a line break \(not searched\)$/],
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-hostile-'));
  scan = join(dir, 'scan');
  mkdirSync(join(scan, 'sub'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
  writeFileSync(join(dir, 'outside', 'secret.c'), SOURCE);
  for (const g of GOOD) writeFileSync(join(scan, g), SOURCE);
  symlinkSync('loop.c', join(scan, 'loop.c'));
  symlinkSync('b.c', join(scan, 'a.c'));
  symlinkSync('a.c', join(scan, 'b.c'));
  symlinkSync('nowhere.c', join(scan, 'broken.c'));
  symlinkSync('real.c', join(scan, 'inside-link.c'));
  symlinkSync('../outside/secret.c', join(scan, 'out-file.c'));
  symlinkSync('../outside', join(scan, 'out-dir'));
  symlinkSync('..', join(scan, 'sub', 'up'));
  symlinkSync('README', join(scan, 'not-c-link')); // cannot matter: not reported
  mkdirSync(join(scan, 'line\nbreak-dir'));
  writeFileSync(join(scan, 'line\nbreak-dir', 'x.c'), SOURCE);
  copyFileSync(join(scan, 'real.c'), join(scan, 'sub', 'copy.h'));
  try {
    writeFileSync(Buffer.concat([Buffer.from(scan + '/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('name.c')]), SOURCE);
    badNameMade = true;
  } catch {
    badNameMade = false;
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Run { status: number | null; stdout: string; stderr: string }
function gfplint(args: string[]): Run {
  const r = spawnSync(process.execPath, [bin, '--no-cache', ...args], { cwd: scan, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `gfplint: skipped NAME: REASON` lines, NAME as printed (escaped). */
function skipLines(stderr: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of stderr.split('\n')) {
    const m = /^gfplint: skipped (.*?): (.*)$/.exec(l);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

const escaped = (s: string) => s.replace(/\n/g, '\\n').split('\x1b').join('\\x1b').replace(/\u202e/g, '\\u{202e}');

/** A raw control character (other than a line break) or a bidi override: what a terminal must never get. */
const hasUnsafe = (s: string) => [...s].some((c) => { const k = c.charCodeAt(0); return (k < 0x20 && k !== 0x0a) || k === 0x7f || (k >= 0x202a && k <= 0x202e); });

describe.each(['text', 'json', 'sarif'])('--format %s', (format) => {
  let r: Run;
  beforeAll(() => {
    r = gfplint(['--format', format, '.']);
  });

  test('no crash: exit 1 for the findings, no internal error', () => {
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  });

  test('every link and unsearchable name is reported exactly once, escaped, and nothing else is skipped', () => {
    const skips = skipLines(r.stderr);
    for (const [name, reason] of SKIPS) {
      expect(skips.get(escaped(name)), `${name} in\n${r.stderr}`).toHaveLength(1);
      expect(skips.get(escaped(name))![0]).toMatch(reason);
    }
    const bad = [...skips.keys()].filter((k) => k.startsWith('bad'));
    if (badNameMade) {
      expect(bad).toEqual(['bad\ufffd\ufffdname.c']);
      expect(skips.get(bad[0])).toEqual(['file name is not valid UTF-8 (cannot be opened by name)']);
    }
    expect(skips.size).toBe(SKIPS.length + bad.length);
    expect(skips.has('not-c-link')).toBe(false);
    // No raw control or bidi character reaches the terminal.
    expect(hasUnsafe(r.stderr)).toBe(false);
  });

  test('names are printed safely and nothing outside the tree or behind a link was read', () => {
    const files = new Set<string>();
    if (format === 'text') {
      expect(hasUnsafe(r.stdout)).toBe(false);
      for (const l of r.stdout.split('\n')) {
        const m = /^(.*):\d+:\d+: (error|warning|info):/.exec(l);
        if (m) files.add(m[1]);
      }
      expect([...files].sort()).toEqual([...GOOD.map(escaped), 'sub/copy.h'].sort());
    } else if (format === 'json') {
      const doc = JSON.parse(r.stdout) as { findings: { file: string }[]; skipped: { file: string }[] };
      for (const f of doc.findings) files.add(f.file);
      expect([...files].sort()).toEqual([...GOOD, 'sub/copy.h'].sort());
      expect(doc.skipped.map((s) => s.file)).toEqual(expect.arrayContaining(SKIPS.map(([n]) => n)));
    } else {
      const log = JSON.parse(r.stdout) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string } } }[] }[]; invocations: { toolExecutionNotifications: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] }[] };
      const run = log.runs[0];
      for (const res of run.results) {
        const loc = res.locations[0].physicalLocation.artifactLocation;
        expect(loc.uriBaseId).toBe('%SRCROOT%');
        // A URI reference: percent-encoded, no raw space, line break or control character.
        expect(loc.uri).toMatch(/^[A-Za-z0-9\-._~%!$&'()*+,;=:@/]+$/);
        files.add(decodeURIComponent(loc.uri));
      }
      expect([...files].sort()).toEqual([...GOOD, 'sub/copy.h'].sort());
      const notes = run.invocations[0].toolExecutionNotifications.map((n) => decodeURIComponent(n.locations[0].physicalLocation.artifactLocation.uri));
      expect(notes).toEqual(expect.arrayContaining(SKIPS.map(([n]) => n)));
    }
    for (const f of files) expect(f).not.toMatch(/secret|out-|inside-link|line\\?nbreak-dir/);
  });

  test('the same tree twice gives the same output', () => {
    const again = gfplint(['--format', format, '.']);
    expect(again.stdout).toBe(r.stdout);
    expect(again.stderr.replace(/in \d+\.\d+ s/, '')).toBe(r.stderr.replace(/in \d+\.\d+ s/, ''));
  });
});

test('an in-memory name with a lone surrogate still gives valid SARIF', async () => {
  const r = await lint({ sources: [{ path: 'odd\ud800name.c', text: SOURCE.toString() }], cwd: repoRoot });
  expect(r.findings.length).toBeGreaterThan(0);
  const log = JSON.parse(formatSarif(r, { rules: allRules(), cwd: '/tmp' })) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
  expect(log.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('odd%EF%BF%BDname.c');
});

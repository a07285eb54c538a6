/**
 * The text, JSON and SARIF reporters on hand-made diagnostics: caret placement with tabs,
 * escaping of hostile file names, the JSON contract's key order, SARIF structure and fingerprints.
 */
import { describe, expect, test } from 'vitest';
import { defineRule } from '../src/engine/rule.js';
import { formatJson } from '../src/report/json.js';
import { artifactLocation, findingHash, normaliseMessage, toSarif } from '../src/report/sarif.js';
import { sampleDiagnostic } from './sample-diagnostic.js';
import { escapeForTerminal, excerpt, formatDiagnostic, formatSummary, formatText } from '../src/report/text.js';

const diag = sampleDiagnostic;

const SOURCE = '\tspin_lock(&d->lock);\n\tp = kmalloc(n, GFP_KERNEL);\n';
const source = (f: string) => (f === 'drivers/foo.c' ? SOURCE : undefined);

describe('text', () => {
  test('gcc layout: location, severity, function, message, rule; excerpt with tabs expanded to 8 and the caret under the range', () => {
    expect(formatDiagnostic(diag(), { color: false, source })).toBe(
      [
        "drivers/foo.c:2:6: error: in 'foo_probe': 'kmalloc()' with 'GFP_KERNEL' may sleep [sleep-in-atomic]",
        '    2 |         p = kmalloc(n, GFP_KERNEL);',
        '      |             ^~~~~~~~~~~~~~~~~~~~~~',
        "drivers/foo.c:1:2: note: 'spin_lock' taken here",
        '',
      ].join('\n'),
    );
  });

  test('a tab in the middle of a line moves the caret to the next tab stop', () => {
    const [code, caret] = excerpt('ab\tcd', 7, 4, 5, false);
    expect(code).toBe('    7 | ab      cd');
    expect(caret).toBe('      |         ^');
  });

  test('a range running past the line underlines to its end; a column past the end is clamped', () => {
    expect(excerpt('x = y;', 1, 5, 99, false)[1]).toBe('      |     ^~');
    expect(excerpt('x', 1, 40, undefined, false)[1]).toBe('      |  ^');
  });

  test('--explain shows the related location with its own excerpt', () => {
    const out = formatDiagnostic(diag(), { color: false, explain: true, source });
    expect(out.split('\n').slice(3, 6)).toEqual(["drivers/foo.c:1:2: note: 'spin_lock' taken here", '    1 |         spin_lock(&d->lock);', '      |         ^']);
  });

  test('no function name, no source: just the header line', () => {
    expect(formatDiagnostic(diag({ function: '', related: [], file: 'gone.c' }), { color: false, source })).toBe(
      "gone.c:2:6: error: 'kmalloc()' with 'GFP_KERNEL' may sleep [sleep-in-atomic]\n",
    );
  });

  test('a file name with a newline, an escape and a bidi override is printed escaped, on one line', () => {
    const out = formatText([diag({ file: 'a\nb\x1b[2J\u202ec.c', related: [], message: 'm\rx' })], { color: false });
    expect(out).toBe("a\\nb\\x1b[2J\\u{202e}c.c:2:6: error: in 'foo_probe': m\\rx [sleep-in-atomic]\n");
    expect(out.split('\n')).toHaveLength(2);
  });

  test('colour only when asked', () => {
    expect(formatDiagnostic(diag(), { color: false, source })).not.toContain('\x1b');
    const coloured = formatDiagnostic(diag(), { color: true, source });
    expect(coloured).toContain('\x1b[1;31merror:\x1b[0m');
    expect(coloured).toContain('\x1b[1;36mnote:\x1b[0m');
  });

  test('escapeForTerminal keeps printable text and surrogate pairs, escapes the rest', () => {
    expect(escapeForTerminal('fs/ext4/inode.c')).toBe('fs/ext4/inode.c');
    expect(escapeForTerminal('é😀')).toBe('é😀');
    expect(escapeForTerminal('a\tb\x00\x7f\x9b')).toBe('a\\tb\\x00\\x7f\\x9b');
    expect(escapeForTerminal('x\ud800y')).toBe('x\\u{d800}y');
  });

  test('the summary line', () => {
    const ds = [diag(), diag({ severity: 'warning' }), diag({ severity: 'info' }), diag({ severity: 'info' })];
    expect(formatSummary({ files: 3, functions: 12, allocationSites: 1, seconds: 0.5 }, ds)).toBe(
      'gfplint: 3 files, 12 functions, 1 allocation site, 4 findings (1 error, 1 warning, 2 info) in 0.50 s\n',
    );
  });
});

const result = {
  kernelVersion: '6.12',
  filesScanned: 2,
  findings: [diag({ suppressed: { reason: 'not leaked' } })],
  unusedSuppressions: [diag({ rule: 'unused-disable', severity: 'warning' as const, line: 9, function: '', message: "suppression of 'x' silences nothing", related: [] })],
  skipped: [{ file: 'blob.c', reason: 'binary file' }],
  sites: [{
    file: 'fs/foo/a.c', line: 3, column: 20, function: 'foo_get', clears: 'nofs' as const, written: 'GFP_NOFS', callee: 'kmalloc', verdict: 'unneeded' as const,
    evidence: 'nothing held', related: [{ file: 'fs/foo/a.c', line: 9, column: 2, message: "'foo_ioctl()' calls 'foo_get()' here" }],
  }],
};

describe('json', () => {
  test('the contract: key order, 2-space indent, trailing newline, no extra finding fields', () => {
    const text = formatJson(result, '9.9.9');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "tool": {');
    const doc = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(doc)).toEqual(['tool', 'kernelVersion', 'filesScanned', 'findings', 'sites', 'unusedSuppressions', 'skipped']);
    expect(doc.tool).toEqual({ name: 'gfplint', version: '9.9.9' });
    const f = (doc.findings as Record<string, unknown>[])[0];
    expect(Object.keys(f)).toEqual(['rule', 'severity', 'file', 'line', 'column', 'endLine', 'endColumn', 'function', 'message', 'related']);
    expect(f.related).toEqual([{ file: 'drivers/foo.c', line: 1, column: 2, message: "'spin_lock' taken here" }]);
    expect(doc.skipped).toEqual([{ file: 'blob.c', reason: 'binary file' }]);
    const site = (doc.sites as Record<string, unknown>[])[0];
    expect(Object.keys(site)).toEqual(['file', 'line', 'column', 'function', 'clears', 'written', 'callee', 'verdict', 'evidence', 'related']);
    expect(site.verdict).toBe('unneeded');
  });

  test('suppressed findings, when given, carry their reason', () => {
    const doc = JSON.parse(formatJson({ ...result, suppressed: [diag({ suppressed: { reason: 'boot only' } })] }, '1')) as { suppressed: { reason: string }[] };
    expect(doc.suppressed[0].reason).toBe('boot only');
  });
});

describe('sarif', () => {
  const rule = defineRule({
    id: 'sleep-in-atomic',
    summary: 'Reports allocations that may sleep in atomic context',
    severity: 'info',
    confidence: 'high',
    recommended: true,
    scope: 'function',
    startsFrom: ['allocations'],
    messages: { maySleep: "'{{callee}}()' may sleep" },
    docs: { rationale: 'Sleeping under a spinlock deadlocks.', fix: 'Use GFP_ATOMIC.', references: ['Documentation/core-api/memory-allocation.rst'] },
    *check() {},
  });
  const log = toSarif({ ...result, findings: [diag({ severity: 'info', file: 'dir/a b#.c' })] }, { rules: [rule], version: '1.2.3', cwd: '/src/linux' }) as {
    $schema: string;
    version: string;
    runs: {
      tool: { driver: { name: string; version: string; informationUri: string; rules: Record<string, unknown>[] } };
      columnKind: string;
      originalUriBaseIds: Record<string, { uri: string }>;
      results: Record<string, unknown>[];
      invocations: { toolExecutionNotifications: unknown[] }[];
    }[];
  };
  const run = log.runs[0];

  test('log and driver', () => {
    expect(log.version).toBe('2.1.0');
    expect(log.$schema).toBe('https://json.schemastore.org/sarif-2.1.0.json');
    expect(run.tool.driver).toMatchObject({ name: 'gfplint', version: '1.2.3' });
    expect(run.tool.driver.informationUri).toMatch(/^https:\/\//);
    expect(run.columnKind).toBe('utf16CodeUnits');
    expect(run.originalUriBaseIds['%SRCROOT%'].uri).toBe('file:///src/linux/');
    expect(run.invocations[0].toolExecutionNotifications).toHaveLength(1);
  });

  test('rules[] from metadata, plus unused-disable', () => {
    const [d, u] = run.tool.driver.rules;
    expect(d).toMatchObject({
      id: 'sleep-in-atomic',
      shortDescription: { text: rule.summary },
      fullDescription: { text: rule.docs.rationale },
      help: { text: 'Use GFP_ATOMIC.\n\nDocumentation: https://www.npmjs.com/package/gfplint#sleep-in-atomic' },
      helpUri: 'https://www.npmjs.com/package/gfplint#sleep-in-atomic',
      name: 'SleepInAtomic',
      messageStrings: { maySleep: { text: "'{{callee}}()' may sleep" } },
      defaultConfiguration: { level: 'note' },
      properties: { precision: 'high' },
    });
    expect((d.help as { markdown: string }).markdown).toContain('### sleep-in-atomic');
    expect(u.id).toBe('unused-disable');
  });

  test('results: rule index, level, percent-encoded relative uri, region, related locations, fingerprint', () => {
    const [r, unused] = run.results;
    expect(r).toMatchObject({
      ruleId: 'sleep-in-atomic',
      ruleIndex: 0,
      level: 'note',
      message: { text: "'kmalloc()' with 'GFP_KERNEL' may sleep" },
      locations: [
        {
          physicalLocation: { artifactLocation: { uri: 'dir/a%20b%23.c', uriBaseId: '%SRCROOT%' }, region: { startLine: 2, startColumn: 6, endLine: 2, endColumn: 28 } },
          logicalLocations: [{ name: 'foo_probe', kind: 'function' }],
        },
      ],
      relatedLocations: [{ id: 1, message: { text: "'spin_lock' taken here" }, physicalLocation: { region: { startLine: 1, startColumn: 2 } } }],
    });
    expect((r.partialFingerprints as Record<string, string>).primaryLocationLineHash).toMatch(/^[0-9a-f]{16}:1$/);
    expect(unused).toMatchObject({ ruleId: 'unused-disable', ruleIndex: 1, level: 'warning' });
    expect(r).not.toHaveProperty('suppressions');
  });

  test('fingerprints ignore line numbers but not the function, file or message; repeats are numbered', () => {
    const a = diag();
    expect(findingHash({ ...a, line: 200, column: 1, message: a.message })).toBe(findingHash(a));
    expect(findingHash({ ...a, message: "'kmalloc()' taken on line 12" })).toBe(findingHash({ ...a, message: "'kmalloc()' taken on line 40" }));
    expect(findingHash({ ...a, function: 'other' })).not.toBe(findingHash(a));
    expect(findingHash({ ...a, file: 'x.c' })).not.toBe(findingHash(a));
    expect(findingHash({ ...a, message: 'different' })).not.toBe(findingHash(a));
    expect(normaliseMessage('held at foo.c:12:3,  see lines 4-9')).toBe('held at foo.c:N, see line N');
    const twice = toSarif({ ...result, findings: [a, { ...a, line: 7 }], unusedSuppressions: [] }, { rules: [rule] }) as { runs: { results: { partialFingerprints: { primaryLocationLineHash: string } }[] }[] };
    const [h1, h2] = twice.runs[0].results.map((x) => x.partialFingerprints.primaryLocationLineHash);
    expect(h1.split(':')[0]).toBe(h2.split(':')[0]);
    expect([h1.split(':')[1], h2.split(':')[1]]).toEqual(['1', '2']);
  });

  test('absolute paths become file URIs', () => {
    expect(artifactLocation('/usr/src/x y.c')).toEqual({ uri: 'file:///usr/src/x%20y.c' });
  });
});

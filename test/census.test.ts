/**
 * The census (issue 18): its numbers for a small kernel-style tree, the comparison of two trees,
 * the CLI, and the HTML report in a real browser (Debian's chromium driven by playwright-core:
 * sorted, followed to its sites, screenshot not blank). The browser test says plainly when it is
 * skipped because chromium is not installed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { buildCensus, type Census, compareCensus, subsystemOf } from '../src/census/census.js';
import { formatCensusHtml } from '../src/census/html.js';
import { censusOf } from '../src/census/run.js';
import { formatCensusText } from '../src/census/text.js';
import type { SiteVerdict } from '../src/engine/lint-types.js';
import { repoRoot } from './expectations.js';

const CHROMIUM = '/usr/bin/chromium';
let dir: string;

/** A small tree: what each file holds is what the census must count. */
const TREE: Record<string, string> = {
  'Makefile': 'VERSION = 6\nPATCHLEVEL = 12\nSUBLEVEL = 0\n',
  'include/linux/placeholder.h': '/* the tree marker */\n',
  // fs/foo: one ad-hoc nofs scope (a single allocation inside), one real critical section.
  'fs/foo/alloc.c': `// SPDX-License-Identifier: GPL-2.0
static void *foo_alloc_one(struct foo *f)
{
	unsigned int nofs = memalloc_nofs_save();
	void *p = kmalloc(f->size, GFP_KERNEL);

	memalloc_nofs_restore(nofs);
	return p;
}

static int foo_update(struct foo *f)
{
	unsigned int nofs;
	int err;

	mutex_lock(&f->lock);
	nofs = memalloc_nofs_save();
	err = foo_write_block(f);
	if (!err)
		err = foo_write_block(f);
	memalloc_nofs_restore(nofs);
	mutex_unlock(&f->lock);
	return err;
}
`,
  // fs/foo: a provider (returns with the scope open, the cookie in a field of its argument).
  'fs/foo/trans.c': `// SPDX-License-Identifier: GPL-2.0
void foo_trans_begin(struct foo_trans *tr)
{
	tr->nofs_cookie = memalloc_nofs_save();
}

void foo_trans_end(struct foo_trans *tr)
{
	memalloc_nofs_restore(tr->nofs_cookie);
}
`,
  // drivers/bar: a noio section; a vmalloc with a mask it never honours.
  'drivers/bar/io.c': `// SPDX-License-Identifier: GPL-2.0
static int bar_reset(struct bar_dev *bd)
{
	unsigned int noio = memalloc_noio_save();
	int err = bar_hw_reset(bd);

	if (!err)
		err = bar_hw_start(bd);
	memalloc_noio_restore(noio);
	return err;
}

static void *bar_capture(struct bar_dev *bd)
{
	return __vmalloc(bd->log_size, GFP_ATOMIC);
}
`,
  // mm: an open-coded PF_MEMALLOC write.
  'mm/open.c': `// SPDX-License-Identifier: GPL-2.0
static void mm_worker_begin(void)
{
	current->flags |= PF_MEMALLOC_NOIO;
}
`,
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gfplint-census-'));
  for (const [p, text] of Object.entries(TREE)) {
    mkdirSync(dirname(join(dir, 'tree', p)), { recursive: true });
    writeFileSync(join(dir, 'tree', p), text);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function site(file: string, line: number, verdict: SiteVerdict['verdict'], clears: SiteVerdict['clears'] = 'nofs', fn = 'f'): SiteVerdict {
  return { file, line, column: 1, function: fn, clears, written: clears === 'nofs' ? 'GFP_NOFS' : 'GFP_NOIO', callee: 'kmalloc', verdict, evidence: `${verdict} because`, related: [] };
}

describe('census numbers', () => {
  test('subsystems: two components deep, else the top-level directory', () => {
    expect(subsystemOf('fs/ext4/inode.c')).toEqual({ top: 'fs', subsystem: 'fs/ext4' });
    expect(subsystemOf('fs/ext4/tests/x.c')).toEqual({ top: 'fs', subsystem: 'fs/ext4' });
    expect(subsystemOf('mm/slub.c')).toEqual({ top: 'mm', subsystem: 'mm' });
    expect(subsystemOf('init.c')).toEqual({ top: '.', subsystem: '.' });
  });

  test('sites are counted per verdict in their subsystem, their top-level directory and the total, each with its list', () => {
    const c = buildCensus('t', {
      kernelVersion: '6.12', filesScanned: 3, findings: [],
      sites: [site('fs/a/x.c', 3, 'redundant'), site('fs/a/x.c', 9, 'needed'), site('fs/b/y.c', 1, 'unknown', 'noio'), site('mm/z.c', 5, 'unneeded')],
      inventory: { scopes: [], openCoded: [], providers: [] },
    });
    const row = (level: string, g: string) => c.rows.find((r) => r.level === level && r.group === g)!;
    expect(row('subsystem', 'fs/a').nofs).toEqual({ redundant: 1, unneeded: 0, needed: 1, unknown: 0, total: 2 });
    expect(row('top', 'fs').nofs.total).toBe(2);
    expect(row('top', 'fs').noio).toEqual({ redundant: 0, unneeded: 0, needed: 0, unknown: 1, total: 1 });
    expect(row('subsystem', 'mm').nofs.unneeded).toBe(1);
    expect(c.totals.nofs.total).toBe(3);
    expect(c.totals.noio.total).toBe(1);
    expect(c.lists['subsystem:fs/a|nofs:needed'].map((i) => i.line)).toEqual([9]);
    expect(c.lists['total|nofs:redundant'].map((i) => `${i.file}:${i.line}`)).toEqual(['fs/a/x.c:3']);
  });

  test('a comparison matches sites by function and callee, not by line', () => {
    const before = buildCensus('old', { kernelVersion: '6.1', filesScanned: 1, findings: [], sites: [site('fs/a/x.c', 10, 'redundant'), site('fs/a/x.c', 20, 'needed', 'nofs', 'g')] });
    const after = buildCensus('new', { kernelVersion: '6.12', filesScanned: 1, findings: [], sites: [site('fs/a/x.c', 40, 'needed'), site('fs/b/n.c', 2, 'unknown')] });
    const k = compareCensus(before, after);
    expect(k.changedVerdict.map((c) => [c.before!.line, c.after!.line])).toEqual([[10, 40]]);
    expect(k.disappeared.map((c) => c.before!.function)).toEqual(['g']);
    expect(k.appeared.map((c) => c.after!.file)).toEqual(['fs/b/n.c']);
    const fsA = k.rows.find((r) => r.level === 'subsystem' && r.group === 'fs/a')!;
    expect([fsA.before.nofs.total, fsA.after.nofs.total]).toEqual([2, 1]);
  });
});

describe('census of a tree', () => {
  let census: Census;
  beforeAll(async () => {
    census = await censusOf(join(dir, 'tree'), { cwd: dir, noCache: true });
  }, 60_000);

  test('scopes, ad-hoc scopes, providers, open-coded writes and unsupported vmalloc masks are counted where the files have them', () => {
    const row = (level: string, g: string) => census.rows.find((r) => r.level === level && r.group === g)!;
    // The provider's own save counts as a scope too: it opens the transaction-wide section.
    expect(row('subsystem', 'fs/foo').scopes).toEqual({ nofs: 3, noio: 0, other: 0, adHoc: 1 });
    expect(census.lists['subsystem:fs/foo|scopes:adHoc'].map((i) => i.function)).toEqual(['foo_alloc_one']);
    expect(row('subsystem', 'fs/foo').providers).toBe(1);
    expect(census.lists['subsystem:fs/foo|providers'].map((i) => i.function)).toEqual(['foo_trans_begin']);
    expect(row('subsystem', 'drivers/bar').scopes).toEqual({ nofs: 0, noio: 1, other: 0, adHoc: 0 });
    expect(row('subsystem', 'drivers/bar').unsupportedMasks).toBe(1);
    expect(row('top', 'mm').openCoded).toBe(1);
    expect(census.totals.scopes).toEqual({ nofs: 3, noio: 1, other: 0, adHoc: 1 });
    expect(census.totals.providers).toBe(1);
  });

  test('the text report names the tree and its totals', () => {
    const text = formatCensusText(census);
    expect(text).toContain('memalloc scopes: nofs 3, noio 1, other 0; around a single allocation: 1');
    expect(text).toContain('open-coded PF_MEMALLOC writes: 1');
  });

  test('the CLI: json to a file, a missing tree is one error line', () => {
    const bin = join(repoRoot, 'bin', 'gfplint.js');
    const out = join(dir, 'c.json');
    const ok = spawnSync(process.execPath, [bin, 'census', 'tree', '--no-cache', '--format', 'json', '-o', out], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(ok.status, ok.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.census.totals.scopes.nofs).toBe(3);
    const bad = spawnSync(process.execPath, [bin, 'census', 'no-such-tree', '--no-cache'], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split('\n')).toEqual(["gfplint: error: 'no-such-tree': no such directory"]);
  });
});

/** The share of a PNG's pixel bytes that are neither white nor black: a blank page has none. */
function inkFraction(png: Buffer): number {
  const chunks: Buffer[] = [];
  for (let o = 8; o < png.length;) {
    const len = png.readUInt32BE(o);
    if (png.toString('latin1', o + 4, o + 8) === 'IDAT') chunks.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(chunks));
  let ink = 0;
  for (const b of raw) if (b !== 0 && b !== 255) ink++;
  return ink / raw.length;
}

describe.skipIf(!existsSync(CHROMIUM))(`the HTML report in a browser (skipped when ${CHROMIUM} is missing: apt-get install chromium)`, () => {
  test('sorts a column, follows a number to its sites, and renders charts', async () => {
    const { chromium } = await import('playwright-core');
    const before = buildCensus('linux-old', { kernelVersion: '6.1', filesScanned: 3, findings: [], sites: [site('fs/a/x.c', 3, 'unneeded'), site('fs/b/y.c', 3, 'needed')] });
    const after = buildCensus('linux-new', {
      kernelVersion: '6.12', filesScanned: 3, findings: [],
      sites: [site('fs/a/x.c', 9, 'needed'), site('fs/b/y.c', 3, 'needed'), site('fs/b/y.c', 8, 'unknown', 'noio', 'h'), site('fs/b/y.c', 12, 'redundant', 'nofs', 'k')],
      inventory: { scopes: [], openCoded: [], providers: [] },
    });
    const file = join(dir, 'report.html');
    writeFileSync(file, formatCensusHtml({ comparison: compareCensus(before, after) }));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      // Nothing may be fetched: the report is one self-contained file.
      const requests: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(`file://${file}`);
      const groups = () => page.$$eval('#table tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.group));
      // Default order: most remaining sites first.
      expect(await groups()).toEqual(['fs/b', 'fs/a']);
      await page.click('#table thead th[data-col="group"]');
      expect(await groups()).toEqual(['fs/a', 'fs/b']);
      await page.fill('#filter', 'fs/b');
      expect(await groups()).toEqual(['fs/b']);
      // fs/b's NOFS+NOIO number leads to its three sites.
      await page.click('#table tbody tr[data-group="fs/b"] td:nth-child(2) a');
      expect(await page.textContent('#list-title')).toBe('fs/b: GFP_NOFS and GFP_NOIO sites (3)');
      expect(await page.$$eval('#list-table tbody tr td:first-child', (tds) => tds.map((t) => t.textContent))).toEqual(['fs/b/y.c:3', 'fs/b/y.c:8', 'fs/b/y.c:12']);
      // The whole-tree card of changed verdicts lists fs/a/x.c (unneeded in 6.1, needed in 6.12).
      await page.click('#totals a[data-keys="total|changed"]');
      expect(await page.textContent('#list-title')).toContain('(1)');
      expect(await page.textContent('#list-table tbody')).toContain('unneeded → needed');
      const shot = await page.screenshot({ fullPage: false });
      writeFileSync(join(dir, 'report.png'), shot);
      // A blank page or an empty chart has no pixel that is neither white nor black.
      expect(inkFraction(await (await page.$('#chart'))!.screenshot())).toBeGreaterThan(0.002);
      expect(inkFraction(shot)).toBeGreaterThan(0.002);
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});

/**
 * The NOFS/NOIO verdicts (issue 15) as LintResult.sites carries them: all four verdicts, which
 * findings cannot show (needed and unknown are never reported), on the mechanism fixtures.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { lint } from '../src/engine/lint.js';
import { cFilesUnder, repoRoot } from './expectations.js';

async function verdictsOf(dir: string): Promise<Record<string, string>> {
  const files = cFilesUnder(join(repoRoot, 'fixtures', dir));
  const sources = files.map((f) => ({ path: f.slice(repoRoot.length + 1), text: readFileSync(f, 'utf8') }));
  const r = await lint({ sources, cwd: repoRoot, rules: ['nofs-redundant'], rememberResults: false, noCache: true });
  return Object.fromEntries((r.sites ?? []).map((s) => [`${s.file.split('/').slice(-2).join('/')}:${s.line}`, s.verdict]));
}

describe('NOFS verdicts', () => {
  test('a reclaim-reachable lock held makes NOFS needed; nothing held makes it unneeded', async () => {
    expect(await verdictsOf('nofs-cargo-cult/reclaim-reach')).toEqual({ 'barfs/inode.c:26': 'needed', 'barfs/inode.c:36': 'needed', 'barfs/inode.c:54': 'unneeded' });
  });

  test('a transaction that is no scope, begun by a caller, makes NOFS needed where reclaim joins one', async () => {
    expect(await verdictsOf('nofs-cargo-cult/transaction')).toEqual({ 'bazfs/inode.c:19': 'needed', 'bazfs/inode.c:37': 'unneeded' });
  });

  test('a read-only filesystem whose reclaim sleeps on nothing: a held lock is no reason', async () => {
    expect(await verdictsOf('nofs-cargo-cult/read-only')).toEqual({ 'rofs/mount.c:5': 'unneeded', 'rofs/super.c:24': 'unneeded' });
  });

  test('handles: live, tested, NULL, rolled, committed, ext4 without journal', async () => {
    expect(await verdictsOf('nofs-redundant/handles')).toEqual({
      'ext4/foo_handle.c:5': 'unknown',
      'ocfs2/foo_handle.c:5': 'redundant',
      'xfs/foo_trans.c:5': 'redundant',
      'xfs/foo_trans.c:14': 'redundant',
      'xfs/foo_trans.c:17': 'unknown',
      'xfs/foo_trans.c:23': 'unknown',
      'xfs/foo_trans.c:34': 'redundant',
      'xfs/foo_trans.c:43': 'unknown',
    });
  });
});

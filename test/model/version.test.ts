import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  atLeast, compareVersions, formatVersion, inRange, NEWEST_MODELLED, parseKernelVersion, versionFromMakefile,
} from '../../src/model/version.js';

describe('parseKernelVersion', () => {
  it.each([
    ['5.10', { major: 5, minor: 10 }],
    ['6.12.3', { major: 6, minor: 12 }],
    ['6.1.192', { major: 6, minor: 1 }],
    ['4.12', { major: 4, minor: 12 }],
    ['v6.8', { major: 6, minor: 8 }],
    [' 6.12 ', { major: 6, minor: 12 }],
  ])('accepts %s', (text, expected) => {
    expect(parseKernelVersion(text)).toEqual(expected);
  });

  it('refuses 4.11 and says from which version kernels are modelled', () => {
    const r = parseKernelVersion('4.11');
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error).toMatch(/4\.12/);
  });

  it.each(['garbage', '', '6', '6.', '6.12.3.4', '6.x', '4.25', '5.20', '-6.1', '6.1-rc1'])('refuses %j', (text) => {
    const r = parseKernelVersion(text);
    expect(r).toHaveProperty('error');
    expect((r as { error: string }).error.length).toBeGreaterThan(10);
  });

  it('refuses 3.19 as too old, not as garbage', () => {
    expect((parseKernelVersion('3.19') as { error: string }).error).toMatch(/not modelled/);
  });
});

describe('version arithmetic', () => {
  it('orders versions by major then minor', () => {
    expect(compareVersions({ major: 6, minor: 1 }, { major: 6, minor: 12 })).toBeLessThan(0);
    expect(compareVersions({ major: 6, minor: 12 }, { major: 5, minor: 19 })).toBeGreaterThan(0);
    expect(compareVersions({ major: 5, minor: 17 }, { major: 5, minor: 17 })).toBe(0);
  });

  it('atLeast is inclusive', () => {
    expect(atLeast({ major: 5, minor: 17 }, 5, 17)).toBe(true);
    expect(atLeast({ major: 5, minor: 16 }, 5, 17)).toBe(false);
    expect(atLeast({ major: 6, minor: 0 }, 5, 17)).toBe(true);
  });

  it('ranges are since-inclusive, until-exclusive', () => {
    expect(inRange({ major: 6, minor: 9 }, { since: [6, 9] })).toBe(true);
    expect(inRange({ major: 6, minor: 9 }, { until: [6, 9] })).toBe(false);
    expect(inRange({ major: 6, minor: 8 }, { until: [6, 9] })).toBe(true);
  });

  it('formats and knows the newest modelled release', () => {
    expect(formatVersion({ major: 6, minor: 12 })).toBe('6.12');
    expect(formatVersion(NEWEST_MODELLED)).toBe('6.12');
  });
});

describe('versionFromMakefile', () => {
  it('reads VERSION and PATCHLEVEL', () => {
    const text = '# SPDX-License-Identifier: GPL-2.0\nVERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 192\nEXTRAVERSION =\nNAME = Curry Ramen\n';
    expect(versionFromMakefile(text)).toEqual({ major: 6, minor: 1 });
  });

  it('returns undefined for other files', () => {
    expect(versionFromMakefile('all:\n\techo VERSION\n')).toBeUndefined();
  });

  const makefile = join(homedir(), '.cache/kernels/linux-source-6.12/Makefile');
  it.skipIf(!existsSync(makefile))('reads the 6.12 tree (skipped when ~/.cache/kernels/linux-source-6.12 is absent)', () => {
    expect(versionFromMakefile(readFileSync(makefile, 'utf8'))).toEqual({ major: 6, minor: 12 });
  });
});

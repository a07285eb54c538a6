/**
 * Kernel versions as the model sees them: major.minor, from 4.12 (the first release with the
 * memalloc scope API, allocator-model.md §2.6) to the newest modelled release.
 */

/** A kernel release as major.minor (the sublevel never changes what the model knows). */
export interface KernelVersion {
  major: number;
  minor: number;
}

/** The first release the model covers: memalloc_nofs_save() and current_gfp_context() (§2.6). */
export const OLDEST_MODELLED: KernelVersion = { major: 4, minor: 12 };

/** The newest release whose tables were read from a tree (allocator-model.md §0: 6.12.117). */
export const NEWEST_MODELLED: KernelVersion = { major: 6, minor: 12 };

// Last minor of each finished major line; a minor past it is a typo, not a kernel.
const LAST_MINOR: Readonly<Record<number, number>> = { 2: 6, 3: 19, 4: 20, 5: 19 };

/**
 * Parses `X.Y` or `X.Y.Z` (an optional leading `v` is accepted, as in git tags). The sublevel is
 * dropped: the model only distinguishes major.minor. Versions before 4.12 are refused.
 */
export function parseKernelVersion(s: string): KernelVersion | { error: string } {
  const text = s.trim();
  const m = /^v?(\d{1,2})\.(\d{1,3})(?:\.(\d{1,4}))?$/.exec(text);
  if (!m) {
    return { error: `'${s}' is not a kernel version: expected MAJOR.MINOR or MAJOR.MINOR.SUBLEVEL, e.g. 6.12 or 6.1.192` };
  }
  const v: KernelVersion = { major: Number(m[1]), minor: Number(m[2]) };
  const last = LAST_MINOR[v.major];
  if (v.major < 2 || (last !== undefined && v.minor > last) || v.major > 9) {
    return { error: `'${s}' is not a kernel version: Linux ${v.major}.x has no release ${v.major}.${v.minor}` };
  }
  if (compareVersions(v, OLDEST_MODELLED) < 0) {
    return {
      error: `kernel ${formatVersion(v)} is not modelled: versions from ${formatVersion(OLDEST_MODELLED)} on are modelled (the first release with memalloc_nofs_save() and current_gfp_context())`,
    };
  }
  return v;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: KernelVersion, b: KernelVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** True when `v` is `major.minor` or newer. */
export function atLeast(v: KernelVersion, major: number, minor: number): boolean {
  return compareVersions(v, { major, minor }) >= 0;
}

/** `6.12` */
export function formatVersion(v: KernelVersion): string {
  return `${v.major}.${v.minor}`;
}

/**
 * Reads the `VERSION = 6` and `PATCHLEVEL = 12` lines of a kernel's top-level Makefile.
 * Returns undefined when either is missing.
 */
export function versionFromMakefile(text: string): KernelVersion | undefined {
  const major = /^VERSION\s*=\s*(\d+)\s*$/m.exec(text);
  const minor = /^PATCHLEVEL\s*=\s*(\d+)\s*$/m.exec(text);
  if (!major || !minor) return undefined;
  return { major: Number(major[1]), minor: Number(minor[1]) };
}

/** A version range as the tables write it: `since` inclusive, `until` exclusive. */
export interface VersionRange {
  since?: readonly [number, number];
  until?: readonly [number, number];
}

/** True when `v` lies in the range (an absent bound is open). */
export function inRange(v: KernelVersion, r: VersionRange): boolean {
  if (r.since && !atLeast(v, r.since[0], r.since[1])) return false;
  if (r.until && atLeast(v, r.until[0], r.until[1])) return false;
  return true;
}

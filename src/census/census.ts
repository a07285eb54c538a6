/**
 * The census (issue 18): how a kernel tree uses GFP_NOFS, GFP_NOIO and the scope API, per
 * top-level directory and per subsystem, every number backed by the list of sites it counts.
 * Built from one lint run's `sites` (each NOFS/NOIO site with its verdict), its scope inventory
 * and its findings; `compareCensus` sets two trees side by side.
 */
import type { Diagnostic } from '../engine/diagnostic.js';
import type { LintResult, NofsVerdict, ScopeInventory, SiteVerdict } from '../engine/lint-types.js';

export const VERDICTS: readonly NofsVerdict[] = ['redundant', 'unneeded', 'needed', 'unknown'];

/** The rules whose findings the census counts as vmalloc/kvmalloc calls with a mask the kernel does not honour. */
export const UNSUPPORTED_MASK_RULES: readonly string[] = ['vmalloc-unsupported-gfp'];

/** One counted thing, as listed behind a number. */
export interface CensusItem {
  file: string;
  line: number;
  function: string;
  /** What it is, in a few words (the verdict and mask of a site, the kind of a scope, …). */
  what: string;
  /** The evidence: a site's verdict sentence, a finding's message. */
  detail: string;
}

export type VerdictCounts = Record<NofsVerdict, number> & { total: number };

export interface CensusRow {
  /** `fs`, or `fs/ext4` for a subsystem. */
  group: string;
  level: 'top' | 'subsystem';
  nofs: VerdictCounts;
  noio: VerdictCounts;
  scopes: { nofs: number; noio: number; other: number; adHoc: number };
  providers: number;
  unsupportedMasks: number;
  openCoded: number;
}

/** The lists behind the numbers, under `listKey(rowKey(level, group), category)` (or `listKey('total', …)`). */
export type CensusLists = Record<string, CensusItem[]>;

export const CATEGORIES = [
  'nofs:redundant', 'nofs:unneeded', 'nofs:needed', 'nofs:unknown', 'noio:redundant', 'noio:unneeded', 'noio:needed', 'noio:unknown',
  'scopes:nofs', 'scopes:noio', 'scopes:other', 'scopes:adHoc', 'providers', 'unsupportedMasks', 'openCoded',
] as const;
export type Category = (typeof CATEGORIES)[number];

export interface Census {
  tree: string;
  kernelVersion: string;
  filesScanned: number;
  totals: CensusRow;
  rows: CensusRow[];
  lists: CensusLists;
  /** Every NOFS/NOIO site, for matching against another tree. */
  sites: SiteVerdict[];
}

/**
 * The top-level directory and the subsystem of a path relative to the tree's root: the subsystem
 * is its first two components when the file lies two directories deep or more (`fs/ext4`,
 * `drivers/block`, `kernel/sched`), else its top-level directory (`mm/slub.c` is in `mm`);
 * `.` for a file at the top.
 */
export function rowKey(level: CensusRow['level'], group: string): string {
  return `${level}:${group}`;
}

export function listKey(row: string, category: Category | string): string {
  return `${row}|${category}`;
}

export function subsystemOf(rel: string): { top: string; subsystem: string } {
  const parts = rel.split('/');
  if (parts.length === 1) return { top: '.', subsystem: '.' };
  return { top: parts[0], subsystem: parts.length >= 3 ? `${parts[0]}/${parts[1]}` : parts[0] };
}

function emptyCounts(): VerdictCounts {
  return { redundant: 0, unneeded: 0, needed: 0, unknown: 0, total: 0 };
}

function emptyRow(group: string, level: CensusRow['level']): CensusRow {
  return { group, level, nofs: emptyCounts(), noio: emptyCounts(), scopes: { nofs: 0, noio: 0, other: 0, adHoc: 0 }, providers: 0, unsupportedMasks: 0, openCoded: 0 };
}

/** A scope around exactly one call, an allocation: the ad-hoc scope the maintainers complain of. */
export function isAdHocScope(s: ScopeInventory['scopes'][number]): boolean {
  return s.calls === 1 && s.allocations === 1;
}

export function buildCensus(tree: string, result: Pick<LintResult, 'kernelVersion' | 'filesScanned' | 'findings' | 'sites' | 'inventory'>): Census {
  const rows = new Map<string, CensusRow>();
  const totals = emptyRow('total', 'top');
  const lists: CensusLists = {};
  const touch = (file: string, bump: (r: CensusRow) => void, category: Category, item: CensusItem) => {
    const { top, subsystem } = subsystemOf(file);
    for (const [group, level] of [[top, 'top'], [subsystem, 'subsystem']] as const) {
      const key = rowKey(level, group);
      let row = rows.get(key);
      if (!row) rows.set(key, (row = emptyRow(group, level)));
      bump(row);
      (lists[listKey(key, category)] ??= []).push(item);
    }
    bump(totals);
    (lists[listKey('total', category)] ??= []).push(item);
  };
  const sites = result.sites ?? [];
  for (const s of sites) {
    touch(s.file, (r) => {
      r[s.clears][s.verdict]++;
      r[s.clears].total++;
    }, `${s.clears}:${s.verdict}`, { file: s.file, line: s.line, function: s.function, what: `${s.verdict}: ${s.callee}(${s.written})`, detail: s.evidence });
  }
  const inv = result.inventory ?? { scopes: [], openCoded: [], providers: [] };
  for (const s of inv.scopes) {
    const kind = s.kind === 'nofs' || s.kind === 'noio' ? s.kind : 'other';
    const item = { file: s.file, line: s.line, function: s.function, what: `${s.kind} scope: ${s.opener}()`, detail: `${s.calls} call(s), ${s.allocations} allocation(s) inside${s.commented ? '; commented' : ''}` };
    touch(s.file, (r) => r.scopes[kind]++, `scopes:${kind}`, item);
    if (isAdHocScope(s)) touch(s.file, (r) => r.scopes.adHoc++, 'scopes:adHoc', item);
  }
  for (const p of inv.providers) {
    touch(p.file, (r) => r.providers++, 'providers', { file: p.file, line: p.line, function: p.function, what: `returns with a ${p.kind} scope open`, detail: `opened by ${p.opener}()` });
  }
  for (const o of inv.openCoded) {
    touch(o.file, (r) => r.openCoded++, 'openCoded', { file: o.file, line: o.line, function: o.function, what: `${o.how} of ${o.flags.join(' | ')}`, detail: 'PF_MEMALLOC bits written outside the scope API' });
  }
  for (const d of result.findings) {
    if (!UNSUPPORTED_MASK_RULES.includes(d.rule)) continue;
    touch(d.file, (r) => r.unsupportedMasks++, 'unsupportedMasks', findingItem(d));
  }
  for (const list of Object.values(lists)) list.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  const sorted = [...rows.values()].sort(byGroup);
  return { tree, kernelVersion: result.kernelVersion, filesScanned: result.filesScanned, totals, rows: sorted, lists, sites };
}

function byGroup(a: CensusRow, b: CensusRow): number {
  return a.level !== b.level ? (a.level === 'top' ? -1 : 1) : a.group < b.group ? -1 : a.group > b.group ? 1 : 0;
}

function findingItem(d: Diagnostic): CensusItem {
  return { file: d.file, line: d.line, function: d.function, what: d.rule, detail: d.message };
}

/** NOFS plus NOIO sites still written in a row. */
export function remaining(r: CensusRow): number {
  return r.nofs.total + r.noio.total;
}

export interface SiteChange {
  key: string;
  before?: SiteVerdict;
  after?: SiteVerdict;
}

export interface CensusComparison {
  before: Census;
  after: Census;
  /** Per group present in either tree: the two rows (an absent one is all zeros). */
  rows: { group: string; level: CensusRow['level']; before: CensusRow; after: CensusRow }[];
  disappeared: SiteChange[];
  appeared: SiteChange[];
  changedVerdict: SiteChange[];
}

/**
 * Matches sites across trees by file, function, callee and what they clear, then by order within
 * that group (line numbers move between versions; the n-th such call of a function is the same).
 */
export function compareCensus(before: Census, after: Census): CensusComparison {
  const keyed = (sites: SiteVerdict[]) => {
    const seen = new Map<string, number>();
    const out = new Map<string, SiteVerdict>();
    for (const s of [...sites].sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column))) {
      const base = `${s.file}|${s.function}|${s.callee}|${s.clears}`;
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.set(`${base}#${n}`, s);
    }
    return out;
  };
  const a = keyed(before.sites);
  const b = keyed(after.sites);
  const disappeared: SiteChange[] = [];
  const appeared: SiteChange[] = [];
  const changedVerdict: SiteChange[] = [];
  for (const [key, s] of a) {
    const t = b.get(key);
    if (!t) disappeared.push({ key, before: s });
    else if (t.verdict !== s.verdict) changedVerdict.push({ key, before: s, after: t });
  }
  for (const [key, t] of b) if (!a.has(key)) appeared.push({ key, after: t });
  const keys = new Map<string, CensusRow>();
  for (const r of [...before.rows, ...after.rows]) keys.set(rowKey(r.level, r.group), r);
  const rowOf = (c: Census, r: CensusRow) => c.rows.find((x) => x.level === r.level && x.group === r.group) ?? emptyRow(r.group, r.level);
  const rows = [...keys.values()].sort(byGroup).map((r) => ({ group: r.group, level: r.level, before: rowOf(before, r), after: rowOf(after, r) }));
  return { before, after, rows, disappeared, appeared, changedVerdict };
}

/** The census for a terminal (totals and the top subsystems) and as JSON for scripts. */
import { TOOL_NAME, toolVersion } from '../engine/tool-info.js';
import { type Census, type CensusComparison, type CensusRow, remaining, VERDICTS } from './census.js';

const TOP = 10;

function counts(c: CensusRow['nofs']): string {
  return `${c.total} (${VERDICTS.map((v) => `${v} ${c[v]}`).join(', ')})`;
}

function pad(s: string | number, n: number, left = false): string {
  const t = String(s);
  return left ? t.padEnd(n) : t.padStart(n);
}

function headline(c: Census): string[] {
  const t = c.totals;
  return [
    `GFP_NOFS sites: ${counts(t.nofs)}`,
    `GFP_NOIO sites: ${counts(t.noio)}`,
    `memalloc scopes: nofs ${t.scopes.nofs}, noio ${t.scopes.noio}, other ${t.scopes.other}; around a single allocation: ${t.scopes.adHoc}`,
    `scope providers: ${t.providers}; vmalloc/kvmalloc calls with an unsupported mask: ${t.unsupportedMasks}; open-coded PF_MEMALLOC writes: ${t.openCoded}`,
  ];
}

function subsystemTable(rows: CensusRow[]): string[] {
  const top = rows.filter((r) => r.level === 'subsystem' && remaining(r) > 0)
    .sort((a, b) => remaining(b) - remaining(a) || (a.group < b.group ? -1 : 1))
    .slice(0, TOP);
  const width = Math.max(9, ...top.map((r) => r.group.length));
  const out = [`${pad('subsystem', width, true)}  ${['NOFS', 'NOIO', ...VERDICTS, 'scopes', 'ad-hoc'].map((h) => pad(h, 10)).join('')}`];
  for (const r of top) {
    const v = VERDICTS.map((k) => pad(r.nofs[k] + r.noio[k], 10)).join('');
    out.push(`${pad(r.group, width, true)}  ${pad(r.nofs.total, 10)}${pad(r.noio.total, 10)}${v}${pad(r.scopes.nofs + r.scopes.noio, 10)}${pad(r.scopes.adHoc, 10)}`);
  }
  return out;
}

export function formatCensusText(c: Census): string {
  const out = [`${TOOL_NAME} census of ${c.tree} (Linux ${c.kernelVersion}, ${c.filesScanned} files scanned)`, '', ...headline(c), ''];
  out.push(`Top ${TOP} subsystems by remaining GFP_NOFS/GFP_NOIO sites:`, ...subsystemTable(c.rows));
  return out.join('\n') + '\n';
}

export function formatComparisonText(k: CensusComparison): string {
  const out = [`${TOOL_NAME} census: ${k.before.tree} (Linux ${k.before.kernelVersion}) → ${k.after.tree} (Linux ${k.after.kernelVersion})`, ''];
  out.push(`before: ${headline(k.before).join('\n        ')}`, `after:  ${headline(k.after).join('\n        ')}`, '');
  out.push(`NOFS/NOIO sites: ${k.disappeared.length} disappeared, ${k.appeared.length} appeared, ${k.changedVerdict.length} changed verdict`, '');
  const moved = k.rows.filter((r) => r.level === 'subsystem')
    .map((r) => ({ r, d: remaining(r.after) - remaining(r.before) }))
    .filter((x) => x.d !== 0)
    .sort((a, b) => Math.abs(b.d) - Math.abs(a.d) || (a.r.group < b.r.group ? -1 : 1))
    .slice(0, TOP);
  const width = Math.max(9, ...moved.map((x) => x.r.group.length));
  out.push(`Top ${TOP} subsystems by change in GFP_NOFS/GFP_NOIO sites:`, `${pad('subsystem', width, true)}  ${pad('before', 8)}${pad('after', 8)}${pad('change', 8)}`);
  for (const { r, d } of moved) out.push(`${pad(r.group, width, true)}  ${pad(remaining(r.before), 8)}${pad(remaining(r.after), 8)}${pad(d > 0 ? `+${d}` : d, 8)}`);
  return out.join('\n') + '\n';
}

export function formatCensusJson(x: { census: Census } | { comparison: CensusComparison }): string {
  return JSON.stringify({ tool: { name: TOOL_NAME, version: toolVersion() }, ...x }, null, 2) + '\n';
}

/**
 * The census as one self-contained HTML file: needs no network when viewed. Apache ECharts is
 * inlined from the installed package; the data is one JSON block; a small script makes the
 * table sortable and filterable and turns every number into a link to the sites behind it.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TOOL_NAME, toolVersion } from '../engine/tool-info.js';
import { type Census, type CensusComparison, CATEGORIES, listKey, rowKey, VERDICTS } from './census.js';

function echartsSource(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(require.resolve('echarts/dist/echarts.min.js'), 'utf8');
}

/** JSON or script text that cannot end the <script> element holding it. */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

interface PageData {
  title: string;
  mode: 'census' | 'compare';
  verdicts: readonly string[];
  categories: readonly string[];
  trees: { tree: string; kernelVersion: string; filesScanned: number }[];
  /** One entry per row: key, group, level, and the numbers per column; for compare, before/after. */
  rows: { key: string; group: string; level: string; cells: Record<string, number>; before?: Record<string, number> }[];
  totals: Record<string, number>;
  lists: Record<string, { file: string; line: number; function: string; what: string; detail: string }[]>;
}

function cellsOf(r: Census['rows'][number]): Record<string, number> {
  const cells: Record<string, number> = {
    'nofs:total': r.nofs.total, 'noio:total': r.noio.total,
    'scopes:nofs': r.scopes.nofs, 'scopes:noio': r.scopes.noio, 'scopes:other': r.scopes.other, 'scopes:adHoc': r.scopes.adHoc,
    providers: r.providers, unsupportedMasks: r.unsupportedMasks, openCoded: r.openCoded,
  };
  for (const v of VERDICTS) {
    cells[`nofs:${v}`] = r.nofs[v];
    cells[`noio:${v}`] = r.noio[v];
  }
  return cells;
}

export function formatCensusHtml(x: { census: Census } | { comparison: CensusComparison }): string {
  let data: PageData;
  if ('census' in x) {
    const c = x.census;
    data = {
      title: `${TOOL_NAME} census: ${c.tree} (Linux ${c.kernelVersion})`, mode: 'census', verdicts: VERDICTS, categories: CATEGORIES,
      trees: [{ tree: c.tree, kernelVersion: c.kernelVersion, filesScanned: c.filesScanned }],
      rows: c.rows.map((r) => ({ key: rowKey(r.level, r.group), group: r.group, level: r.level, cells: cellsOf(r) })),
      totals: cellsOf(c.totals), lists: c.lists,
    };
  } else {
    const k = x.comparison;
    const lists: PageData['lists'] = { ...k.after.lists };
    const item = (s: NonNullable<(typeof k.appeared)[number]['after']>, what: string) => ({ file: s.file, line: s.line, function: s.function, what: `${what}: ${s.callee}(${s.written})`, detail: `${s.verdict}: ${s.evidence}` });
    lists[listKey('total', 'disappeared')] = k.disappeared.map((c) => item(c.before!, `gone since ${k.before.kernelVersion}`));
    lists[listKey('total', 'appeared')] = k.appeared.map((c) => item(c.after!, `new in ${k.after.kernelVersion}`));
    lists[listKey('total', 'changed')] = k.changedVerdict.map((c) => ({ ...item(c.after!, `${c.before!.verdict} → ${c.after!.verdict}`), detail: `${k.before.kernelVersion} ${c.before!.file}:${c.before!.line}: ${c.before!.evidence} | ${k.after.kernelVersion}: ${c.after!.evidence}` }));
    data = {
      title: `${TOOL_NAME} census: ${k.before.tree} (Linux ${k.before.kernelVersion}) → ${k.after.tree} (Linux ${k.after.kernelVersion})`, mode: 'compare', verdicts: VERDICTS, categories: CATEGORIES,
      trees: [k.before, k.after].map((c) => ({ tree: c.tree, kernelVersion: c.kernelVersion, filesScanned: c.filesScanned })),
      rows: k.rows.map((r) => ({ key: rowKey(r.level, r.group), group: r.group, level: r.level, cells: cellsOf(r.after), before: cellsOf(r.before) })),
      totals: { ...cellsOf(k.after.totals), disappeared: k.disappeared.length, appeared: k.appeared.length, changed: k.changedVerdict.length }, lists,
    };
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="generator" content="${TOOL_NAME} ${escapeHtml(toolVersion())}">
<title>${escapeHtml(data.title)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${escapeHtml(data.title)}</h1>
<div id="totals"></div>
<div id="chart" class="chart"></div>
${data.mode === 'compare' ? '<div id="change-chart" class="chart"></div>' : ''}
<div class="controls">
  <label>Show <select id="level"><option value="subsystem">subsystems</option><option value="top">top-level directories</option></select></label>
  <label>Filter <input id="filter" type="search" placeholder="fs/ext4, drivers/…"></label>
</div>
<div class="scroll"><table id="table"><thead></thead><tbody></tbody></table></div>
<section id="list"><h2 id="list-title">Sites</h2><p class="hint">Follow a number in the table or the totals to list the sites behind it.</p><table id="list-table"><thead><tr><th>location</th><th>function</th><th>what</th><th>evidence</th></tr></thead><tbody></tbody></table></section>
<script id="census-data" type="application/json">${scriptSafe(JSON.stringify(data))}</script>
<script>${scriptSafe(echartsSource())}</script>
<script>${scriptSafe(PAGE_SCRIPT)}</script>
</body></html>
`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.3em}
.chart{width:100%;height:420px;margin:1em 0}
#totals{display:flex;flex-wrap:wrap;gap:.5em}
#totals .card{border:1px solid #ccd;border-radius:6px;padding:.4em .8em;background:#f7f8fc}
#totals .card b{display:block;font-size:1.3em}
.controls{display:flex;gap:2em;margin:1em 0}
.scroll{overflow-x:auto;max-height:70vh}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #e3e3ea;padding:.25em .5em;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}
thead th{cursor:pointer;background:#eef0f7;position:sticky;top:0}
thead th[aria-sort=ascending]::after{content:" \\25B2"}
thead th[aria-sort=descending]::after{content:" \\25BC"}
td a{color:#1a4fd0;text-decoration:none}
td.zero{color:#bbb}
.delta-up{color:#b00020}.delta-down{color:#18794e}
#list-table td{text-align:left;white-space:normal}
#list-table td:first-child{white-space:nowrap;font-family:monospace}
.hint{color:#666}
`;

// The page's own script (plain ES2017, no network). Columns come from the data's categories.
const PAGE_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('census-data').textContent);
  var compare = data.mode === 'compare';
  var columns = [
    ['nofs:total', 'GFP_NOFS'], ['noio:total', 'GFP_NOIO'],
    ['nofs:redundant', 'NOFS redundant'], ['nofs:unneeded', 'NOFS unneeded'], ['nofs:needed', 'NOFS needed'], ['nofs:unknown', 'NOFS unknown'],
    ['noio:redundant', 'NOIO redundant'], ['noio:unneeded', 'NOIO unneeded'], ['noio:needed', 'NOIO needed'], ['noio:unknown', 'NOIO unknown'],
    ['scopes:nofs', 'nofs scopes'], ['scopes:noio', 'noio scopes'], ['scopes:other', 'other scopes'], ['scopes:adHoc', 'ad-hoc scopes'],
    ['providers', 'providers'], ['unsupportedMasks', 'unsupported vmalloc masks'], ['openCoded', 'open-coded PF_MEMALLOC']
  ];
  var listable = {}; data.categories.forEach(function (c) { listable[c] = true; });
  var sort = { col: 'remaining', dir: -1 };
  function remaining(cells) { return cells['nofs:total'] + cells['noio:total']; }
  function listKeys(rowKey, col) {
    if (listable[col]) return [rowKey + '|' + col];
    var kind = col.split(':')[0];
    return data.verdicts.map(function (v) { return rowKey + '|' + kind + ':' + v; });
  }
  function countOf(keys) { return keys.reduce(function (n, k) { return n + ((data.lists[k] || []).length); }, 0); }
  function link(n, keys, title) {
    if (!n) return '<span class="zero">0</span>';
    return '<a href="#" data-keys="' + keys.join(',') + '" data-title="' + title.replace(/"/g, '&quot;') + '">' + n + '</a>';
  }
  function esc(s) { return String(s).replace(/[&<>"]/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]; }); }

  // Totals, each a link to its sites.
  var totals = document.getElementById('totals');
  var cards = [['nofs:total', 'GFP_NOFS sites'], ['noio:total', 'GFP_NOIO sites']].concat(data.verdicts.map(function (v) { return ['nofs:' + v, 'NOFS ' + v]; }))
    .concat([['scopes:adHoc', 'ad-hoc scopes'], ['providers', 'scope providers'], ['unsupportedMasks', 'unsupported vmalloc masks'], ['openCoded', 'open-coded PF_MEMALLOC']]);
  if (compare) cards = cards.concat([['disappeared', 'sites gone'], ['appeared', 'sites new'], ['changed', 'verdicts changed']]);
  totals.innerHTML = cards.map(function (c) {
    var keys = ['disappeared', 'appeared', 'changed'].indexOf(c[0]) >= 0 ? ['total|' + c[0]] : listKeys('total', c[0]);
    return '<div class="card">' + esc(c[1]) + '<b>' + link(data.totals[c[0]], keys, c[1] + ' (whole tree)') + '</b></div>';
  }).join('');

  // The table.
  var head = '<tr><th data-col="group">' + (compare ? 'subsystem (' + esc(data.trees[0].kernelVersion) + ' → ' + esc(data.trees[1].kernelVersion) + ')' : 'subsystem') + '</th><th data-col="remaining">NOFS+NOIO</th>' +
    (compare ? '<th data-col="before">before</th><th data-col="change">change</th>' : '') +
    columns.map(function (c) { return '<th data-col="' + c[0] + '">' + esc(c[1]) + '</th>'; }).join('') + '</tr>';
  document.querySelector('#table thead').innerHTML = head;
  function value(r, col) {
    if (col === 'group') return r.group;
    if (col === 'remaining') return remaining(r.cells);
    if (col === 'before') return remaining(r.before);
    if (col === 'change') return remaining(r.cells) - remaining(r.before);
    return r.cells[col];
  }
  function render() {
    var level = document.getElementById('level').value;
    var filter = document.getElementById('filter').value.trim().toLowerCase();
    var rows = data.rows.filter(function (r) { return r.level === level && (!filter || r.group.toLowerCase().indexOf(filter) >= 0); });
    rows.sort(function (a, b) {
      var x = value(a, sort.col), y = value(b, sort.col);
      if (x < y) return -sort.dir; if (x > y) return sort.dir; return a.group < b.group ? -1 : 1;
    });
    document.querySelector('#table tbody').innerHTML = rows.map(function (r) {
      var rem = remaining(r.cells);
      var cells = '<td>' + esc(r.group) + '</td><td>' + link(rem, listKeys(r.key, 'nofs:total').concat(listKeys(r.key, 'noio:total')), r.group + ': GFP_NOFS and GFP_NOIO sites') + '</td>';
      if (compare) {
        var d = rem - remaining(r.before);
        cells += '<td>' + remaining(r.before) + '</td><td class="' + (d > 0 ? 'delta-up' : d < 0 ? 'delta-down' : 'zero') + '">' + (d > 0 ? '+' : '') + d + '</td>';
      }
      cells += columns.map(function (c) { return '<td>' + link(r.cells[c[0]], listKeys(r.key, c[0]), r.group + ': ' + c[1]) + '</td>'; }).join('');
      return '<tr data-group="' + esc(r.group) + '">' + cells + '</tr>';
    }).join('');
    document.querySelectorAll('#table thead th').forEach(function (th) {
      th.setAttribute('aria-sort', th.dataset.col === sort.col ? (sort.dir > 0 ? 'ascending' : 'descending') : 'none');
    });
  }
  document.querySelector('#table thead').addEventListener('click', function (e) {
    var col = e.target.closest('th') && e.target.closest('th').dataset.col;
    if (!col) return;
    sort = { col: col, dir: sort.col === col ? -sort.dir : (col === 'group' ? 1 : -1) };
    render();
  });
  document.getElementById('level').addEventListener('change', render);
  document.getElementById('filter').addEventListener('input', render);

  // The list behind a number.
  function showList(keys, title) {
    var items = [];
    keys.forEach(function (k) { items = items.concat(data.lists[k] || []); });
    items.sort(function (a, b) { return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line; });
    document.getElementById('list-title').textContent = title + ' (' + items.length + ')';
    document.querySelector('#list-table tbody').innerHTML = items.map(function (i) {
      return '<tr><td>' + esc(i.file) + ':' + i.line + '</td><td>' + esc(i.function) + '</td><td>' + esc(i.what) + '</td><td>' + esc(i.detail) + '</td></tr>';
    }).join('');
    document.getElementById('list').scrollIntoView();
  }
  document.body.addEventListener('click', function (e) {
    var a = e.target.closest('a[data-keys]');
    if (!a) return;
    e.preventDefault();
    showList(a.dataset.keys.split(','), a.dataset.title);
  });

  // Charts: NOFS+NOIO sites per subsystem stacked by verdict; for a comparison, the change.
  var subs = data.rows.filter(function (r) { return r.level === 'subsystem' && remaining(r.cells) > 0; })
    .sort(function (a, b) { return remaining(b.cells) - remaining(a.cells); }).slice(0, 30);
  var chart = echarts.init(document.getElementById('chart'), null, { renderer: 'canvas' });
  chart.setOption({
    animation: false,
    title: { text: 'GFP_NOFS and GFP_NOIO sites per subsystem, by verdict' + (compare ? ' (' + data.trees[1].kernelVersion + ')' : ''), left: 'center' },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: { top: 28 },
    grid: { top: 70, bottom: 110, left: 50, right: 20 },
    xAxis: { type: 'category', data: subs.map(function (r) { return r.group; }), axisLabel: { rotate: 50, interval: 0 } },
    yAxis: { type: 'value' },
    color: ['#5470c6', '#91cc75', '#ee6666', '#bbbbbb'],
    series: data.verdicts.map(function (v) {
      return { name: v, type: 'bar', stack: 'sites', data: subs.map(function (r) { return r.cells['nofs:' + v] + r.cells['noio:' + v]; }) };
    })
  });
  chart.on('click', function (p) {
    var r = subs[p.dataIndex];
    showList([r.key + '|nofs:' + p.seriesName, r.key + '|noio:' + p.seriesName], r.group + ': ' + p.seriesName + ' NOFS/NOIO sites');
  });
  if (compare) {
    var moved = data.rows.filter(function (r) { return r.level === 'subsystem' && remaining(r.cells) !== remaining(r.before); })
      .sort(function (a, b) { return Math.abs(remaining(b.cells) - remaining(b.before)) - Math.abs(remaining(a.cells) - remaining(a.before)); }).slice(0, 30);
    var change = echarts.init(document.getElementById('change-chart'), null, { renderer: 'canvas' });
    change.setOption({
      animation: false,
      title: { text: 'GFP_NOFS/GFP_NOIO sites, ' + data.trees[0].kernelVersion + ' → ' + data.trees[1].kernelVersion + ' (largest changes)', left: 'center' },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      legend: { top: 28 },
      grid: { top: 70, bottom: 110, left: 50, right: 20 },
      xAxis: { type: 'category', data: moved.map(function (r) { return r.group; }), axisLabel: { rotate: 50, interval: 0 } },
      yAxis: { type: 'value' },
      series: [
        { name: data.trees[0].kernelVersion, type: 'bar', data: moved.map(function (r) { return remaining(r.before); }) },
        { name: data.trees[1].kernelVersion, type: 'bar', data: moved.map(function (r) { return remaining(r.cells); }) }
      ]
    });
  }
  window.addEventListener('resize', function () { chart.resize(); });
  render();
})();
`;

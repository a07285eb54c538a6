import { it } from 'vitest';
import { execSync } from 'node:child_process';
import { parseCExpr } from '../../src/model/c-expr.js';
import { builtinGfpTable, withAliases } from '../../src/model/gfp-tables.js';
import type { Expr } from '../../src/syntax/expr.js';
it('scan', () => {
  const out = execSync(`cd ~/.cache/kernels/linux-source-6.12 && grep -rhE '^#\\s*define\\s+[A-Z0-9_]+\\s+.*\\b__?GFP_' --include=*.h --include=*.c . | grep -v '\\\\$' || true`, { maxBuffer: 1 << 26 }).toString();
  const aliases = new Map<string, Expr>();
  let bad = 0;
  for (const line of out.split('\n')) {
    const m = /^#\s*define\s+([A-Z0-9_]+)\s+(.*)$/.exec(line.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, ''));
    if (!m) continue;
    const e = parseCExpr(m[2]);
    if ('error' in e) { bad++; if (bad < 15) console.log('PARSE', line, e.error); continue; }
    aliases.set(m[1], e);
  }
  const r = withAliases(builtinGfpTable({ major: 6, minor: 12 }), aliases);
  console.log('aliases', aliases.size, 'unresolved', r.unresolved.length, 'parse errors', bad);
  console.log(r.unresolved.slice(0, 60).join(' '));
});

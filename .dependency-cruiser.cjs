/**
 * gfplint's layer arrows, checked by `npm run arch` (part of `npm test`):
 *
 *   src/facts   leaf: the data the parser and the model share (Expr, Rng, facts types)
 *   src/model   leaf: kernel knowledge; imports src/facts only
 *   src/syntax  ← src/function ← src/program ← src/engine ← top layer
 *
 * The top layer is rules/ and every other folder under src/ (report, cli, docs, and any new one
 * such as an editor server or a census): it may import everything below it; nothing below may
 * import it. One exception: src/engine/registry.ts loads the rule list from rules/index.ts.
 * Imports are read from the TypeScript sources without building a program (tsPreCompilationDeps).
 */

/** The lower layers, bottom first; each may import only itself and the layers before it. */
const LOWER = ['facts', 'model', 'syntax', 'function', 'program', 'engine'];

/** `src/<a>/ or src/<b>/ …`, as a path pattern. */
const folders = (names) => `^src/(${names.join('|')})/`;

/** Paths of ours outside `allowed` (node built-ins and node_modules are not ours). */
const oursExcept = (allowed) => ({ path: '^(src|rules)/', pathNot: folders(allowed) });

const layerRules = LOWER.map((layer, i) => {
  // facts imports nothing of ours; model may use facts only (not the parser below it in the chain).
  const allowed = layer === 'facts' ? ['facts'] : layer === 'model' ? ['facts', 'model'] : LOWER.slice(0, i + 1);
  return {
    name: `layer-${layer}`,
    comment: `src/${layer}/ may import only ${allowed.map((a) => `src/${a}/`).join(', ')}`,
    severity: 'error',
    from: { path: `^src/${layer}/`, ...(layer === 'engine' ? { pathNot: '^src/engine/registry\\.ts$' } : {}) },
    to: oursExcept(allowed),
  };
});

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'layer-engine-registry',
      comment: 'the registry reaches the top layer only for the rule list, rules/index.ts',
      severity: 'error',
      from: { path: '^src/engine/registry\\.ts$' },
      to: { path: '^(src|rules)/', pathNot: [folders(LOWER), '^rules/index\\.ts$'] },
    },
    {
      name: 'no-circular',
      comment: 'import cycles between modules of ours (a cycle closed only by `import type` is erased at build time and allowed)',
      severity: 'error',
      from: { path: '^(src|rules)/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'an import that resolves to no file',
      severity: 'error',
      from: { path: '^(src|rules)/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    includeOnly: '^(src|rules)/',
    tsPreCompilationDeps: true,
    // Type-only imports are arrows too: a type the model needs belongs in src/facts or src/model.
    cache: false,
  },
};

#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (built by `npm run build`, run by `npm ci` via prepare).
// Kbuild's checker mode runs once per compiled file: it loads only what one file needs.
const argv = process.argv.slice(2);
const entry = argv.includes('--kbuild')
  ? import('../dist/src/cli/kbuild.js').then((m) => m.kbuildMain(argv))
  : import('../dist/src/cli/main.js').then((m) => m.main(argv));
entry.then(
  (code) => { process.exitCode = code; },
  (err) => { process.stderr.write(`gfplint: internal error: ${err && err.stack ? err.stack : err}\n`); process.exitCode = 2; },
);

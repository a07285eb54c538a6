/**
 * Where gfplint itself lives (the package root, found from this module's own location, so it works
 * from `src/` under vitest and from `dist/src/` when installed) and its version from package.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TOOL_NAME = 'gfplint';
/** Where users read about gfplint; SARIF `informationUri`. */
export const INFORMATION_URI = 'https://www.npmjs.com/package/gfplint';

/** Where a rule's documentation is read: its section of the README, which the package page shows. */
export function ruleDocsUri(id: string): string {
  return `${INFORMATION_URI}#${id}`;
}

let root: string | undefined;
let version: string | undefined;

/** The directory holding gfplint's package.json (and README.md, rules/, fixtures/ in a clone). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === TOOL_NAME) return (root = dir);
      } catch {
        // not ours; keep walking up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find gfplint package.json above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
}

export function toolVersion(): string {
  if (version) return version;
  const pj = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: string };
  return (version = pj.version ?? '0.0.0');
}

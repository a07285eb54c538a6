/**
 * Which files a run reads: explicit files as given, directories walked with globby for .c/.h,
 * honouring .gitignore inside git work trees, never following symbolic links (a link loop or a link out of the tree
 * is not read), skipping .git and build output.
 */
import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { globby } from 'globby';

export interface FoundFile { abs: string; display: string }

export class DiscoveryError extends Error {}

const IGNORE = ['**/.git/**', '**/node_modules/**', '**/.cache/**', '**/*.mod.c', '**/.tmp_*/**'];

/** Relative to cwd, forward slashes: the form every output prints. */
export function displayPath(abs: string, cwd: string): string {
  const rel = path.relative(cwd, abs);
  const p = rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : abs;
  return p.split(path.sep).join('/');
}

function insideGitWorkTree(dir: string): boolean {
  for (let d = dir, i = 0; i < 128; i++) {
    if (existsSync(path.join(d, '.git'))) return true;
    const up = path.dirname(d);
    if (up === d) return false;
    d = up;
  }
  return false;
}

export async function discoverFiles(paths: string[], cwd: string, skip: (file: string, reason: string) => void): Promise<FoundFile[]> {
  const out = new Map<string, FoundFile>();
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      throw new DiscoveryError(`no such file or directory: ${p}`);
    }
    if (st.isSymbolicLink()) {
      // A link named on the command line is the user's explicit choice: follow it once.
      try {
        st = statSync(abs);
      } catch {
        throw new DiscoveryError(`broken symbolic link: ${p}`);
      }
    }
    if (st.isFile()) {
      if (!/\.[ch]$/.test(abs)) skip(displayPath(abs, cwd), 'not a C source file (.c or .h)');
      else out.set(abs, { abs, display: displayPath(abs, cwd) });
      continue;
    }
    if (!st.isDirectory()) {
      skip(displayPath(abs, cwd), 'not a regular file or directory');
      continue;
    }
    const root = realpathSync(abs);
    // Like ripgrep, .gitignore counts only inside a git work tree: Debian's linux-source tarball
    // ships a top-level .gitignore of `/*` (its packaging rule) that would hide the whole tree.
    const inGit = insideGitWorkTree(root);
    const found = await globby(['**/*.c', '**/*.h'], {
      cwd: abs,
      absolute: true,
      gitignore: inGit,
      followSymbolicLinks: false,
      onlyFiles: true,
      dot: false,
      ignore: IGNORE,
      suppressErrors: true,
    });
    for (const f of found) {
      // globby reports links to files too; a link whose target leaves the scanned root is skipped.
      try {
        if (lstatSync(f).isSymbolicLink()) {
          const target = realpathSync(f);
          if (!target.startsWith(root + path.sep)) {
            skip(displayPath(f, cwd), 'symbolic link pointing outside the scanned tree (not followed)');
            continue;
          }
        }
      } catch {
        skip(displayPath(f, cwd), 'broken symbolic link');
        continue;
      }
      out.set(f, { abs: f, display: displayPath(f, cwd) });
    }
  }
  return [...out.values()].sort((a, b) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0));
}

/**
 * Which files a run reads: explicit files as given, directories walked with globby for .c/.h,
 * honouring .gitignore inside git work trees, never following symbolic links met inside a
 * directory (a link loop or a link out of the tree is not read; each that could matter is reported
 * once), skipping .git and build output.
 */
import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';

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

const C_FILE = /\.[ch]$/;

/** Why a symbolic link met in a scanned directory is not read, or undefined when it cannot matter. */
function linkReason(f: string, root: string): string | undefined {
  let st;
  try {
    st = statSync(f);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') return 'symbolic link loop (not followed)';
    return C_FILE.test(f) ? 'broken symbolic link (not followed)' : undefined;
  }
  if (!st.isDirectory() && !C_FILE.test(f)) return undefined;
  let target: string;
  try {
    target = realpathSync(f);
  } catch {
    return 'broken symbolic link (not followed)';
  }
  const what = st.isDirectory() ? 'symbolic link to a directory' : 'symbolic link';
  return target === root || target.startsWith(root + path.sep) ? `${what} (not followed)` : `${what} pointing outside the scanned tree (not followed)`;
}

export async function discoverFiles(paths: string[], cwd: string, skip: (file: string, reason: string) => void): Promise<FoundFile[]> {
  const out = new Map<string, FoundFile>();
  // What the walks met and do not read, reported once each (overlapping paths such as
  // `gfplint fs fs/ext4` meet the same link twice) and in name order (the walk's order varies).
  const reported = new Map<string, { display: string; reason: string }>();
  const report = (abs: string, reason: string): void => {
    if (!reported.has(abs)) reported.set(abs, { display: displayPath(abs, cwd), reason });
  };
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
    // Every entry, links included: a link is never followed (a loop, or a way out of the tree),
    // and one that could matter (named .c/.h, or to a directory) is reported once.
    // Loaded on first use: a run over given files (Kbuild's one file per process) never walks.
    const { globby } = await import('globby');
    const entries = await globby(['**/*'], {
      cwd: abs,
      absolute: true,
      gitignore: inGit,
      followSymbolicLinks: false,
      onlyFiles: false,
      objectMode: true,
      dot: false,
      ignore: IGNORE,
      suppressErrors: true,
    });
    for (const e of entries) {
      const f = e.path;
      if (e.dirent.isSymbolicLink()) {
        const why = linkReason(f, root);
        if (why) report(f, why);
        continue;
      }
      if (e.dirent.isDirectory() && /[\n\r\u2028\u2029]/.test(e.name)) {
        // The glob's `**` never enters such a directory: say so rather than lose its files quietly.
        report(f, 'directory name with a line break (not searched)');
        continue;
      }
      if (!e.dirent.isFile() || !C_FILE.test(f)) continue;
      // A name that is not valid UTF-8 arrives with U+FFFD in place of its bytes: no file has that name.
      if (f.includes('\ufffd') && !existsSync(f)) {
        report(f, 'file name is not valid UTF-8 (cannot be opened by name)');
        continue;
      }
      out.set(f, { abs: f, display: displayPath(f, cwd) });
    }
  }
  const byName = (a: { display: string }, b: { display: string }) => (a.display < b.display ? -1 : a.display > b.display ? 1 : 0);
  for (const r of [...reported.values()].sort(byName)) skip(r.display, r.reason);
  return [...out.values()].sort(byName);
}

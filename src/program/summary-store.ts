/**
 * The whole-tree summaries of the last scan of a kernel tree, kept in the cache directory so that
 * a later scan of one file or a patch still sees the rest of the tree: who calls its functions
 * and in which context, what their callees do, and what inference learnt (wrappers, providers).
 *
 * One file per tree root, under a directory named by gfplint's version, the model's version and
 * a digest of the analysis code (a changed analysis never meets summaries an older one wrote).
 * Paths inside are relative to the tree root, so the store serves any working directory. The
 * store is the union of what scans have seen: a scan of the tree's root or of a shard's worth of
 * files or more (or the first scan) replaces the entries of the files it scanned and keeps the others (dropping files
 * that no longer exist); a smaller scan reads it and leaves it alone. Written atomically;
 * an unreadable or malformed store is ignored, never trusted. Summaries of files that changed
 * since they were stored are stale until the next larger scan that includes them: they only
 * ever describe the rest of the tree, never the files being checked.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zc, gunzipSync, gzipSync } from 'node:zlib';
import type { Rng } from '../syntax/facts.js';
import { MODEL_VERSION } from '../model/index.js';
import { displayPath } from './discover.js';
import { Inferred, type FileSummaryRecord } from './program.js';

const STORE_FORMAT = 3;

let analysisDigestMemo: string | undefined;

/**
 * A digest of every module of gfplint's own code: src/ (analysis, model, program stage) and the
 * rules beside it, whose findings the per-shard memos remember.
 */
export function analysisDigest(): string {
  if (analysisDigestMemo) return analysisDigestMemo;
  const h = createHash('sha1');
  const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const ext = path.extname(fileURLToPath(import.meta.url));
  const walk = (dir: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return;
    }
    for (const n of names) {
      const p = path.join(dir, n);
      if (n.endsWith(ext) && !n.endsWith('.d.ts')) {
        h.update(path.relative(src, p));
        try {
          h.update(readFileSync(p));
        } catch {
          h.update('-');
        }
      } else if (!n.includes('.')) walk(p);
    }
  };
  walk(src);
  walk(path.resolve(src, '..', 'rules'));
  return (analysisDigestMemo = h.digest('hex').slice(0, 12));
}

export interface StoredSummaries {
  files: FileSummaryRecord[];
  inferred: Inferred;
}

interface StoreHeader {
  format: number;
  root: string;
  /** [key, entry, defining file] */
  inferred: Record<'wrappers' | 'providers' | 'closers' | 'lockWrappers', [string, unknown, string?][]>;
}

export function storePath(cacheDir: string, toolVersion: string, treeRoot: string): string {
  const clean = (s: string) => s.replace(/[^\w.-]/g, '_');
  const dir = `summaries-s${STORE_FORMAT}-t${clean(toolVersion)}-m${clean(String(MODEL_VERSION))}-a${analysisDigest()}`;
  return path.join(cacheDir, dir, `${createHash('sha1').update(path.resolve(treeRoot)).digest('hex').slice(0, 16)}.json.gz`);
}

/** Rewrites every path of a record (its file and its witnesses' files). */
function mapPaths(f: FileSummaryRecord, to: (p: string) => string): FileSummaryRecord {
  return {
    ...f,
    path: to(f.path),
    functions: f.functions.map((fn) => ({ ...fn, file: to(fn.file), ...(fn.sleeps ? { sleeps: { ...fn.sleeps, file: to(fn.sleeps.file) } } : {}) })),
  };
}

const isRng = (r: unknown): r is Rng => Array.isArray(r) && r.length === 4 && r.every((x) => typeof x === 'number');

function wellFormed(f: unknown): f is FileSummaryRecord {
  const x = f as FileSummaryRecord;
  return !!x && typeof x.path === 'string' && Array.isArray(x.exported) && Array.isArray(x.addressTaken) && Array.isArray(x.valueUses) &&
    (x.work === undefined || (Array.isArray(x.work.inits) && Array.isArray(x.work.queues) && Array.isArray(x.work.allocs))) &&
    Array.isArray(x.functions) && x.functions.every((fn) => typeof fn.name === 'string' && typeof fn.file === 'string' && isRng(fn.nameRng) && Array.isArray(fn.calls));
}

/**
 * The stored summaries of `treeRoot`, paths made relative to `cwd` like the scan's own, or
 * undefined when there is no usable store.
 */
export function loadSummaries(file: string, treeRoot: string, cwd: string, wanted: (displayPath: string) => boolean = () => true): StoredSummaries | undefined {
  return readStore(file, treeRoot, cwd, wanted, false);
}

/** Only what inference learnt, from the store's first line (without inflating the rest). */
export function loadStoredInferred(file: string, treeRoot: string, cwd: string): Inferred | undefined {
  return readStore(file, treeRoot, cwd, () => false, true)?.inferred;
}

function readStore(file: string, treeRoot: string, cwd: string, wanted: (displayPath: string) => boolean, headerOnly: boolean): StoredSummaries | undefined {
  let buf: Buffer;
  try {
    const raw = readFileSync(file);
    buf = headerOnly ? headerBytes(raw) : gunzipSync(raw);
  } catch {
    return undefined;
  }
  // One JSON document per line: the header, then one line per file (a whole tree as one JSON
  // string would pass V8's string length limit).
  // Run from the tree's root (the usual case) the stored paths are the display paths already.
  const atRoot = path.resolve(cwd) === path.resolve(treeRoot);
  const toDisplay = atRoot ? (p: string) => p : (p: string) => displayPath(path.join(treeRoot, p), path.resolve(cwd));
  // Lines of unwanted files are not parsed: their path is read from the line's start.
  let first = true;
  const lines = function* () {
    for (let at = 0; at < buf.length;) {
      let end = buf.indexOf(10, at);
      if (end < 0) end = buf.length;
      if (end > at) {
        if (!first) {
          const m = /^\{"path":("(?:[^"\\]|\\.)*")/.exec(buf.toString('utf8', at, Math.min(end, at + 4096)));
          if (!m) throw new Error('malformed summary line');
          if (!wanted(toDisplay(JSON.parse(m[1]) as string))) {
            at = end + 1;
            continue;
          }
        }
        first = false;
        yield JSON.parse(buf.toString('utf8', at, end)) as unknown;
      }
      at = end + 1;
    }
  };
  const fromRoot = (k: string) => k.replace(/^[^\0]+/, (p) => toDisplay(p));
  const inferred = new Inferred();
  const files: FileSummaryRecord[] = [];
  try {
    let header: StoreHeader | undefined;
    for (const x of lines()) {
      if (!header) {
        header = x as StoreHeader;
        if (!header || header.format !== STORE_FORMAT || header.root !== path.resolve(treeRoot)) return undefined;
        for (const k of ['wrappers', 'providers', 'closers', 'lockWrappers'] as const) {
          for (const [n, v, from] of header.inferred[k]) {
            (inferred[k] as Map<string, unknown>).set(fromRoot(n), v);
            if (typeof from === 'string') inferred.origin.set(fromRoot(n), toDisplay(from));
          }
        }
      } else if (wellFormed(x)) files.push(atRoot ? x : mapPaths(x, toDisplay));
      else return undefined;
    }
    if (!header) return undefined;
    if (headerOnly) return { files, inferred };
  } catch {
    return undefined;
  }
  return { files, inferred };
}

/**
 * The first line of the store (its header) without inflating the rest: a partial inflate of a
 * growing prefix until a newline appears (a whole tree's store inflates to hundreds of MB).
 */
function headerBytes(raw: Buffer): Buffer {
  for (let n = 1 << 16; ; n *= 4) {
    const part = gunzipSync(raw.subarray(0, Math.min(n, raw.length)), { finishFlush: zc.Z_SYNC_FLUSH });
    const nl = part.indexOf(10);
    if (nl >= 0) return part.subarray(0, nl + 1);
    if (n >= raw.length) return part;
  }
}

/**
 * Writes the union of this scan's summaries (`seen`: their paths) and the stored ones of files it
 * did not scan (still present on disk). `scanned` is read once, one record at a time. Best effort: a failure to write leaves the previous store in place.
 */
export function saveSummaries(
  file: string, treeRoot: string, cwd: string, scanned: Iterable<FileSummaryRecord>, seen: ReadonlySet<string>, inferred: Inferred, previous?: StoredSummaries,
): void {
  const root = path.resolve(treeRoot);
  const toRoot = (p: string) => path.relative(root, path.resolve(cwd, p)).split(path.sep).join('/');
  const kept = (previous?.files ?? []).filter((f) => !seen.has(f.path) && existsSync(path.resolve(cwd, f.path)));
  const entries = (m: Map<string, unknown>) => [...m].map(([k, v]) => {
    const from = merged.origin.get(k);
    return [k.replace(/^[^\0]+/, (p) => toRoot(p)), v, ...(from === undefined ? [] : [toRoot(from)])] as [string, unknown, string?];
  });
  const merged = new Inferred();
  merged.absorb(inferred);
  // Inferred entries go with their file: those of rescanned files are what this scan inferred
  // (a function that stopped being a wrapper stops being one), those of deleted files go.
  const keptPaths = new Set(kept.map((f) => f.path));
  if (previous) merged.absorb(previous.inferred, (file) => keptPaths.has(file));
  const header: StoreHeader = {
    format: STORE_FORMAT, root,
    inferred: { wrappers: entries(merged.wrappers), providers: entries(merged.providers), closers: entries(merged.closers), lockWrappers: entries(merged.lockWrappers) },
  };
  // gzip members of a few thousand lines each, concatenated (gunzip reads them as one stream).
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    const fd = openSync(tmp, 'w');
    try {
      let chunk: string[] = [JSON.stringify(header)];
      const flush = () => {
        writeSync(fd, gzipSync(chunk.join('\n') + '\n', { level: 1 }));
        chunk = [];
      };
      for (const f of scanned) {
        chunk.push(JSON.stringify(mapPaths(f, toRoot)));
        if (chunk.length >= 2000) flush();
      }
      for (const f of kept) {
        chunk.push(JSON.stringify(mapPaths(f, toRoot)));
        if (chunk.length >= 2000) flush();
      }
      flush();
    } finally {
      closeSync(fd);
    }
    // Unchanged content keeps the old file (and its stat, which keys remembered results).
    let same = false;
    try {
      same = readFileSync(tmp).equals(readFileSync(file));
    } catch {
      // no previous store
    }
    if (same) rmSync(tmp, { force: true });
    else renameSync(tmp, file);
  } catch {
    // read-only or full cache directory: the next partial scan simply knows less
    rmSync(tmp, { force: true });
  }
}

/**
 * The on-disk facts cache.
 *
 * Where: `--cache-dir DIR`, else `$XDG_CACHE_HOME/gfplint`, else `~/.cache/gfplint` (the user's
 * cache rather than the scanned tree's `.cache/`: a kernel tree is often read-only, shared or
 * cleaned with `git clean -dfx`, and one cache then serves every tree and worktree with the same
 * files). Under it, one namespace per (FACTS_VERSION, gfplint version, MODEL_VERSION, digest of
 * the extraction code): entries of another version are never read, the four most recently used
 * namespaces are kept, and `rm -rf ~/.cache/gfplint` is always safe.
 *
 * Two kinds of files:
 *
 * - Facts entries, one per distinct file content, keyed by the SHA-1 of the file's bytes:
 *   `objects/ab/cdef….f`. Content: a magic, the format, the key again, then the FileFacts JSON
 *   (gzip, level 1: ~5.5× smaller than the JSON, and checked by gzip's CRC-32 and length). A
 *   corrupt, truncated, foreign or unparsable entry reads as a miss and is rebuilt; nothing in it
 *   is trusted before the checks pass.
 * - Stat indexes, one per scanned set of paths and shard: `index/<sha1>.idx`, mapping each file's
 *   (path, size, mtime, ctime, inode) to its content hash and verdict (facts, trivial with its
 *   call-name hashes, or skipped with the reason). A warm run stats files instead of reading and
 *   hashing them. As git does for its index, an entry is trusted only if the file's mtime and
 *   ctime are older than the start of the run that wrote it by more than RACY_SLACK_MS: a file
 *   rewritten in the same timestamp tick as it was read is re-hashed, never taken as unchanged.
 *
 * Every write goes to a temporary file in the same directory and is renamed into place: a reader
 * (another run, concurrently) sees the old file or the complete new one, never a partial write;
 * two runs writing the same entry write the same bytes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { gunzipSync, gzipSync, constants as zc } from 'node:zlib';
import { MODEL_VERSION } from '../model/index.js';
import { FACTS_VERSION } from '../syntax/facts.js';

/** The layout of this directory (entry and index formats); part of the namespace. */
const LAYOUT = 1;
const MAGIC = Buffer.from('GFPF');
const FORMAT_GZIP = 1;
const HEADER = MAGIC.length + 1 + 20;

/** Timestamps closer than this to the indexing run's start are not trusted (coarse FS clocks, NFS). */
export const RACY_SLACK_MS = 2000;
/** Stat indexes kept (one per scanned set and shard); the least recently written beyond this are deleted. */
const MAX_INDEXES = 512;

export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && path.isAbsolute(xdg)) return path.join(xdg, 'gfplint');
  return path.join(os.homedir(), '.cache', 'gfplint');
}

let codeDigestMemo: string | undefined;

/**
 * A digest of the code that decides what facts a file has: every module of src/syntax (parser,
 * extractor, compaction, …), the per-file job, the reader and the pre-scan, and the tree-sitter
 * packages' versions. Part of the namespace, so that a changed extractor never meets facts that
 * an older one cached, even when nobody remembered to bump FACTS_VERSION (gfplint's version does
 * not change between commits). Costs one read of ~200 KB per run.
 */
export function codeDigest(): string {
  if (codeDigestMemo) return codeDigestMemo;
  const h = createHash('sha1');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const ext = path.extname(fileURLToPath(import.meta.url));
  const isCode = (n: string) => n.endsWith(ext) && !n.endsWith('.d.ts');
  const files = [
    ...readdirSync(path.join(here, '..', 'syntax')).filter(isCode).sort().map((n) => path.join(here, '..', 'syntax', n)),
    ...['source', 'facts-job', 'prescan'].map((n) => path.join(here, n + ext)),
  ];
  for (const f of files) {
    h.update(path.basename(f));
    try {
      h.update(readFileSync(f));
    } catch {
      h.update('-');
    }
  }
  const req = createRequire(import.meta.url);
  for (const pkg of ['tree-sitter', 'tree-sitter-c']) {
    try {
      h.update(`${pkg}@${(req(`${pkg}/package.json`) as { version?: string }).version}`);
    } catch {
      h.update(`${pkg}@?`);
    }
  }
  return (codeDigestMemo = h.digest('hex').slice(0, 12));
}

/**
 * The versioned directory inside the cache dir; `tool` is gfplint's version (package.json).
 * The last part is `codeDigest()`.
 */
export function cacheNamespace(tool: string): string {
  const clean = (s: string) => s.replace(/[^\w.-]/g, '_');
  return `facts-l${LAYOUT}-f${FACTS_VERSION}-t${clean(tool)}-m${clean(String(MODEL_VERSION))}-c${codeDigest()}`;
}

/** Namespaces kept side by side (another checkout, another version); older unused ones go. */
const KEEP_NAMESPACES = 4;
/** A namespace used this recently is never removed (a concurrent run may be using it). */
const NAMESPACE_GRACE_MS = 60 * 60 * 1000;

/**
 * Mark `root` (a namespace directory) as used now, and remove sibling namespaces beyond the
 * KEEP_NAMESPACES most recently used that have not been used for an hour. Best effort.
 */
export function touchNamespace(root: string): void {
  try {
    mkdirSync(root, { recursive: true });
    writeFileSync(path.join(root, 'last-used'), `${Date.now()}\n`);
  } catch {
    return;
  }
  const parent = path.dirname(root);
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith('facts-'));
  } catch {
    return;
  }
  if (names.length <= KEEP_NAMESPACES) return;
  const used = names
    .map((n) => {
      try {
        return { n, t: statSync(path.join(parent, n, 'last-used')).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  const now = Date.now();
  for (const { n, t } of used.slice(KEEP_NAMESPACES)) {
    if (now - t < NAMESPACE_GRACE_MS || path.join(parent, n) === root) continue;
    rmSync(path.join(parent, n), { recursive: true, force: true });
  }
}

let tmpCounter = 0;
function tmpName(target: string): string {
  return `${target}.${process.pid}-${threadId}-${++tmpCounter}-${Math.random().toString(36).slice(2, 8)}.tmp`;
}

/** Write `data` to `file` atomically (temp file in the same directory, then rename). */
export function writeAtomic(file: string, data: Buffer | string): void {
  const tmp = tmpName(file);
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw e;
  }
}

export class FactsCache {
  readonly root: string;
  private readonly made = new Set<string>();
  /** Set once a write failed (read-only or full disk): stop trying, keep analysing. */
  private writeFailed = false;

  /** `root` is the namespace directory: `path.join(cacheDir, cacheNamespace(version))`. */
  constructor(root: string) {
    this.root = root;
  }

  private entryPath(hash: string): string {
    return path.join(this.root, 'objects', hash.slice(0, 2), `${hash.slice(2)}.f`);
  }

  /** The FileFacts JSON cached for content `hash`, or undefined (absent, corrupt or foreign). */
  read(hash: string): string | undefined {
    let buf: Buffer;
    try {
      buf = readFileSync(this.entryPath(hash));
    } catch {
      return undefined;
    }
    if (buf.length <= HEADER || !buf.subarray(0, MAGIC.length).equals(MAGIC) || buf[MAGIC.length] !== FORMAT_GZIP) return undefined;
    if (buf.toString('hex', MAGIC.length + 1, HEADER) !== hash) return undefined;
    try {
      // gunzip checks the CRC-32 and the length: a damaged or truncated entry throws here.
      const json = gunzipSync(buf.subarray(HEADER)).toString('utf8');
      return json.startsWith('{') && json.endsWith('}') ? json : undefined;
    } catch {
      return undefined;
    }
  }

  write(hash: string, json: string): void {
    if (this.writeFailed || !/^[0-9a-f]{40}$/.test(hash)) return;
    const file = this.entryPath(hash);
    try {
      const dir = path.dirname(file);
      if (!this.made.has(dir)) {
        mkdirSync(dir, { recursive: true });
        this.made.add(dir);
      }
      const body = gzipSync(json, { level: 1, strategy: zc.Z_DEFAULT_STRATEGY });
      const head = Buffer.alloc(HEADER);
      MAGIC.copy(head, 0);
      head[MAGIC.length] = FORMAT_GZIP;
      head.write(hash, MAGIC.length + 1, 'hex');
      writeAtomic(file, Buffer.concat([head, body]));
    } catch {
      this.writeFailed = true;
    }
  }
}

export function contentHash(buf: Buffer): string {
  return createHash('sha1').update(buf).digest('hex');
}

/** What a previous run learnt about one file. */
export type IndexVerdict =
  | { kind: 'facts' }
  | { kind: 'trivial'; calls: number[] }
  | { kind: 'skip'; reason: string };

export interface IndexRecord {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  hash: string;
  verdict: IndexVerdict;
}

export interface StatLike { size: number; mtimeMs: number; ctimeMs: number; ino: number }

interface IndexFile {
  layout: number;
  /** Prescanner digest: "trivial" verdicts hold only for the same pre-scan. */
  prescan: string;
  /** Wall-clock start (ms) of the run that wrote it. */
  t0: number;
  /** [path, size, mtimeMs, ctimeMs, ino, hash, kind, reason | base64 call hashes] */
  files: [string, number, number, number, number, string, 'f' | 't' | 's', string?][];
}

function packCalls(calls: readonly number[]): string {
  const a = Uint32Array.from(calls);
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function unpackCalls(s: string): number[] {
  const b = Buffer.from(s, 'base64');
  const out: number[] = new Array(b.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = b.readUInt32LE(i * 4);
  return out;
}

/**
 * The stat index of one scanned set of paths. `scope` names the set (cwd and the paths given);
 * the index is rewritten whole at the end of each run.
 */
export class StatIndex {
  private readonly file: string;
  private readonly prev = new Map<string, IndexRecord>();
  private prevT0 = 0;

  constructor(private readonly cache: FactsCache, scope: string, private readonly prescan: string) {
    this.file = path.join(cache.root, 'index', `${createHash('sha1').update(scope).digest('hex')}.idx`);
  }

  load(): void {
    let data: IndexFile;
    try {
      data = JSON.parse(gunzipSync(readFileSync(this.file)).toString('utf8')) as IndexFile;
    } catch {
      return; // absent or damaged: every file is simply re-hashed
    }
    if (!data || data.layout !== LAYOUT || data.prescan !== this.prescan || !Array.isArray(data.files) || typeof data.t0 !== 'number') return;
    this.prevT0 = data.t0;
    for (const r of data.files) {
      if (!Array.isArray(r) || r.length < 7 || typeof r[0] !== 'string' || typeof r[5] !== 'string') continue;
      const [p, size, mtimeMs, ctimeMs, ino, hash, kind, extra] = r;
      let verdict: IndexVerdict;
      if (kind === 'f') verdict = { kind: 'facts' };
      else if (kind === 't' && typeof extra === 'string') verdict = { kind: 'trivial', calls: unpackCalls(extra) };
      else if (kind === 's' && typeof extra === 'string') verdict = { kind: 'skip', reason: extra };
      else continue;
      this.prev.set(p, { size, mtimeMs, ctimeMs, ino, hash, verdict });
    }
  }

  /** The previous verdict for `abs` if its stat is unchanged and not racily recent. */
  lookup(abs: string, st: StatLike): IndexRecord | undefined {
    const r = this.prev.get(abs);
    if (!r) return undefined;
    if (r.size !== st.size || r.mtimeMs !== st.mtimeMs || r.ctimeMs !== st.ctimeMs || r.ino !== st.ino) return undefined;
    const limit = this.prevT0 - RACY_SLACK_MS;
    if (!(st.mtimeMs < limit && st.ctimeMs < limit)) return undefined;
    return r;
  }

  /** Replace the index with `records` (the files of this run), written by a run started at `t0`. */
  save(t0: number, records: Map<string, IndexRecord>): void {
    const files: IndexFile['files'] = [];
    for (const [p, r] of records) {
      const v = r.verdict;
      const extra = v.kind === 'trivial' ? packCalls(v.calls) : v.kind === 'skip' ? v.reason : undefined;
      const row: IndexFile['files'][number] = [p, r.size, r.mtimeMs, r.ctimeMs, r.ino, r.hash, v.kind === 'facts' ? 'f' : v.kind === 'trivial' ? 't' : 's'];
      if (extra !== undefined) row.push(extra);
      files.push(row);
    }
    const data: IndexFile = { layout: LAYOUT, prescan: this.prescan, t0, files };
    try {
      const dir = path.dirname(this.file);
      mkdirSync(dir, { recursive: true });
      writeAtomic(this.file, gzipSync(JSON.stringify(data), { level: 1 }));
      pruneIndexes(dir);
    } catch {
      // a read-only cache still serves reads
    }
  }
}

function pruneIndexes(dir: string): void {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.idx'));
  } catch {
    return;
  }
  if (names.length <= MAX_INDEXES) return;
  const aged = names
    .map((n) => {
      try {
        return { n, t: statSync(path.join(dir, n)).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t || (a.n < b.n ? -1 : 1));
  for (const { n } of aged.slice(MAX_INDEXES)) rmSync(path.join(dir, n), { force: true });
}

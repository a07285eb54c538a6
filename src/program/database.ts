/**
 * The program database (issue 13, item 2): per kernel tree, a persistent, indexed store of every
 * function's summary and of the whole-program results, so that a check of a few files reads only
 * the rows its functions, their callers and their callees need.
 *
 * SQLite through better-sqlite3: one file, transactions, WAL (one writer, readers unaffected, a
 * crashed writer leaves the last committed state), B-tree indexes for "who calls NAME" and "the
 * definitions of NAME", and a synchronous API that fits a pipeline which asks a few thousand
 * small questions. LMDB would serve plain key lookups as well, but the callers-of index, the
 * partial rewrite of one file's rows and the integrity check would all be code of our own.
 *
 * Tables (paths relative to the tree root, so the database serves any working directory):
 * - files(path, digest, facts, work): per analysed file, the digest of its summary record and its
 *   file-level facts (exported names, address-taken names, names used as values, work facts);
 * - functions(id, file, name, line, local, summary): one row per function, its summary as JSON;
 * - calls(callee, caller): the callee names each function calls (the callers-of index);
 * - refs(name, file): names a file's file-level facts mention (ops tables, EXPORT_SYMBOL, …);
 * - work_keys(key, file): work and queue keys a file's work facts mention;
 * - inferred(kind, key, value, origin): allocator wrappers, scope providers and closers, lock
 *   wrappers, each with its defining file; aliases(name, expr, origin): GFP macro aliases;
 * - contexts(file, name, line, ctx), special(key, summary), shadows(key), global_count(name, n):
 *   the whole-program answers rules get (`calledIn`, `summaryOf`, `reclaim` in meta), valid while meta.results = 1.
 *
 * A database that cannot be opened, fails `PRAGMA quick_check`, or has another schema version is
 * deleted and rebuilt, never trusted. `--no-cache` never opens it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Expr } from '../syntax/expr.js';
import { MODEL_VERSION } from '../model/index.js';
import { displayPath } from './discover.js';
import type { ViewData } from './global-view.js';
import { reclaimEntry, RECLAIM_ENTRIES } from '../model/reclaim.js';
import type { CalledContext, FunctionSummary, ProgramView, ReclaimReach } from './program-view.js';
import { Inferred, type FileSummaryRecord, type FnSummaryRecord } from './program.js';
import { fileURLToPath } from 'node:url';

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

/** Bumped whenever a table changes shape: an older database is rebuilt. */
const SCHEMA_VERSION = 1;
/** Databases smaller than this get a full `PRAGMA quick_check` when opened. */
const QUICK_CHECK_BYTES = 64 * 1048576;
const KINDS = ['wrappers', 'providers', 'closers', 'lockWrappers'] as const;

const SCHEMA = `
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE files(path TEXT PRIMARY KEY, digest TEXT NOT NULL, facts TEXT NOT NULL, work TEXT);
CREATE TABLE functions(id INTEGER PRIMARY KEY, file TEXT NOT NULL, name TEXT NOT NULL, line INTEGER NOT NULL, local INTEGER NOT NULL, summary TEXT NOT NULL);
CREATE INDEX functions_name ON functions(name);
CREATE INDEX functions_file ON functions(file);
CREATE TABLE calls(callee TEXT NOT NULL, caller INTEGER NOT NULL);
CREATE INDEX calls_callee ON calls(callee);
CREATE INDEX calls_caller ON calls(caller);
CREATE TABLE refs(name TEXT NOT NULL, file TEXT NOT NULL);
CREATE INDEX refs_name ON refs(name);
CREATE INDEX refs_file ON refs(file);
CREATE TABLE work_keys(key TEXT NOT NULL, file TEXT NOT NULL);
CREATE INDEX work_keys_key ON work_keys(key);
CREATE INDEX work_keys_file ON work_keys(file);
CREATE TABLE inferred(kind TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, origin TEXT, PRIMARY KEY(kind, key));
CREATE INDEX inferred_origin ON inferred(origin);
CREATE TABLE aliases(name TEXT PRIMARY KEY, expr TEXT NOT NULL, origin TEXT);
CREATE TABLE contexts(file TEXT NOT NULL, name TEXT NOT NULL, line INTEGER NOT NULL, ctx TEXT NOT NULL, PRIMARY KEY(file, name, line));
CREATE TABLE special(key TEXT PRIMARY KEY, summary TEXT NOT NULL);
CREATE TABLE shadows(key TEXT PRIMARY KEY);
CREATE TABLE global_count(name TEXT PRIMARY KEY, n INTEGER NOT NULL);
`;

/** The database of `treeRoot` in `cacheDir`, in a directory named by gfplint's and the analysis's versions. */
export function databasePath(cacheDir: string, toolVersion: string, treeRoot: string): string {
  const clean = (s: string) => s.replace(/[^\w.-]/g, '_');
  const dir = `program-d${SCHEMA_VERSION}-t${clean(toolVersion)}-m${clean(String(MODEL_VERSION))}-a${analysisDigest()}`;
  return path.join(cacheDir, dir, `${createHash('sha1').update(path.resolve(treeRoot)).digest('hex').slice(0, 16)}.sqlite`);
}

/** How many rows of each table a run read (the report's "what a one-file check reads"). */
export interface DbReads {
  files: number;
  functions: number;
  calls: number;
  inferred: number;
  aliases: number;
  contexts: number;
  special: number;
}

/** Where paths meet: the database's root-relative form and the run's display form (relative to cwd). */
class Paths {
  readonly identity: boolean;
  constructor(private readonly root: string, private readonly cwd: string) {
    this.identity = path.resolve(cwd) === path.resolve(root);
  }
  toRoot = (p: string): string => (this.identity ? p : path.relative(this.root, path.resolve(this.cwd, p)).split(path.sep).join('/'));
  toDisplay = (p: string): string => (this.identity ? p : displayPath(path.join(this.root, p), path.resolve(this.cwd)));
  /** JSON with every `file` field (witnesses, summaries) in root-relative form. */
  stringify(x: unknown): string {
    return this.identity ? JSON.stringify(x) : JSON.stringify(x, (k, v: unknown) => (k === 'file' && typeof v === 'string' ? this.toRoot(v) : v));
  }
  parse<T>(s: string): T {
    return (this.identity ? JSON.parse(s) : JSON.parse(s, (k, v: unknown) => (k === 'file' && typeof v === 'string' ? this.toDisplay(v) : v))) as T;
  }
  /** An inferred key `file\0name` (or `\0name`). */
  keyToRoot = (k: string): string => k.replace(/^[^\0]+/, (p) => this.toRoot(p));
  keyToDisplay = (k: string): string => k.replace(/^[^\0]+/, (p) => this.toDisplay(p));
}

interface FileFactsRow {
  exported: string[];
  addressTaken: FileSummaryRecord['addressTaken'];
  valueUses: string[];
}

/** The digest of a summary record in root-relative form: equal digests, same interprocedural facts. */
function recordDigest(json: string): string {
  return createHash('sha1').update(json).digest('hex');
}

function isLocal(fn: { isStatic: boolean; file: string }): boolean {
  return fn.isStatic && !fn.file.endsWith('.h');
}

export class ProgramDb {
  private readonly db: Database.Database;
  readonly paths: Paths;
  readonly reads: DbReads = { files: 0, functions: 0, calls: 0, inferred: 0, aliases: 0, contexts: 0, special: 0 };

  private constructor(db: Database.Database, root: string, cwd: string, private readonly file: string) {
    this.db = db;
    this.paths = new Paths(root, cwd);
  }

  /**
   * Opens (creating when absent) the database at `file` for `treeRoot`; a damaged, foreign or
   * older one is deleted and rebuilt. Undefined when the cache directory cannot hold one.
   */
  static open(file: string, treeRoot: string, cwd: string): ProgramDb | undefined {
    const root = path.resolve(treeRoot);
    for (let attempt = 0; attempt < 2; attempt++) {
      let db: Database.Database | undefined;
      try {
        mkdirSync(path.dirname(file), { recursive: true });
        db = new Database(file, { timeout: 10_000 });
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version === 0) {
          db.exec('BEGIN IMMEDIATE');
          // Another process may have created it between our read and the lock.
          if ((db.pragma('user_version', { simple: true }) as number) === 0) {
            db.exec(SCHEMA);
            db.prepare('INSERT INTO meta VALUES (?, ?)').run('root', root);
            db.prepare('INSERT INTO meta VALUES (?, ?)').run('results', '0');
            db.prepare('INSERT INTO meta VALUES (?, ?)').run('generation', '0');
            db.pragma(`user_version = ${SCHEMA_VERSION}`);
          }
          db.exec('COMMIT');
        } else if (version !== SCHEMA_VERSION) throw new Error('schema version');
        // A whole check reads every page: done while the file is small; past that, SQLite's own
        // checks of each page it reads catch damage, and the caller discards the database then.
        if (statSync(file).size < QUICK_CHECK_BYTES && db.pragma('quick_check', { simple: true }) !== 'ok') throw new Error('quick_check');
        const stored = (db.prepare("SELECT value FROM meta WHERE key = 'root'").get() as { value: string } | undefined)?.value;
        if (stored !== root) throw new Error('another tree');
        return new ProgramDb(db, root, cwd, file);
      } catch {
        try {
          db?.close();
        } catch {
          // already unusable
        }
        if (attempt === 1) return undefined;
        // Never trusted: deleted with its journal, then built anew.
        for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
      }
    }
    return undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** A database found damaged while in use: closed and deleted, to be rebuilt by a later run. */
  discard(): void {
    try {
      this.close();
    } catch {
      // already unusable
    }
    for (const f of [this.file, `${this.file}-wal`, `${this.file}-shm`]) rmSync(f, { force: true });
  }

  /** Changes on every write: part of the keys of remembered results. */
  generation(): string {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'generation'").get() as { value: string }).value;
  }

  /** Whether the database holds any file (a tree scanned before). */
  populated(): boolean {
    return this.db.prepare('SELECT 1 FROM files LIMIT 1').get() !== undefined;
  }

  /** What inference learnt over the tree, paths in display form. */
  inferred(): Inferred {
    const out = new Inferred();
    const rows = this.db.prepare('SELECT kind, key, value, origin FROM inferred').all() as { kind: typeof KINDS[number]; key: string; value: string; origin: string | null }[];
    this.reads.inferred += rows.length;
    for (const r of rows) {
      if (!KINDS.includes(r.kind)) continue;
      const k = this.paths.keyToDisplay(r.key);
      (out[r.kind] as Map<string, unknown>).set(k, this.paths.parse(r.value));
      if (r.origin !== null) out.origin.set(k, this.paths.toDisplay(r.origin));
    }
    return out;
  }

  /** GFP aliases defined by macro anywhere in the tree, with the file defining each. */
  aliases(): { name: string; expr: Expr; origin: string }[] {
    const rows = this.db.prepare('SELECT name, expr, origin FROM aliases ORDER BY rowid').all() as { name: string; expr: string; origin: string }[];
    this.reads.aliases += rows.length;
    return rows.map((r) => ({ name: r.name, expr: JSON.parse(r.expr) as Expr, origin: this.paths.toDisplay(r.origin) }));
  }

  /**
   * Whether the stored whole-program answers hold for a check of `records` (display paths): they
   * were computed with these very summaries, and nothing written since made them stale.
   */
  answersHold(records: readonly FileSummaryRecord[], scanned: ReadonlySet<string>): boolean {
    if (!this.resultsValid()) return false;
    const get = this.db.prepare('SELECT digest FROM files WHERE path = ?');
    const withRecord = new Set<string>();
    for (const r of records) {
      const p = this.paths.toRoot(r.path);
      withRecord.add(p);
      const row = get.get(p) as { digest: string } | undefined;
      this.reads.files++;
      if (!row || row.digest !== recordDigest(this.recordJson(r))) return false;
    }
    // A scanned file without a record must have none stored either.
    for (const s of scanned) {
      const p = this.paths.toRoot(s);
      if (!withRecord.has(p) && get.get(p) !== undefined) return false;
    }
    // What a file infers is not compared: inference over one file, with the rest of the tree
    // known from the start, can be more precise than over a batch (program.ts keeps an entry
    // inferred from a first, less informed analysis), and the stored answers are the whole run's.
    return true;
  }

  /** Of the `scanned` files (display paths), those whose summary differs from the stored one, or that have none, or lost theirs. */
  changedFiles(records: readonly FileSummaryRecord[], scanned: ReadonlySet<string>): Set<string> {
    const get = this.db.prepare('SELECT digest FROM files WHERE path = ?');
    const out = new Set<string>();
    const withRecord = new Set<string>();
    for (const r of records) {
      withRecord.add(r.path);
      const row = get.get(this.paths.toRoot(r.path)) as { digest: string } | undefined;
      if (row?.digest !== recordDigest(this.recordJson(r))) out.add(r.path);
    }
    for (const s of scanned) if (!withRecord.has(s) && get.get(this.paths.toRoot(s)) !== undefined) out.add(s);
    return out;
  }

  /** Of `names`, those some function outside the `scanned` files (display paths) defines. */
  definedNames(names: Iterable<string>, scanned: ReadonlySet<string>): Set<string> {
    const q = this.db.prepare('SELECT file FROM functions WHERE name = ?');
    const scannedRoot = new Set([...scanned].map(this.paths.toRoot));
    const out = new Set<string>();
    for (const n of new Set(names)) if ((q.all(n) as { file: string }[]).some((r) => !scannedRoot.has(r.file))) out.add(n);
    return out;
  }

  /** Rules' interface over the stored answers: a few indexed lookups per function checked. */
  storedView(): ProgramView {
    const ctx = this.db.prepare('SELECT ctx FROM contexts WHERE file = ? AND name = ? AND line = ?');
    const special = this.db.prepare('SELECT summary FROM special WHERE key = ?');
    const shadow = this.db.prepare('SELECT 1 FROM shadows WHERE key = ?');
    const count = this.db.prepare('SELECT n FROM global_count WHERE name = ?');
    // What reclaim reaches is one answer for the whole tree (verdicts.ts): read once, when asked.
    let reach: { value: ReclaimReach | undefined } | undefined;
    const reclaim = (): ReclaimReach | undefined => {
      if (!reach) {
        const row = this.db.prepare("SELECT value FROM meta WHERE key = 'reclaim'").get() as { value: string } | undefined;
        reach = { value: row ? this.paths.parse<ReclaimReach>(row.value) : undefined };
      }
      return reach.value;
    };
    const calledAt = (file: string, name: string, line: number): CalledContext | undefined => {
      const row = ctx.get(this.paths.toRoot(file), name, line) as { ctx: string } | undefined;
      this.reads.contexts++;
      return row ? this.paths.parse<CalledContext>(row.ctx) : undefined;
    };
    const specialOf = (key: string): FunctionSummary | undefined => {
      const row = special.get(key) as { summary: string } | undefined;
      this.reads.special++;
      return row ? this.paths.parse<FunctionSummary>(row.summary) : undefined;
    };
    return {
      calledIn: (fn) => calledAt(fn.file, fn.name, fn.facts.nameRng[0]),
      calledAt,
      reclaim,
      summaryOf: (callee, fromFile) => {
        const local = `${this.paths.toRoot(fromFile)}\0${callee}`;
        const own = specialOf(local);
        if (own) return own;
        if (shadow.get(local) !== undefined) return undefined;
        if ((count.get(callee) as { n: number } | undefined)?.n !== 1) return undefined;
        return specialOf(`\0${callee}`);
      },
    };
  }

  /**
   * The stored summaries a check of `focus` (display paths; their own records come from the
   * check) depends on: the callers of their functions, transitively (calling contexts), their
   * callees, transitively, with every definition of each callee name (may-sleep summaries), and
   * the file-level facts that mention any of those functions (ops tables, exports, work), and the
   * reclaim entry points of the tree with their callees (what reclaim reaches). As
   * records for buildGlobalView() with `focus`: the rest of a tree takes no part.
   */
  closure(focus: readonly FileSummaryRecord[]): FileSummaryRecord[] {
    const focusRoot = new Set(focus.map((r) => this.paths.toRoot(r.path)));
    const fnById = new Map<number, FnSummaryRecord>();
    const fileOf = new Map<number, string>();
    const byName = this.db.prepare('SELECT id, file, local, summary FROM functions WHERE name = ?');
    const callersOf = this.db.prepare('SELECT f.id, f.file, f.local, f.summary FROM calls c JOIN functions f ON f.id = c.caller WHERE c.callee = ?');
    const load = (row: { id: number; file: string; summary: string }): FnSummaryRecord | undefined => {
      if (focusRoot.has(row.file)) return undefined; // the check's own records replace these
      let fn = fnById.get(row.id);
      if (!fn) {
        fn = JSON.parse(row.summary) as FnSummaryRecord;
        fnById.set(row.id, fn);
        fileOf.set(row.id, row.file);
        this.reads.functions++;
      }
      return fn;
    };
    type Row = { id: number; file: string; local: number; summary: string };
    const definitions = new Map<string, Row[]>();
    const defsOf = (name: string) => {
      let d = definitions.get(name);
      if (!d) {
        d = byName.all(name) as Row[];
        definitions.set(name, d);
      }
      return d;
    };
    /** The definitions a call of `name` from `file` resolves to, as buildGraph() resolves it. */
    const resolveFrom = (name: string, file: string): Row[] => {
      const defs = defsOf(name);
      const own = defs.filter((d) => d.local && d.file === file);
      return own.length ? own : defs.filter((d) => !d.local);
    };
    // Functions are named by (file, name) in root form; the focus's own are in `focus`.
    type Fn = { file: string; fn: FnSummaryRecord };
    const focusFns: Fn[] = focus.flatMap((r) => r.functions.map((fn) => ({ file: this.paths.toRoot(r.path), fn })));
    // Up: every function calling the name of one that takes part (a superset of its callers:
    // the caller file's own static of that name is loaded too, so that calls resolve as over the
    // whole tree), transitively.
    const upSeen = new Set<string>();
    const up: Fn[] = [...focusFns];
    while (up.length) {
      const { file, fn } = up.pop()!;
      const key = isLocal(fn) ? `${file}\0${fn.name}` : `\0${fn.name}`;
      if (upSeen.has(key)) continue;
      upSeen.add(key);
      const rows = callersOf.all(fn.name) as Row[];
      this.reads.calls += rows.length;
      for (const row of rows) {
        if (isLocal(fn) && row.file !== file) continue;
        const caller = load(row);
        if (caller) up.push({ file: row.file, fn: caller });
        for (const d of resolveFrom(fn.name, row.file)) load(d);
      }
    }
    // What reclaim reaches is a question about the whole tree (verdicts.ts): the functions stored
    // in a reclaim entry slot (src/model/reclaim.ts), with the files storing them, and their
    // callees below.
    const reclaimFiles = new Set<string>();
    const reclaimSeeds: Fn[] = [];
    const slotted = this.db.prepare('SELECT path, facts FROM files WHERE instr(facts, ?) > 0');
    for (const slot of new Set(RECLAIM_ENTRIES.map((e) => e.slot))) {
      for (const row of slotted.all(`"slot":"${slot}"`) as { path: string; facts: string }[]) {
        if (focusRoot.has(row.path)) continue;
        const facts = JSON.parse(row.facts) as FileFactsRow;
        this.reads.files++;
        for (const a of facts.addressTaken) {
          if (!reclaimEntry(a.structType, a.slot)) continue;
          reclaimFiles.add(row.path);
          for (const d of resolveFrom(a.name, row.path)) {
            const fn = load(d);
            if (fn) reclaimSeeds.push({ file: d.file, fn });
          }
        }
      }
    }
    // Down: every definition a call may resolve to, transitively.
    const downSeen = new Set<string>();
    const down: Fn[] = [...focusFns, ...reclaimSeeds];
    while (down.length) {
      const { file, fn } = down.pop()!;
      for (const c of fn.calls) {
        const k = `${file}\0${c.callee}`;
        if (downSeen.has(k)) continue;
        downSeen.add(k);
        for (const d of resolveFrom(c.callee, file)) {
          const callee = load(d);
          if (callee) down.push({ file: d.file, fn: callee });
        }
      }
    }
    // File-level facts: of the files holding these functions, and of files mentioning their names.
    const files = new Set<string>([...fileOf.values(), ...reclaimFiles]);
    const refs = this.db.prepare('SELECT file FROM refs WHERE name = ?');
    const names = new Set<string>([...fnById.values()].map((f) => f.name));
    for (const n of names) for (const r of refs.all(n) as { file: string }[]) if (!focusRoot.has(r.file)) files.add(r.file);
    const fileRow = this.db.prepare('SELECT facts, work FROM files WHERE path = ?');
    const rows = new Map<string, { facts: FileFactsRow; work?: FileSummaryRecord['work'] }>();
    const readFile = (p: string) => {
      if (rows.has(p) || focusRoot.has(p)) return;
      const row = fileRow.get(p) as { facts: string; work: string | null } | undefined;
      this.reads.files++;
      if (row) rows.set(p, { facts: JSON.parse(row.facts) as FileFactsRow, ...(row.work ? { work: JSON.parse(row.work) as FileSummaryRecord['work'] } : {}) });
    };
    for (const p of files) readFile(p);
    // Work: where the registered keys are queued, and how those queues were allocated.
    const byKey = this.db.prepare('SELECT file FROM work_keys WHERE key = ?');
    const wanted = new Set<string>();
    for (const r of [...rows.values(), ...focus]) for (const i of r.work?.inits ?? []) wanted.add(i.key);
    for (const pass of [0, 1]) {
      for (const k of wanted) for (const r of byKey.all(k) as { file: string }[]) readFile(r.file);
      if (pass === 1) break;
      const queues = new Set<string>();
      for (const r of [...rows.values(), ...focus]) for (const q of r.work?.queues ?? []) if (q.keys.some((k) => wanted.has(k))) queues.add(q.queue);
      wanted.clear();
      for (const q of queues) wanted.add(q);
    }
    const byFile = new Map<string, FnSummaryRecord[]>();
    for (const [id, fn] of fnById) {
      const f = fileOf.get(id)!;
      const l = byFile.get(f);
      if (l) l.push(fn);
      else byFile.set(f, [fn]);
    }
    const out: FileSummaryRecord[] = [];
    for (const p of [...rows.keys()].sort()) {
      const r = rows.get(p)!;
      const fns = (byFile.get(p) ?? []).sort((a, b) => a.nameRng[0] - b.nameRng[0] || a.nameRng[1] - b.nameRng[1]);
      const rec: FileSummaryRecord = { path: p, ...r.facts, ...(r.work ? { work: r.work } : {}), functions: fns };
      out.push(this.paths.identity ? rec : { ...this.paths.parse<FileSummaryRecord>(JSON.stringify(rec)), path: this.paths.toDisplay(p) });
    }
    return out;
  }

  /** A record in root-relative form, as stored and digested. */
  private recordJson(r: FileSummaryRecord): string {
    return this.paths.stringify({ ...r, path: this.paths.toRoot(r.path) });
  }

  /**
   * Replaces the rows of the files in `records` (display paths) and of the files in `gone`, and
   * the inferred entries and aliases those files define. `whole`: the records are every file of
   * the tree (a whole-tree run), so every other row goes. Returns whether any summary changed.
   */
  writeFiles(records: Iterable<FileSummaryRecord>, inferred: Inferred, aliases: ReadonlyMap<string, { expr: Expr; origin: string }>, opts: { whole: boolean; scanned: ReadonlySet<string> }): boolean {
    const P = this.paths;
    const st = {
      digest: this.db.prepare('SELECT digest FROM files WHERE path = ?'),
      delFile: this.db.prepare('DELETE FROM files WHERE path = ?'),
      delFns: this.db.prepare('DELETE FROM calls WHERE caller IN (SELECT id FROM functions WHERE file = ?)'),
      delFns2: this.db.prepare('DELETE FROM functions WHERE file = ?'),
      delRefs: this.db.prepare('DELETE FROM refs WHERE file = ?'),
      delWork: this.db.prepare('DELETE FROM work_keys WHERE file = ?'),
      delInferred: this.db.prepare('DELETE FROM inferred WHERE origin = ?'),
      delAliases: this.db.prepare('DELETE FROM aliases WHERE origin = ?'),
      file: this.db.prepare('INSERT INTO files VALUES (?, ?, ?, ?)'),
      fn: this.db.prepare('INSERT INTO functions(file, name, line, local, summary) VALUES (?, ?, ?, ?, ?)'),
      call: this.db.prepare('INSERT INTO calls VALUES (?, ?)'),
      ref: this.db.prepare('INSERT INTO refs VALUES (?, ?)'),
      work: this.db.prepare('INSERT INTO work_keys VALUES (?, ?)'),
      inferred: this.db.prepare('INSERT OR REPLACE INTO inferred VALUES (?, ?, ?, ?)'),
      alias: this.db.prepare('INSERT OR IGNORE INTO aliases VALUES (?, ?, ?)'),
    };
    let changed = false;
    const scannedRoot = new Set([...opts.scanned].map(P.toRoot));
    const dropFile = (p: string) => {
      st.delFns.run(p);
      st.delFns2.run(p);
      st.delFile.run(p);
      st.delRefs.run(p);
      st.delWork.run(p);
    };
    /** The inferred entries and aliases a write replaces (all of them for a whole tree), as sorted text. */
    const owned = (): string => {
      const rows = [
        ...(this.db.prepare('SELECT kind, key, value, origin FROM inferred').all() as { kind: string; key: string; value: string; origin: string | null }[])
          .filter((r) => opts.whole || (r.origin !== null && scannedRoot.has(r.origin))).map((r) => `i\0${r.kind}\0${r.key}\0${r.value}\0${r.origin}`),
        ...(this.db.prepare('SELECT name, expr, origin FROM aliases').all() as { name: string; expr: string; origin: string }[])
          .filter((r) => opts.whole || scannedRoot.has(r.origin)).map((r) => `a\0${r.name}\0${r.expr}\0${r.origin}`),
      ];
      return rows.sort().join('\n');
    };
    // Rows are rewritten only for files whose summary changed (a whole-tree run after one edit
    // touches one file's rows); files gone from the tree, or from the scanned set, lose theirs.
    const tx = this.db.transaction(() => {
      const before = owned();
      if (opts.whole) {
        this.db.exec('DELETE FROM inferred');
        this.db.exec('DELETE FROM aliases');
      } else {
        for (const p of scannedRoot) {
          st.delInferred.run(p);
          st.delAliases.run(p);
        }
      }
      const written = new Set<string>();
      for (const r of records) {
        const p = P.toRoot(r.path);
        const json = this.recordJson(r);
        const digest = recordDigest(json);
        written.add(p);
        const old = st.digest.get(p) as { digest: string } | undefined;
        if (old?.digest === digest) continue;
        changed = true;
        if (old) dropFile(p);
        const rec = JSON.parse(json) as FileSummaryRecord;
        st.file.run(p, digest, JSON.stringify({ exported: rec.exported, addressTaken: rec.addressTaken, valueUses: rec.valueUses }), rec.work ? JSON.stringify(rec.work) : null);
        for (const fn of rec.functions) {
          const id = st.fn.run(p, fn.name, fn.nameRng[0], isLocal(fn) ? 1 : 0, JSON.stringify(fn)).lastInsertRowid;
          for (const callee of new Set(fn.calls.map((c) => c.callee))) st.call.run(callee, id);
        }
        const mentioned = new Set([...rec.exported, ...rec.addressTaken.map((a) => a.name), ...rec.valueUses, ...(rec.work?.inits.map((i) => i.fn) ?? [])]);
        for (const n of mentioned) st.ref.run(n, p);
        const keys = new Set([...(rec.work?.queues.flatMap((q) => q.keys) ?? []), ...(rec.work?.allocs.map((a) => a.key) ?? [])]);
        for (const k of keys) st.work.run(k, p);
      }
      // A scanned file with no record (no functions, nothing exported) has no rows either.
      const stale = opts.whole ? (this.db.prepare('SELECT path FROM files').all() as { path: string }[]).map((r) => r.path) : [...scannedRoot];
      for (const p of stale) {
        if (written.has(p) || !st.digest.get(p)) continue;
        changed = true;
        dropFile(p);
      }
      // Inferred entries go with their file: those of scanned files are what this run inferred.
      for (const kind of KINDS) {
        for (const [k, v] of inferred[kind] as Map<string, unknown>) {
          const origin = inferred.origin.get(k);
          if (!opts.whole && (origin === undefined || !opts.scanned.has(origin))) continue;
          st.inferred.run(kind, P.keyToRoot(k), P.stringify(v), origin === undefined ? null : P.toRoot(origin));
        }
      }
      for (const [name, a] of aliases) {
        if (!opts.whole && !opts.scanned.has(a.origin)) continue;
        st.alias.run(name, JSON.stringify(a.expr), P.toRoot(a.origin));
      }
      if (owned() !== before) changed = true;
      if (changed) {
        this.db.prepare("UPDATE meta SET value = '0' WHERE key = 'results'").run();
        this.db.prepare("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'").run();
      }
    });
    tx.immediate();
    return changed;
  }

  /** Whether the stored whole-program answers are those of the stored summaries. */
  resultsValid(): boolean {
    return (this.db.prepare("SELECT value FROM meta WHERE key = 'results'").get() as { value: string }).value === '1';
  }

  /** Stores the whole-program answers of a run over every file of the tree. */
  writeResults(view: ViewData): void {
    const P = this.paths;
    const tx = this.db.transaction(() => {
      for (const t of ['contexts', 'special', 'shadows', 'global_count']) this.db.exec(`DELETE FROM ${t}`);
      const ctx = this.db.prepare('INSERT OR REPLACE INTO contexts VALUES (?, ?, ?, ?)');
      for (const [key, c] of view.called) {
        const [file, name, line] = key.split('\0');
        ctx.run(P.toRoot(file), name, Number(line), P.stringify(c));
      }
      const sp = this.db.prepare('INSERT OR REPLACE INTO special VALUES (?, ?)');
      for (const [k, s] of view.special) sp.run(P.keyToRoot(k), P.stringify(s));
      const sh = this.db.prepare('INSERT OR REPLACE INTO shadows VALUES (?)');
      for (const k of view.shadows) sh.run(P.keyToRoot(k));
      const gc = this.db.prepare('INSERT OR REPLACE INTO global_count VALUES (?, ?)');
      for (const [n, c] of view.globalCount) gc.run(n, c);
      if (view.reclaim) this.db.prepare("INSERT OR REPLACE INTO meta VALUES ('reclaim', ?)").run(P.stringify(view.reclaim));
      else this.db.prepare("DELETE FROM meta WHERE key = 'reclaim'").run();
      this.db.prepare("UPDATE meta SET value = '1' WHERE key = 'results'").run();
    });
    tx.immediate();
  }

  /** Rows per table (for the report and the benchmark). */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const t of ['files', 'functions', 'calls', 'refs', 'work_keys', 'inferred', 'aliases', 'contexts', 'special']) out[t] = (this.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return out;
  }
}

/** Whether an error is SQLite's (damage, a full disk, a lock held too long): the database is then set aside. */
/**
 * Whether a whole-tree scan has filled the database at `file` (a check of a buffer or a patch opens
 * it, which may create it empty). Never creates the file.
 */
export function databaseHasTree(file: string, treeRoot: string, cwd: string): boolean {
  if (!existsSync(file)) return false;
  const db = ProgramDb.open(file, treeRoot, cwd);
  try {
    return db?.populated() ?? false;
  } finally {
    db?.close();
  }
}

export function isDatabaseError(e: unknown): boolean {
  return e instanceof Database.SqliteError;
}

/**
 * `gfplint lsp`: the language server. Keeps the open C buffers (incremental sync), checks each
 * one debounced on change and at once on open and save, pushes diagnostics (or answers
 * `textDocument/diagnostic` when the client pulls), answers hovers on allocation calls and offers
 * code actions. Bad input is logged or answered with an LSP error; the server keeps running.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CodeActionKind, createConnection, DocumentDiagnosticReportKind, MarkupKind, MessageType, ProposedFeatures, ShowMessageNotification,
  ResponseError, ErrorCodes, TextDocuments, TextDocumentSyncKind, type Connection, type InitializeParams, type InitializeResult,
} from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { toolVersion } from '../engine/tool-info.js';
import { parseKernelVersion } from '../model/version.js';
import { codeActions, toLspDiagnostic } from './actions.js';
import {
  bufferFacts, buildSummaries, checkBuffer, locateBuffer, summariesExist,
  type BufferCheck, type BufferFacts, type BufferLocation, type CheckerConfig, type SummaryBuild,
} from './checker.js';
import { hoverAt } from './hover.js';

/** Settings, from `initializationOptions` and the client's `gfplint` configuration section. */
export interface ServerSettings extends CheckerConfig {
  /** Quiet period after an edit before the buffer is checked (ms). */
  debounceMs?: number;
  /** Offer to build whole-tree summaries when a tree has none (default true). */
  offerSummaries?: boolean;
}

const DEFAULT_DEBOUNCE_MS = 200;
const BUILD_COMMAND = 'gfplint.buildSummaries';

const isC = (doc: TextDocument) => doc.languageId === 'c' || /\.[ch]$/i.test(doc.uri);

/** Start the server on the transport named in argv (`--stdio`, `--node-ipc`, `--socket=N`, `--pipe=NAME`). */
export function startServer(): Connection {
  // createConnection() reads the transport from argv; without one, stdio.
  const named = process.argv.some((a) => /^--(stdio|node-ipc|socket|pipe)\b/.test(a));
  const connection = named ? createConnection(ProposedFeatures.all) : createConnection(ProposedFeatures.all, process.stdin, process.stdout);
  // Nothing but protocol may reach stdout: a stray console.log would corrupt the stream.
  console.log = (...a: unknown[]) => connection.console.log(a.map(String).join(' '));
  console.info = console.log;
  console.warn = (...a: unknown[]) => connection.console.warn(a.map(String).join(' '));
  console.error = (...a: unknown[]) => connection.console.error(a.map(String).join(' '));
  process.on('uncaughtException', (e) => connection.console.error(`gfplint: internal error: ${e.stack ?? e.message}`));
  process.on('unhandledRejection', (e) => connection.console.error(`gfplint: internal error: ${e instanceof Error ? e.stack : String(e)}`));
  new Server(connection).listen();
  return connection;
}

class Server {
  private settings: ServerSettings = {};
  private initSettings: ServerSettings = {};
  private pull = false;
  private refreshSupport = false;
  private progressSupport = false;
  private configurationSupport = false;
  private workspaceRoot?: string;
  /** The latest check of each buffer, with the version it checked. */
  private readonly results = new Map<string, { version: number; check: BufferCheck }>();
  /** Facts for hover, computed on the first hover of a version. */
  private readonly facts = new Map<string, { version: number; facts: BufferFacts }>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** One check at a time (the engine is CPU-bound); each version checked once. */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inflight = new Map<string, Promise<BufferCheck | undefined>>();
  /** Kernel trees already told about missing summaries. */
  private readonly told = new Set<string>();
  private readonly builds = new Map<string, SummaryBuild>();
  private readonly documents: TextDocuments<TextDocument>;

  constructor(private readonly connection: Connection) {
    this.documents = new TextDocuments<TextDocument>({
      create: (uri, languageId, version, text) => TextDocument.create(uri, languageId, version, text),
      update: (doc, changes, version) => {
        // Versions only grow (LSP 3.17 §VersionedTextDocumentIdentifier): an edit carrying an
        // older one is a client bug; applying it would make every later range point elsewhere.
        if (version <= doc.version) {
          this.connection.console.warn(`gfplint: ignored an edit of ${doc.uri} with version ${version}, not newer than ${doc.version}`);
          return doc;
        }
        return TextDocument.update(doc, changes, version);
      },
    });
  }

  listen(): void {
    const c = this.connection;
    c.onInitialize((p) => this.initialize(p));
    c.onInitialized(() => void this.initialized());
    c.onDidChangeConfiguration(() => void this.reloadSettings());
    // Fired on open too: a buffer never checked is checked at once, an edited one after a quiet period.
    this.documents.onDidChangeContent(({ document }) => this.schedule(document.uri, this.results.has(document.uri) ? (this.settings.debounceMs ?? DEFAULT_DEBOUNCE_MS) : 0));
    // On save, every open buffer is checked again: the summaries they are checked against may have changed.
    this.documents.onDidSave(() => {
      for (const d of this.documents.all()) this.schedule(d.uri, 0);
    });
    this.documents.onDidClose(({ document }) => this.forget(document.uri));
    c.languages.diagnostics.on(async (p) => {
      const doc = this.documents.get(p.textDocument.uri);
      if (!doc) throw new ResponseError(ErrorCodes.InvalidParams, `not an open document: ${p.textDocument.uri}`);
      const check = await this.currentCheck(doc.uri);
      return { kind: DocumentDiagnosticReportKind.Full, items: check ? this.diagnosticsOf(doc.uri, check) : [] };
    });
    c.onHover(async (p) => {
      const doc = this.documents.get(p.textDocument.uri);
      if (!doc || !isC(doc)) return null;
      const facts = this.factsOf(doc);
      const check = this.results.get(doc.uri);
      const sites = check?.version === doc.version ? check.check.sites : [];
      const h = hoverAt({ file: facts.location.display, views: facts.views, model: facts.model, program: facts.program, sites }, p.position);
      if (!h) return null;
      const r = h.range;
      return { contents: { kind: MarkupKind.Markdown, value: h.markdown }, range: { start: { line: r[0], character: r[1] }, end: { line: r[2], character: r[3] } } };
    });
    c.onCodeAction(async (p) => {
      const doc = this.documents.get(p.textDocument.uri);
      if (!doc || !isC(doc)) return [];
      const check = await this.currentCheck(doc.uri);
      return check ? codeActions(check.findings, check.location, doc, p.range, p.context.only) : [];
    });
    c.onExecuteCommand(async (p) => {
      if (p.command !== BUILD_COMMAND) throw new ResponseError(ErrorCodes.InvalidParams, `unknown command '${p.command}'`);
      const root = this.treeToBuild(p.arguments?.[0]);
      if (!root) throw new ResponseError(ErrorCodes.InvalidParams, 'no kernel tree: open a file of one or pass its root');
      void this.build(root);
      return null;
    });
    c.onShutdown(() => {
      for (const b of this.builds.values()) b.cancel();
      for (const t of this.timers.values()) clearTimeout(t);
    });
    this.documents.listen(c);
    c.listen();
  }

  private initialize(p: InitializeParams): InitializeResult {
    const caps = p.capabilities;
    this.pull = !!caps.textDocument?.diagnostic;
    this.refreshSupport = !!caps.workspace?.diagnostics?.refreshSupport;
    this.progressSupport = !!caps.window?.workDoneProgress;
    this.configurationSupport = !!caps.workspace?.configuration;
    const folder = p.workspaceFolders?.[0]?.uri ?? p.rootUri ?? undefined;
    this.workspaceRoot = folder?.startsWith('file:') ? fileURLToPath(folder) : undefined;
    this.initSettings = this.validSettings(p.initializationOptions, 'initializationOptions');
    this.settings = { ...this.initSettings };
    return {
      capabilities: {
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        executeCommandProvider: { commands: [BUILD_COMMAND] },
        ...(this.pull ? { diagnosticProvider: { identifier: 'gfplint', interFileDependencies: false, workspaceDiagnostics: false } } : {}),
      },
      serverInfo: { name: 'gfplint', version: toolVersion() },
    };
  }

  private async initialized(): Promise<void> {
    await this.reloadSettings();
  }

  /** Settings from the client's `gfplint` section over initializationOptions; every open buffer is checked again. */
  private async reloadSettings(): Promise<void> {
    let fromClient: ServerSettings = {};
    if (this.configurationSupport) {
      try {
        fromClient = this.validSettings(await this.connection.workspace.getConfiguration('gfplint'), 'the gfplint settings');
      } catch (e) {
        this.connection.console.warn(`gfplint: cannot read the client's settings: ${(e as Error).message}`);
      }
    }
    const next = { ...this.initSettings, ...fromClient };
    if (JSON.stringify(next) === JSON.stringify(this.settings)) return;
    this.settings = next;
    this.results.clear();
    this.facts.clear();
    for (const d of this.documents.all()) this.schedule(d.uri, 0);
  }

  /** The known settings with valid values; anything else is named once in the log. */
  private validSettings(raw: unknown, where: string): ServerSettings {
    if (raw === null || raw === undefined) return {};
    if (typeof raw !== 'object' || Array.isArray(raw)) {
      this.connection.console.warn(`gfplint: ${where} is not an object; ignored`);
      return {};
    }
    const o = raw as Record<string, unknown>;
    const out: ServerSettings = {};
    const bad = (key: string, why: string) => this.tell(MessageType.Warning, `gfplint: ${where}: '${key}' ${why}; ignored`);
    if (o.kernelVersion !== undefined && o.kernelVersion !== null && o.kernelVersion !== '') {
      const v = typeof o.kernelVersion === 'string' ? parseKernelVersion(o.kernelVersion) : { error: 'is not a string' };
      if ('error' in v) bad('kernelVersion', v.error);
      else out.kernelVersion = o.kernelVersion as string;
    }
    if (typeof o.cacheDir === 'string' && o.cacheDir) out.cacheDir = o.cacheDir;
    if (typeof o.noCache === 'boolean') out.noCache = o.noCache;
    if (typeof o.offerSummaries === 'boolean') out.offerSummaries = o.offerSummaries;
    for (const k of ['debounceMs', 'fileTimeoutMs'] as const) {
      if (o[k] === undefined) continue;
      if (typeof o[k] === 'number' && Number.isFinite(o[k]) && (o[k] as number) >= 0) out[k] = o[k] as number;
      else bad(k, 'is not a non-negative number');
    }
    return out;
  }

  /** window/showMessage: a notification (the window.show*Message helpers send a request even without actions). */
  private tell(type: MessageType, message: string): void {
    void this.connection.sendNotification(ShowMessageNotification.type, { type, message });
  }

  private location(uri: string): BufferLocation {
    if (uri.startsWith('file:')) {
      try {
        return locateBuffer(fileURLToPath(uri));
      } catch {
        // a malformed file URI: treated like an untitled buffer
      }
    }
    // An untitled or virtual buffer: no tree, named after the last part of its URI.
    const name = decodeURIComponent(uri.replace(/[?#].*$/, '').split('/').pop() || 'untitled.c');
    const dir = this.workspaceRoot ?? process.cwd();
    return { file: path.join(dir, name), cwd: dir, display: name };
  }

  private schedule(uri: string, delay: number): void {
    clearTimeout(this.timers.get(uri));
    this.timers.set(uri, setTimeout(() => {
      this.timers.delete(uri);
      void this.check(uri).then((check) => check && this.publish(uri, check));
    }, delay));
  }

  private forget(uri: string): void {
    clearTimeout(this.timers.get(uri));
    this.timers.delete(uri);
    this.results.delete(uri);
    this.facts.delete(uri);
    if (!this.pull) void this.connection.sendDiagnostics({ uri, diagnostics: [] });
  }

  /** The check of the buffer's current version (run now if there is none yet). */
  private async currentCheck(uri: string): Promise<BufferCheck | undefined> {
    // A check that finds its version superseded returns nothing: ask again for the newer one.
    for (let i = 0; i < 5; i++) {
      const doc = this.documents.get(uri);
      if (!doc) return undefined;
      const done = this.results.get(uri);
      if (done?.version === doc.version) return done.check;
      const check = await this.check(uri);
      if (check) return check;
    }
    return this.results.get(uri)?.check;
  }

  /** Check the buffer's current version once; undefined when a newer version arrived first. */
  private check(uri: string): Promise<BufferCheck | undefined> {
    const doc = this.documents.get(uri);
    if (!doc) return Promise.resolve(undefined);
    const key = `${uri}\0${doc.version}`;
    const running = this.inflight.get(key);
    if (running) return running;
    const done = this.results.get(uri);
    if (done?.version === doc.version) return Promise.resolve(done.check);
    const p = this.queue.then(() => this.runCheck(uri, doc.version));
    this.queue = p.catch(() => undefined);
    this.inflight.set(key, p);
    void p.finally(() => this.inflight.delete(key));
    return p;
  }

  private async runCheck(uri: string, version: number): Promise<BufferCheck | undefined> {
    const doc = this.documents.get(uri);
    if (!doc || doc.version !== version) return undefined;
    const location = this.location(uri);
    let check: BufferCheck;
    if (!isC(doc)) {
      check = { location, kernelVersion: '', findings: [], sites: [], skipped: [] };
    } else {
      try {
        check = await checkBuffer(location, doc.getText(), this.settings);
      } catch (e) {
        this.connection.console.error(`gfplint: cannot check ${location.file}: ${(e as Error).message}`);
        check = { location, kernelVersion: '', findings: [], sites: [], skipped: [(e as Error).message] };
      }
      for (const s of check.skipped) this.connection.console.warn(`gfplint: ${location.display}: not checked: ${s}`);
      if (location.treeRoot) this.offerSummaries(location.treeRoot);
    }
    // Keep the newest: a slow check of an old version never replaces a newer result.
    const prev = this.results.get(uri);
    if (!prev || prev.version <= version) this.results.set(uri, { version, check });
    return this.documents.get(uri)?.version === version ? check : undefined;
  }

  private diagnosticsOf(uri: string, check: BufferCheck) {
    return check.findings.map((f) => toLspDiagnostic(f, check.location, uri));
  }

  private publish(uri: string, check: BufferCheck): void {
    const doc = this.documents.get(uri);
    const done = this.results.get(uri);
    // Only the check of the current version is shown: never a stale one over a newer one.
    if (!doc || done?.check !== check || done.version !== doc.version) return;
    if (this.pull) {
      if (this.refreshSupport) void this.connection.languages.diagnostics.refresh();
      return;
    }
    void this.connection.sendDiagnostics({ uri, version: doc.version, diagnostics: this.diagnosticsOf(uri, check) });
  }

  private factsOf(doc: TextDocument): BufferFacts {
    const have = this.facts.get(doc.uri);
    if (have?.version === doc.version) return have.facts;
    const facts = bufferFacts(this.location(doc.uri), doc.getText(), this.settings);
    this.facts.set(doc.uri, { version: doc.version, facts });
    return facts;
  }

  /** Once per tree: say that it has no whole-tree summaries, and offer to build them. */
  private offerSummaries(treeRoot: string): void {
    if (this.told.has(treeRoot) || this.builds.has(treeRoot) || this.settings.noCache || summariesExist(treeRoot, this.settings)) return;
    this.told.add(treeRoot);
    const text = `gfplint: no whole-tree summaries for ${treeRoot}: files are checked without what their callers in other files do. ` +
      'Building them scans the whole tree in the background (minutes); open files are checked meanwhile.';
    if (this.settings.offerSummaries === false) {
      this.tell(MessageType.Info, text);
      return;
    }
    void this.connection.window.showInformationMessage(text, { title: 'Build summaries' }, { title: 'Not now' }).then(
      (choice) => {
        if (choice?.title === 'Build summaries') void this.build(treeRoot);
      },
      () => undefined,
    );
  }

  private treeToBuild(arg: unknown): string | undefined {
    if (typeof arg === 'string') return locateBuffer(path.join(arg, 'Makefile')).treeRoot;
    for (const d of this.documents.all()) {
      const root = this.location(d.uri).treeRoot;
      if (root) return root;
    }
    return this.workspaceRoot ? locateBuffer(path.join(this.workspaceRoot, 'Makefile')).treeRoot : undefined;
  }

  /** Scan the tree in the background with `$/progress`, then check the open buffers again. */
  private async build(treeRoot: string): Promise<void> {
    if (this.builds.has(treeRoot)) return;
    const c = this.connection;
    const progress = this.progressSupport ? await c.window.createWorkDoneProgress().catch(() => undefined) : undefined;
    progress?.begin('gfplint: whole-tree summaries', 0, treeRoot, true);
    let lastPct = -1;
    const b = buildSummaries(treeRoot, this.settings, (done, total) => {
      const pct = total ? Math.floor((done * 100) / total) : 0;
      if (pct === lastPct) return;
      lastPct = pct;
      progress?.report(pct, `${done}/${total} files`);
    });
    this.builds.set(treeRoot, b);
    progress?.token.onCancellationRequested(() => b.cancel());
    const outcome = await b.done;
    this.builds.delete(treeRoot);
    progress?.done();
    if (outcome.ok) c.console.info(`gfplint: summaries of ${treeRoot}: ${outcome.message}`);
    else this.tell(MessageType.Warning, `gfplint: summaries of ${treeRoot} not built: ${outcome.message}`);
    if (!outcome.ok) return;
    this.results.clear();
    this.facts.clear();
    for (const d of this.documents.all()) if (this.location(d.uri).treeRoot === treeRoot) this.schedule(d.uri, 0);
  }
}

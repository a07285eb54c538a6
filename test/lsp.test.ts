/**
 * `gfplint lsp` end to end: the server as a child process over stdio, driven by the protocol's
 * own client library. Diagnostics on open and after an incremental edit, hover, code actions,
 * pull diagnostics, the whole-tree summaries offer with progress, malformed input, and a clean
 * shutdown (exit status 0).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  CodeActionRequest, createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification,
  DocumentDiagnosticRequest, ExitNotification, HoverRequest, InitializedNotification, InitializeRequest,
  PublishDiagnosticsNotification, ShowMessageRequest, ShutdownRequest, StreamMessageReader, StreamMessageWriter,
  WorkDoneProgress, WorkDoneProgressCreateRequest, type ClientCapabilities, type CodeAction, type Diagnostic, type Hover, type MarkupContent,
  type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node';
import { repoRoot } from './expectations.js';

const bin = join(repoRoot, 'bin', 'gfplint.js');
const FIXTURE = readFileSync(join(repoRoot, 'test', 'lsp', 'demo.c'), 'utf8');
let dir: string;

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist', 'src', 'lsp', 'server.js'))) throw new Error("dist/ is missing: run 'npm run build' (npm test does)");
  dir = mkdtempSync(join(tmpdir(), 'gfplint-lsp-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Session {
  conn: ProtocolConnection;
  child: ChildProcess;
  exited: Promise<number | null>;
  /** Resolves with the first publishDiagnostics for `uri` that satisfies `pred` (already received ones count). */
  diagnostics(uri: string, pred?: (p: PublishDiagnosticsParams) => boolean): Promise<PublishDiagnosticsParams>;
  stderr: () => string;
}

async function start(capabilities: ClientCapabilities, init: Record<string, unknown> = {}, rootUri: string | null = null): Promise<Session> {
  // A private HOME and cache: nothing of the user's cache is read or written.
  const home = mkdtempSync(join(dir, 'home-'));
  const child = spawn(process.execPath, [bin, 'lsp', '--stdio'], {
    cwd: dir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache') },
  });
  let err = '';
  child.stderr!.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const seen: PublishDiagnosticsParams[] = [];
  const waiters: { uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }[] = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    seen.push(p);
    for (const w of [...waiters]) {
      if (w.uri === p.uri && w.pred(p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
    }
  });
  conn.listen();
  await conn.sendRequest(InitializeRequest.type, {
    processId: process.pid, rootUri, capabilities, workspaceFolders: null,
    initializationOptions: { cacheDir: join(home, 'cache'), debounceMs: 20, ...init },
  });
  await conn.sendNotification(InitializedNotification.type, {});
  return {
    conn, child, exited, stderr: () => err,
    diagnostics(uri, pred = () => true) {
      const hit = seen.find((p) => p.uri === uri && pred(p));
      return hit ? Promise.resolve(hit) : new Promise((resolve) => waiters.push({ uri, pred, resolve }));
    },
  };
}

async function stop(s: Session): Promise<void> {
  await s.conn.sendRequest(ShutdownRequest.type);
  await s.conn.sendNotification(ExitNotification.type);
  expect(await s.exited, s.stderr()).toBe(0);
  s.conn.dispose();
}

function open(s: Session, file: string, text: string, languageId = 'c'): string {
  const uri = pathToFileURL(file).href;
  void s.conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId, version: 1, text } });
  return uri;
}

const codes = (p: { diagnostics: Diagnostic[] }) => p.diagnostics.map((d) => d.code).sort();
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle));
const markdown = (h: Hover | null) => (h?.contents as MarkupContent | undefined)?.value ?? '';

describe('gfplint lsp', () => {
  test('diagnostics on open and after an edit, hover, code actions, clean shutdown', async () => {
    const s = await start({});
    const file = join(dir, 'demo.c');
    writeFileSync(file, FIXTURE);
    const uri = open(s, file, FIXTURE);

    const first = await s.diagnostics(uri, (p) => p.version === 1);
    expect(codes(first)).toEqual(['nofs-redundant', 'scope-single-allocation']);
    const redundant = first.diagnostics.find((d) => d.code === 'nofs-redundant')!;
    const nofsLine = lineOf(FIXTURE, 'kmalloc(64, GFP_NOFS)');
    expect(redundant.range.start).toEqual({ line: nofsLine, character: FIXTURE.split('\n')[nofsLine].indexOf('GFP_NOFS') });
    expect(redundant.source).toBe('gfplint');
    expect(redundant.codeDescription?.href).toBe(`${pathToFileURL(join(repoRoot, 'README.md')).href}#nofs-redundant`);
    expect(redundant.relatedInformation?.[0].location).toMatchObject({ uri, range: { start: { line: lineOf(FIXTURE, 'memalloc_nofs_save()') } } });

    // An incremental edit: a spin_lock() above the GFP_KERNEL allocation.
    const kernelLine = lineOf(FIXTURE, 'kmalloc(128, GFP_KERNEL)');
    await s.conn.sendNotification(DidChangeTextDocumentNotification.type, {
      textDocument: { uri, version: 2 },
      contentChanges: [{ range: { start: { line: kernelLine, character: 0 }, end: { line: kernelLine, character: 0 } }, text: '\tspin_lock(&d->lock);\n' }],
    });
    const second = await s.diagnostics(uri, (p) => p.version === 2);
    expect(codes(second)).toEqual(['nofs-redundant', 'scope-single-allocation', 'sleep-in-atomic']);
    const atomic = second.diagnostics.find((d) => d.code === 'sleep-in-atomic')!;
    expect(atomic.range.start.line).toBe(kernelLine + 1);
    expect(atomic.message).toContain("'GFP_KERNEL'");
    expect(atomic.relatedInformation?.[0]).toMatchObject({ location: { uri, range: { start: { line: kernelLine } } } });

    // Hover on the gfp argument: written and effective masks, why, and what the allocator does.
    const edited = FIXTURE.split('\n');
    edited.splice(kernelLine, 0, '\tspin_lock(&d->lock);');
    const hover = await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: kernelLine + 1, character: edited[kernelLine + 1].indexOf('GFP_KERNEL') + 2 } });
    const text = markdown(hover);
    expect(text).toContain('**Written:** `GFP_KERNEL`');
    expect(text).toContain('**Effective here:** `GFP_KERNEL`');
    expect(text).toContain(`\`spin_lock()\` on \`d->lock\`: spinlock, atomic, taken at line ${kernelLine + 1}`);
    expect(text).toContain('may sleep');
    expect(text).toContain('kernel 6.12');
    // …and on the call inside the NOFS scope: the scope and the line that opened it.
    const scoped = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: nofsLine, character: edited[nofsLine].indexOf('kmalloc') + 1 } }));
    expect(scoped).toContain('**Effective here:** `GFP_NOFS`');
    expect(scoped).toContain(`nofs scope of \`memalloc_nofs_save()\`, opened at line ${lineOf(FIXTURE, 'memalloc_nofs_save()') + 1}`);
    expect(scoped).toContain('does not call into filesystems');
    expect(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: 0, character: 0 } })).toBeNull();

    // Code action: the suppression comment, which silences the finding once applied.
    const actions = (await s.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: atomic.range, context: { diagnostics: [atomic] } })) as CodeAction[];
    const disable = actions.find((a) => a.title === "Disable 'sleep-in-atomic' for this line");
    expect(disable?.kind).toBe('quickfix');
    const edit = disable!.edit!.changes![uri];
    expect(edit).toEqual([{ range: { start: { line: kernelLine + 1, character: 0 }, end: { line: kernelLine + 1, character: 0 } }, newText: '\t/* gfplint-disable-next-line sleep-in-atomic -- reason */\n' }]);
    await s.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 3 }, contentChanges: [{ range: edit[0].range, text: edit[0].newText }] });
    expect(codes(await s.diagnostics(uri, (p) => p.version === 3))).toEqual(['nofs-redundant', 'scope-single-allocation']);

    await stop(s);
  });

  test('pull diagnostics when the client asks for them', async () => {
    const s = await start({ textDocument: { diagnostic: { dynamicRegistration: false } } });
    const file = join(dir, 'pull.c');
    writeFileSync(file, FIXTURE);
    const uri = open(s, file, FIXTURE);
    const report = await s.conn.sendRequest(DocumentDiagnosticRequest.type, { textDocument: { uri } });
    expect(report.kind).toBe('full');
    expect(codes({ diagnostics: (report as { items: Diagnostic[] }).items })).toEqual(['nofs-redundant', 'scope-single-allocation']);
    await stop(s);
  });

  test('a kernel tree: its version, the summaries offer, a background build with progress', async () => {
    const tree = join(dir, 'linux');
    mkdirSync(join(tree, 'include', 'linux'), { recursive: true });
    mkdirSync(join(tree, 'drivers', 'demo'), { recursive: true });
    writeFileSync(join(tree, 'Makefile'), 'VERSION = 6\nPATCHLEVEL = 1\nSUBLEVEL = 0\n');
    const file = join(tree, 'drivers', 'demo', 'demo.c');
    writeFileSync(file, FIXTURE);
    const s = await start({ window: { workDoneProgress: true } }, {}, pathToFileURL(tree).href);
    const offered = new Promise<string>((resolve) => s.conn.onRequest(ShowMessageRequest.type, (p) => {
      resolve(p.message);
      return { title: 'Build summaries' };
    }));
    const progress: string[] = [];
    s.conn.onRequest(WorkDoneProgressCreateRequest.type, (p) => {
      s.conn.onProgress(WorkDoneProgress.type, p.token, (v) => {
        progress.push(v.kind);
      });
    });
    const uri = open(s, file, FIXTURE);
    await s.diagnostics(uri, (p) => p.version === 1);
    expect(await offered).toContain(`no whole-tree summaries for ${tree}`);
    // After the build the open buffer is checked again and published again.
    await s.diagnostics(uri, () => progress.includes('end'));
    expect(progress[0]).toBe('begin');
    const hover = markdown(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: lineOf(FIXTURE, 'GFP_KERNEL'), character: 6 } }));
    expect(hover).toContain('kernel 6.1');
    await stop(s);
  });

  test('malformed input: the server stays alive and answering', async () => {
    const s = await start({});
    const file = join(dir, 'robust.c');
    writeFileSync(file, FIXTURE);
    const uri = open(s, file, FIXTURE);
    await s.diagnostics(uri, (p) => p.version === 1);

    // An unknown method: MethodNotFound.
    await expect(s.conn.sendRequest('gfplint/noSuchMethod', {})).rejects.toMatchObject({ code: -32601 });
    // Bad params: an error response, not a crash.
    await expect(s.conn.sendRequest(HoverRequest.type, {} as never)).rejects.toMatchObject({ code: expect.any(Number) });
    await expect(s.conn.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: null } as never)).rejects.toMatchObject({ code: expect.any(Number) });
    await s.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri: 'file:///not/open.c', version: 2 }, contentChanges: [{ text: 'x' }] });

    // A document that is not C: no findings, no hover.
    const md = open(s, join(dir, 'notes.md'), '# kmalloc(64, GFP_KERNEL) under spin_lock\n', 'markdown');
    expect((await s.diagnostics(md)).diagnostics).toEqual([]);
    expect(await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri: md }, position: { line: 0, character: 5 } })).toBeNull();

    // A 5 MB file: checked (or reported as skipped in the log), never the end of the server.
    const fn = (i: number) => `static int big_${i}(struct demo_dev *d)\n{\n\td->buf = kmalloc(${i}, GFP_KERNEL);\n\treturn d->buf ? 0 : -ENOMEM;\n}\n\n`;
    let big = '';
    for (let i = 0; big.length < 5 * 1024 * 1024; i++) big += fn(i);
    const bigUri = open(s, join(dir, 'big.c'), big);
    await s.diagnostics(bigUri);

    // An edit with a stale version is ignored: the buffer stays as version 2 left it.
    const kernelLine = lineOf(FIXTURE, 'kmalloc(128, GFP_KERNEL)');
    const lock = { range: { start: { line: kernelLine, character: 0 }, end: { line: kernelLine, character: 0 } }, text: '\tspin_lock(&d->lock);\n' };
    await s.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 2 }, contentChanges: [lock] });
    await s.conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version: 1 }, contentChanges: [{ range: lock.range, text: 'garbage' }] });
    const after = await s.diagnostics(uri, (p) => p.version === 2);
    expect(codes(after)).toEqual(['nofs-redundant', 'scope-single-allocation', 'sleep-in-atomic']);
    expect(s.stderr()).toBe('');

    // Still answering.
    const hover = await s.conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: kernelLine + 1, character: 8 } });
    expect(markdown(hover)).toContain('`spin_lock()` on `d->lock`');
    await stop(s);
  });
});

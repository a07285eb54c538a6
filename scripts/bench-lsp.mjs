#!/usr/bin/env node
// Benchmark of `gfplint lsp` on a real file (not a test: timings depend on the machine).
// Starts the server over stdio, opens FILE of TREE, then measures
//   - edit → diagnostics: a one-character edit (a space added, then removed, alternately) to the
//     publishDiagnostics of that version, with no debounce;
//   - hover: the first hover after an edit (the buffer's facts are computed then) and a repeated
//     hover on the same version;
//   - the server's resident memory (VmRSS now, VmHWM peak) from /proc.
// Medians over --runs. Usage:
//   node scripts/bench-lsp.mjs [--tree ~/.cache/kernels/linux-source-6.12] [--file fs/ext4/inode.c]
//                              [--cache-dir DIR] [--runs 10] [--no-cache] [--hover LINE:COL]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  createProtocolConnection, DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, ExitNotification,
  HoverRequest, InitializedNotification, InitializeRequest, PublishDiagnosticsNotification, ShutdownRequest,
  StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const tree = resolve(opt('tree', join(homedir(), '.cache/kernels/linux-source-6.12')));
const file = join(tree, opt('file', 'fs/ext4/inode.c'));
const runs = Number(opt('runs', '10'));
const cacheDir = opt('cache-dir', undefined);
const noCache = args.includes('--no-cache');
const repo = resolve(fileURLToPath(import.meta.url), '..', '..');

const text = readFileSync(file, 'utf8');
const lines = text.split('\n');
const uri = pathToFileURL(file).href;

const child = spawn(process.execPath, [join(repo, 'bin', 'gfplint.js'), 'lsp', '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
const waiting = new Map();
conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
  const w = waiting.get(p.version);
  if (p.uri === uri && w) {
    waiting.delete(p.version);
    w(p);
  }
});
conn.onNotification('window/logMessage', (p) => process.stderr.write(`server: ${p.message}\n`));
conn.listen();

const memory = () => {
  const s = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const diagnosticsOf = (version) => new Promise((r) => waiting.set(version, r));

await conn.sendRequest(InitializeRequest.type, {
  processId: process.pid, rootUri: pathToFileURL(tree).href, capabilities: {}, workspaceFolders: null,
  initializationOptions: { debounceMs: 0, offerSummaries: false, ...(cacheDir ? { cacheDir } : {}), ...(noCache ? { noCache } : {}) },
});
await conn.sendNotification(InitializedNotification.type, {});

let version = 1;
let t = performance.now();
const opened = diagnosticsOf(1);
await conn.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri, languageId: 'c', version, text } });
const first = await opened;
const openMs = performance.now() - t;

// The one-character edit: a space at the end of the first line, added and removed in turn.
const editMs = [];
const hoverFirstMs = [];
const hoverAgainMs = [];
// The hover target: --hover LINE:COL (1-based), else the first gfp argument of a call outside a comment.
const at = opt('hover', undefined)?.split(':').map(Number);
const allocLine = at ? at[0] - 1 : lines.findIndex((l) => !/^\s*(\*|\/[*/])/.test(l) && /\w\([^()]*\bGFP_[A-Z]+/.test(l));
const allocChar = at ? at[1] - 2 : lines[allocLine].search(/\bGFP_[A-Z]+/);
let spaced = false;
let hoverText = '';
for (let i = 0; i < runs; i++) {
  version++;
  const change = spaced
    ? { range: { start: { line: 0, character: lines[0].length }, end: { line: 0, character: lines[0].length + 1 } }, text: '' }
    : { range: { start: { line: 0, character: lines[0].length }, end: { line: 0, character: lines[0].length } }, text: ' ' };
  spaced = !spaced;
  const published = diagnosticsOf(version);
  t = performance.now();
  await conn.sendNotification(DidChangeTextDocumentNotification.type, { textDocument: { uri, version }, contentChanges: [change] });
  await published;
  editMs.push(performance.now() - t);
  t = performance.now();
  const h = await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: allocLine, character: allocChar + 1 } });
  hoverFirstMs.push(performance.now() - t);
  hoverText = h?.contents?.value ?? '';
  t = performance.now();
  await conn.sendRequest(HoverRequest.type, { textDocument: { uri }, position: { line: allocLine, character: allocChar + 1 } });
  hoverAgainMs.push(performance.now() - t);
}
const mem = memory();

await conn.sendRequest(ShutdownRequest.type);
await conn.sendNotification(ExitNotification.type);

const ms = (x) => `${x.toFixed(0)} ms`;
process.stdout.write([
  `file: ${file} (${lines.length} lines), ${first.diagnostics.length} diagnostics`,
  `open → diagnostics: ${ms(openMs)}`,
  `one-character edit → diagnostics: median ${ms(median(editMs))} over ${runs} (min ${ms(Math.min(...editMs))}, max ${ms(Math.max(...editMs))})`,
  `hover after an edit (facts computed): median ${ms(median(hoverFirstMs))}`,
  `hover again on the same version: median ${ms(median(hoverAgainMs))}`,
  `server memory: ${mem.rss.toFixed(0)} MB resident now, ${mem.peak.toFixed(0)} MB peak`,
  `hover at ${allocLine + 1}:${allocChar + 1}: ${hoverText.split('\n')[0]}`,
  '',
].join('\n'));

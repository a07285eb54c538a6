// gfplint for VS Code: starts `gfplint lsp` for C files and passes the gfplint.* settings.
// Install: `npm install` in this folder, then `code --extensionDevelopmentPath=$PWD` (or package it
// with `npx @vscode/vsce package`).
const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration('gfplint');
  const command = config.get('path') || 'gfplint';
  // A path to bin/gfplint.js runs with VS Code's own node; a bare name is looked up on PATH.
  const server = command.endsWith('.js')
    ? { module: command, args: ['lsp'], transport: TransportKind.stdio }
    : { command, args: ['lsp'], transport: TransportKind.stdio };
  const settings = () => {
    const c = vscode.workspace.getConfiguration('gfplint');
    return { kernelVersion: c.get('kernelVersion') || undefined, cacheDir: c.get('cacheDir') || undefined, debounceMs: c.get('debounceMs') };
  };
  client = new LanguageClient('gfplint', 'gfplint', { run: server, debug: server }, {
    documentSelector: [{ scheme: 'file', language: 'c' }],
    initializationOptions: settings(),
    synchronize: { configurationSection: 'gfplint' },
  });
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };

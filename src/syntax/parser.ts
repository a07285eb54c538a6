/**
 * The one place that loads tree-sitter. We use the native binding (tree-sitter@0.25.1): it parses
 * kernel C about twice as fast as web-tree-sitter, and `npm ci` builds it from source where the
 * prebuild does not load (Debian 12's libstdc++ is older than the prebuild wants).
 * tree-sitter-c@0.24.1 is ABI 15 and needs tree-sitter 0.25 (package.json `overrides`).
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export interface Point { row: number; column: number }

/** The subset of tree-sitter's node API the extractor uses. */
export interface SyntaxNode {
  type: string;
  text: string;
  isNamed: boolean;
  isMissing: boolean;
  hasError: boolean;
  startIndex: number;
  endIndex: number;
  startPosition: Point;
  endPosition: Point;
  parent: SyntaxNode | null;
  childCount: number;
  namedChildCount: number;
  children: SyntaxNode[];
  namedChildren: SyntaxNode[];
  child(i: number): SyntaxNode | null;
  namedChild(i: number): SyntaxNode | null;
  childForFieldName(name: string): SyntaxNode | null;
  nextNamedSibling: SyntaxNode | null;
  previousNamedSibling: SyntaxNode | null;
}

export interface Tree { rootNode: SyntaxNode }

interface NativeParser {
  setLanguage(lang: unknown): void;
  parse(input: string, oldTree?: unknown, options?: { progressCallback?: (state: unknown) => boolean }): Tree | null;
  reset(): void;
}

let parser: NativeParser | undefined;

function getParser(): NativeParser {
  if (!parser) {
    const Parser = require('tree-sitter') as new () => NativeParser;
    const C = require('tree-sitter-c') as unknown;
    parser = new Parser();
    parser.setLanguage(C);
  }
  return parser;
}

/**
 * Parse C source text. One parser per thread (workers each load their own). With `deadline`
 * (a `performance.now()` value), parsing is abandoned once it passes and `undefined` is returned.
 */
export function parseC(text: string, deadline?: number): Tree | undefined {
  const p = getParser();
  const progressCallback = deadline === undefined ? undefined : () => performance.now() > deadline;
  const tree = p.parse(text, undefined, { progressCallback });
  // A parse stopped by the callback is kept by tree-sitter to be resumed by the next call, even
  // with another text: reset, or the next file would be parsed as the rest of this one.
  if (!tree) p.reset();
  return tree ?? undefined;
}

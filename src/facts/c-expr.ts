/**
 * A small C constant-expression parser for macro bodies (gfp_types.h lines, the model's own
 * definition strings): text → Expr. Not a C parser; source files go through src/syntax.
 */

import type { Expr } from './expr.js';

type Tok =
  | { t: 'id'; v: string }
  | { t: 'num'; v: string }
  | { t: 'str'; v: string }
  | { t: 'op'; v: string };

const OPERATORS = [
  '<<=', '>>=', '...',
  '<<', '>>', '<=', '>=', '==', '!=', '&&', '||', '->', '|=', '&=', '^=', '+=', '-=', '*=', '/=', '%=', '##',
  '|', '&', '^', '~', '!', '+', '-', '*', '/', '%', '<', '>', '?', ':', '(', ')', ',', '[', ']', '.', '=', '#',
];

function tokenize(text: string): Tok[] | { error: string } {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_$]/.test(text[j])) j++;
      toks.push({ t: 'id', v: text.slice(i, j) });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[A-Za-z0-9_.]/.test(text[j])) j++;
      toks.push({ t: 'num', v: text.slice(i, j) });
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === '\\' ? 2 : 1;
      toks.push({ t: 'str', v: text.slice(i, j + 1) });
      i = j + 1;
      continue;
    }
    const op = OPERATORS.find((o) => text.startsWith(o, i));
    if (!op) return { error: `unexpected character '${c}'` };
    toks.push({ t: 'op', v: op });
    i += op.length;
  }
  return toks;
}

/** Value of a C integer literal (`0x01u`, `12`, `010`, `1UL`); null when it is not one. */
export function parseCInteger(text: string): number | null {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)([uUlL]*)$/.exec(text);
  if (!m) return null;
  const body = m[1];
  let n: number;
  if (/^0[xX]/.test(body)) n = parseInt(body.slice(2), 16);
  else if (/^0[bB]/.test(body)) n = parseInt(body.slice(2), 2);
  else if (body.length > 1 && body.startsWith('0')) n = parseInt(body, 8);
  else n = parseInt(body, 10);
  return Number.isSafeInteger(n) ? n : null;
}

// Words that make a parenthesised group a cast rather than a grouped operand.
const TYPE_WORDS = new Set([
  '__force', 'const', 'volatile', 'unsigned', 'signed', 'int', 'long', 'short', 'char', 'bool', 'void',
  'struct', 'union', 'enum', 'gfp_t', 'size_t', 'u8', 'u16', 'u32', 'u64', '__u32', '__u64', 's32', 's64',
]);

function isTypeName(words: string[]): boolean {
  return words.length > 0 && words.some((w) => TYPE_WORDS.has(w) || /_t$/.test(w));
}

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  private peek(k = 0): Tok | undefined { return this.toks[this.pos + k]; }
  private isOp(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t !== undefined && t.t === 'op' && t.v === v;
  }
  private expect(v: string): void {
    if (!this.isOp(v)) throw new Error(`expected '${v}'`);
    this.pos++;
  }
  atEnd(): boolean { return this.pos >= this.toks.length; }

  expr(): Expr {
    let e = this.assign();
    while (this.isOp(',')) { this.pos++; e = this.assign(); }
    return e;
  }

  private assign(): Expr {
    const l = this.ternary();
    const t = this.peek();
    if (t && t.t === 'op' && /^(=|\|=|&=|\^=|\+=|-=|\*=|\/=|%=|<<=|>>=)$/.test(t.v)) {
      this.pos++;
      return { k: 'assign', op: t.v, l, r: this.assign() };
    }
    return l;
  }

  private ternary(): Expr {
    const c = this.binary(0);
    if (!this.isOp('?')) return c;
    this.pos++;
    const t = this.expr();
    this.expect(':');
    const f = this.ternary();
    return { k: 'cond', c, t, f };
  }

  private static readonly LEVELS: string[][] = [
    ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
  ];

  private binary(level: number): Expr {
    if (level >= Parser.LEVELS.length) return this.unary();
    let l = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (!t || t.t !== 'op' || !Parser.LEVELS[level].includes(t.v)) return l;
      this.pos++;
      l = { k: 'bin', op: t.v, l, r: this.binary(level + 1) };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t && t.t === 'op' && ['~', '!', '-', '+', '*', '&'].includes(t.v)) {
      this.pos++;
      return { k: 'un', op: t.v, e: this.unary() };
    }
    if (t && t.t === 'id' && t.v === 'sizeof') {
      this.pos++;
      const text = this.skipBalancedOrOperand();
      return { k: 'other', text: `sizeof${text}` };
    }
    if (this.isOp('(')) {
      const words: string[] = [];
      let k = 1;
      for (;;) {
        const w = this.peek(k);
        if (w && w.t === 'id') { words.push(w.v); k++; continue; }
        if (w && w.t === 'op' && w.v === '*') { words.push('*'); k++; continue; }
        break;
      }
      if (this.isOp(')', k) && isTypeName(words.filter((w) => w !== '*'))) {
        const next = this.peek(k + 1);
        const startsOperand = next !== undefined
          && (next.t !== 'op' || ['(', '~', '!', '-', '+', '*', '&'].includes(next.v));
        if (startsOperand) {
          this.pos += k + 1;
          return { k: 'cast', type: words.join(' '), e: this.unary() };
        }
      }
    }
    return this.postfix();
  }

  private skipBalancedOrOperand(): string {
    if (!this.isOp('(')) {
      const t = this.peek();
      this.pos++;
      return ` ${t?.v ?? ''}`;
    }
    let depth = 0;
    let text = '';
    do {
      const t = this.peek();
      if (!t) throw new Error('unbalanced parentheses');
      if (t.t === 'op' && t.v === '(') depth++;
      if (t.t === 'op' && t.v === ')') depth--;
      text += t.v;
      this.pos++;
    } while (depth > 0);
    return text;
  }

  private postfix(): Expr {
    let e = this.primary();
    for (;;) {
      if (this.isOp('(') && e.k === 'id') {
        this.pos++;
        const args: Expr[] = [];
        if (!this.isOp(')')) {
          for (;;) {
            args.push(this.assign());
            if (this.isOp(',')) { this.pos++; continue; }
            break;
          }
        }
        this.expect(')');
        e = { k: 'call', fn: e.name, args };
      } else if (this.isOp('.') || this.isOp('->')) {
        const arrow = this.isOp('->');
        this.pos++;
        const f = this.peek();
        if (!f || f.t !== 'id') throw new Error('expected a field name');
        this.pos++;
        e = { k: 'field', base: e, field: f.v, arrow };
      } else if (this.isOp('[')) {
        this.pos++;
        const index = this.expr();
        this.expect(']');
        e = { k: 'index', base: e, index };
      } else {
        return e;
      }
    }
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) throw new Error('unexpected end of expression');
    this.pos++;
    if (t.t === 'id') return { k: 'id', name: t.v };
    if (t.t === 'num') return { k: 'num', value: parseCInteger(t.v), text: t.v };
    if (t.t === 'str') return { k: 'str' };
    if (t.v === '(') {
      const e = this.expr();
      this.expect(')');
      return e;
    }
    throw new Error(`unexpected '${t.v}'`);
  }
}

/** Parses one C expression (a macro body, a definition string). */
export function parseCExpr(text: string): Expr | { error: string } {
  const toks = tokenize(text);
  if ('error' in toks) return toks;
  if (toks.length === 0) return { error: 'empty expression' };
  const p = new Parser(toks);
  try {
    const e = p.expr();
    if (!p.atEnd()) return { error: `unexpected text after the expression in '${text}'` };
    return e;
  } catch (err) {
    return { error: `${(err as Error).message} in '${text}'` };
  }
}

/** parseCExpr for text the model itself wrote: a failure is a bug in a table, so it throws. */
export function mustParseCExpr(text: string): Expr {
  const e = parseCExpr(text);
  if ('error' in e) throw new Error(`model table: cannot parse '${text}': ${e.error}`);
  return e;
}

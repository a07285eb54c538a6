/**
 * Kernel idioms tree-sitter-c cannot parse, rewritten before parsing into C it can, every
 * character where it was (same length, same line breaks) so each fact's range points at the
 * original text. Comments, string and character literals and preprocessor lines are never
 * rewritten. Three idioms, the top causes of parse errors in 6.12 (scripts/parse-errors.mjs):
 *
 * - Type names passed as macro arguments: `container_of(ptr, struct foo, member)`,
 *   `list_first_entry(head, struct foo, list)`, `min_t(unsigned long, a, b)`,
 *   `sizeof_field(struct foo, bar)`, `alloc_percpu(struct foo)`, `va_arg(ap, char *)`. C's
 *   grammar has no place for a type in an argument list. Such an argument becomes one
 *   identifier, its blanks and `*`s replaced by `$` (a character tree-sitter-c accepts in
 *   identifiers and the kernel never uses): `struct$foo`, `unsigned$long`, `char$$`; a tag on the
 *   next line (`struct\n\t\tfoo`) keeps its line break and loses its keyword. `offsetof`'s member
 *   designator (`offsetof(struct foo, a.b[2])`, which its grammar rule does not take) is joined
 *   the same way. Only argument lists of calls are touched, never a declarator's parameter list
 *   (`int foo(struct bar *, int);` stays): the name before `(` must follow an operator or
 *   punctuation, or `return`, `static` and the like; at file scope only what starts a statement.
 * - `static DEFINE_RATELIMIT_STATE(rs, 5, 10);`, `static DECLARE_WORK(w, fn);`,
 *   `static DEFINE_PER_CPU(struct foo, bar);`: a macro of several arguments that defines an
 *   object, behind a storage class. `static` is blanked; what is left parses as the call
 *   statement it looks like (so `fn` in `DECLARE_WORK(w, fn)` is seen as a function used as a
 *   value). With one name (`static DEFINE_MUTEX(lock);`) it parses already, as a declaration.
 * - String macros side by side before a literal (`printk(KERN_ERR PFX "failed\n")`): two
 *   identifiers in a row are no expression, so each becomes a string literal of its length
 *   (`"$$$$$$"`), and the run is the concatenation it is. One alone (`KERN_INFO "x"`) parses.
 * - A loop macro whose body is a single statement without braces
 *   (`for_each_online_cpu(cpu)\n\tsum += f(cpu);`), which tree-sitter reads as a declaration
 *   or an expression with a garbled tail: its name becomes `while` and blanks, a loop
 *   tree-sitter knows. The extractor, seeing `while` where the original text has the macro,
 *   treats it as the macro loop it is (extract.ts). A braced body needs no rewrite: the
 *   extractor recovers `list_for_each_entry(…) { … }` itself.
 */

/** Loop macros: `list_for_each_entry(pos, head, member) { ... }`, `for_each_cpu(cpu, mask)`, `xa_for_each(...)`, `foreach_xfarray_idx(...)`. */
export function isLoopMacro(name: string): boolean {
  return /(^|_)for_each(_|$)|(^|_)foreach(_|$)|^for_each/.test(name) || /^(?:h?list|llist|rbtree_postorder)_for_each/.test(name);
}

/** Words that make an argument a type (with at least one more token). */
const TYPE_WORDS = new Set([
  'struct', 'union', 'enum', 'unsigned', 'signed', 'short', 'long', 'char', 'int', 'void', 'float', 'double',
  '_Bool', 'bool', 'const', 'volatile',
]);
const TAG_WORDS = new Set(['struct', 'union', 'enum']);
/** Keywords followed by `(` that are not calls (their own grammar rules take types where C allows). */
const NOT_CALLS = new Set([
  'if', 'while', 'for', 'switch', 'return', 'sizeof', 'typeof', '__typeof__', '__typeof', 'typeof_unqual',
  '__typeof_unqual__', '_Alignof', 'alignof', '__alignof__', '__alignof', '_Generic', '__attribute__', '__attribute',
  'asm', '__asm__', '__asm', '__extension__', 'defined', '__builtin_va_arg',
]);
/** Previous words after which `name(` is still an expression or a macro-defined object. */
const CALL_AFTER_WORD = new Set(['return', 'case', 'else', 'do', 'static', 'extern', '__extension__']);
/** Previous words and punctuation after which a name starts a statement. */
const STATEMENT_AFTER = new Set([';', '{', '}', ')', ':', 'else', 'do']);
/** `offsetof`'s grammar rule takes a field name only; its member argument is joined when longer. */
const OFFSETOF = new Set(['offsetof', '__builtin_offsetof']);
/** A macro defining an object: `DEFINE_MUTEX`, `DECLARE_WORK`, `LIST_HEAD`, `DEFINE_PER_CPU`. */
const OBJECT_MACRO = /^[A-Z][A-Z0-9_]*$/;


/** Cheap test: none of the idioms can be in a text without one of these. */
const ANY = /\b(?:struct|union|enum|unsigned|signed|short|long|char|const|volatile|offsetof|static)\b|\*\s*[,)]|for_?each|\b[A-Z][A-Z0-9_]*\s+[A-Z][A-Z0-9_]*\s+"/;

interface Tok { t: string; s: number; e: number }
interface Edit { s: number; text: string }

const WORD = 1;
const OPAQUE = 2;
const PUNCT = 3;

/**
 * The tokens of `text` as parallel arrays (start, end, kind), without comments and preprocessor
 * lines (with their continuations), each string or character literal and each number one opaque
 * token, so that neither their brackets nor their commas count.
 */
function tokenize(text: string): { s: Int32Array; e: Int32Array; k: Uint8Array; count: number } {
  const n = text.length;
  // At most one token per character.
  const s = new Int32Array(n);
  const e = new Int32Array(n);
  const k = new Uint8Array(n);
  let count = 0;
  let lineStart = true;
  for (let i = 0; i < n;) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      lineStart = true;
      i++;
    } else if (c === 32 || c === 9 || c === 13 || c === 12 || c === 11) {
      i++;
    } else if (c === 47 && text.charCodeAt(i + 1) === 42) { // /* … */
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === 47 && text.charCodeAt(i + 1) === 47) { // // …
      const end = text.indexOf('\n', i);
      i = end < 0 ? n : end;
    } else if (c === 35 && lineStart) { // # … up to a line break that is not escaped
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 10) break;
        if (d === 92) j++;
        else if (d === 47 && text.charCodeAt(j + 1) === 42) {
          const end = text.indexOf('*/', j + 2);
          j = end < 0 ? n : end + 1;
        }
        j++;
      }
      i = j;
    } else {
      lineStart = false;
      const start = i++;
      let kind = PUNCT;
      if (c === 34 || c === 39) { // "…" '…', on one line
        while (i < n) {
          const d = text.charCodeAt(i);
          if (d === c || d === 10) break;
          i += d === 92 ? 2 : 1;
        }
        if (text.charCodeAt(i) === c) i++;
        kind = OPAQUE;
      } else if (isWordStart(c)) {
        while (i < n && isWordChar(text.charCodeAt(i))) i++;
        kind = WORD;
      } else if (c >= 48 && c <= 57) {
        while (i < n && (isWordChar(text.charCodeAt(i)) || text.charCodeAt(i) === 46)) i++;
        kind = OPAQUE;
      }
      s[count] = start;
      e[count] = i;
      k[count++] = kind;
    }
  }
  return { s, e, k, count };
}

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

function isWordChar(c: number): boolean {
  return isWordStart(c) || (c >= 48 && c <= 57) || c === 36;
}

/** One open bracket: its token index, the brace depth there, and its arguments so far. */
interface Frame { open: number; depth: number; bracket: string; argStart: number; typeish: boolean; typeArgs: Tok[][]; commas: number }

/** The text with the idioms above rewritten (same length, same line breaks). */
export function rewriteKernelIdioms(text: string): string {
  if (!ANY.test(text)) return text;
  const { s: ts, e: te, k: tk, count } = tokenize(text);
  const tok = (i: number): Tok | undefined => (i >= 0 && i < count ? { t: text.slice(ts[i], te[i]), s: ts[i], e: te[i] } : undefined);
  const punct = (i: number): string => (i >= 0 && i < count && tk[i] === PUNCT ? text[ts[i]] : '');
  const tokens = (from: number, to: number): Tok[] => {
    const r: Tok[] = [];
    for (let j = from; j < to; j++) r.push(tok(j)!);
    return r;
  };
  const edits: Edit[] = [];

  // One pass; an argument is looked at only when it holds a type word or ends in `*`.
  const endArgument = (f: Frame, to: number) => {
    if (f.typeish && to - f.argStart >= 2) f.typeArgs.push(tokens(f.argStart, to));
  };
  const findComma = (open: number, close: number): number => {
    let d = 0;
    for (let j = open + 1; j < close; j++) {
      const p = punct(j);
      if (p === '(' || p === '[' || p === '{') d++;
      else if (p === ')' || p === ']' || p === '}') d--;
      else if (p === ',' && d === 0) return j;
    }
    return -1;
  };
  /** At the `)` of `name(…)`: join its type arguments, rewrite the statement idioms. */
  const closeCall = (f: Frame, close: number) => {
    const nameAt = f.open - 1;
    if (nameAt < 0 || tk[nameAt] !== WORD) return;
    const name = text.slice(ts[nameAt], te[nameAt]);
    if (NOT_CALLS.has(name)) return;
    const prev = tok(nameAt - 1);
    const offsetof = OFFSETOF.has(name);
    if ((f.typeArgs.length || offsetof) && callContext(prev, f.depth)) {
      if (offsetof) {
        // Its own grammar rule takes the type; only a member designator longer than a name fails.
        const comma = f.commas === 1 ? findComma(f.open, close) : -1;
        if (comma > 0 && close - comma > 2 && tk[comma + 1] === WORD) edits.push(...joinAll(text, tokens(comma + 1, close)));
      } else {
        for (const a of f.typeArgs) if (isTypeArgument(a)) edits.push(...joinType(text, a));
      }
    }
    const after = punct(close + 1);
    if (prev?.t === 'static' && OBJECT_MACRO.test(name) && after === ';' && f.commas > 0) {
      // With one name argument (`static DEFINE_MUTEX(lock);`) it parses already, as a declaration.
      edits.push({ s: prev.s, text: ' '.repeat(prev.e - prev.s) });
    } else if (f.depth > 0 && name.length >= 5 && close + 1 < count && after !== '{' && after !== ';' && after !== '}'
      && (!prev || STATEMENT_AFTER.has(prev.t)) && isLoopMacro(name)) {
      edits.push({ s: ts[nameAt], text: 'while'.padEnd(name.length) });
    }
  };

  // `KERN_ERR PFX "text"`: string macros side by side before a literal.
  for (let i = 0; i + 2 < count; i++) {
    if (!isMacroConstant(i) || !isMacroConstant(i + 1)) continue;
    let j = i + 1;
    while (j + 1 < count && isMacroConstant(j + 1)) j++;
    if (j + 1 < count && tk[j + 1] === OPAQUE && text.charCodeAt(ts[j + 1]) === 34) {
      for (let w = i; w <= j; w++) if (te[w] - ts[w] >= 2) edits.push({ s: ts[w], text: `"${'$'.repeat(te[w] - ts[w] - 2)}"` });
    }
    i = j;
  }
  function isMacroConstant(i: number): boolean {
    if (tk[i] !== WORD) return false;
    for (let c = ts[i]; c < te[i]; c++) {
      const ch = text.charCodeAt(c);
      if (!((ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 57) || ch === 95)) return false;
    }
    return true;
  }

  let depth = 0;
  const stack: Frame[] = [];
  for (let i = 0; i < count; i++) {
    if (tk[i] === WORD) {
      const f = stack[stack.length - 1];
      if (f && !f.typeish && te[i] - ts[i] <= 8 && TYPE_WORDS.has(text.slice(ts[i], te[i]))) f.typeish = true;
      continue;
    }
    if (tk[i] !== PUNCT) continue;
    const p = text[ts[i]];
    if (p === '(' || p === '[' || p === '{') {
      stack.push({ open: i, depth, bracket: p, argStart: i + 1, typeish: false, typeArgs: [], commas: 0 });
      if (p === '{') depth++;
    } else if (p === ')' || p === ']' || p === '}') {
      if (p === '}') depth = Math.max(0, depth - 1);
      // Pop to the matching bracket (an unbalanced one, from #if branches, drops what it skips).
      const want = p === ')' ? '(' : p === ']' ? '[' : '{';
      let f: Frame | undefined;
      while ((f = stack.pop()) && f.bracket !== want);
      if (f && p === ')') {
        endArgument(f, i);
        closeCall(f, i);
      }
    } else if (p === ',') {
      const f = stack[stack.length - 1];
      if (f) {
        endArgument(f, i);
        f.argStart = i + 1;
        f.typeish = false;
        f.commas++;
      }
    } else if (p === ';') {
      // A statement ends: a `(` still open was no argument list.
      while (stack.length && stack[stack.length - 1].bracket === '(') stack.pop();
    } else if (p === '*') {
      const f = stack[stack.length - 1];
      const next = punct(i + 1);
      if (f && (next === ',' || next === ')')) f.typeish = true;
    }
  }

  if (!edits.length) return text;
  edits.sort((a, b) => a.s - b.s);
  let r = '';
  let last = 0;
  for (const x of edits) {
    if (x.s < last) continue;
    r += text.slice(last, x.s) + x.text;
    last = x.s + x.text.length;
  }
  return r + text.slice(last);
}

/** `struct foo *` → `struct$foo$$`; across a line break only `struct\n\tfoo` → blanks + `foo`. */
function joinType(text: string, a: Tok[]): Edit[] {
  const s = a[0].s;
  const e = a[a.length - 1].e;
  const span = text.slice(s, e);
  if (!span.includes('\n')) return [{ s, text: span.replace(/[ \t*]/g, '$') }];
  if (a.length === 2 && TAG_WORDS.has(a[0].t)) return [{ s, text: ' '.repeat(a[0].e - a[0].s) }];
  return [];
}

/** `a.b[2]` → `a$b$2$` (one line only). */
function joinAll(text: string, a: Tok[]): Edit[] {
  const s = a[0].s;
  const span = text.slice(s, a[a.length - 1].e);
  return span.includes('\n') ? [] : [{ s, text: span.replace(/[^\w$]/g, '$') }];
}

function isWord(t: string): boolean {
  return /^[A-Za-z_]/.test(t);
}

/** `name(` after `prev` is a call (or a macro-defined object), not a declarator. */
function callContext(prev: Tok | undefined, depth: number): boolean {
  if (!prev) return true;
  if (isWord(prev.t)) return CALL_AFTER_WORD.has(prev.t);
  // At file scope `struct foo *bar(struct baz *);` declares; inside a body `n * min_t(…)` multiplies.
  if (depth === 0) return prev.t === ';' || prev.t === '}' || prev.t === '{' || prev.t === '=' || prev.t === ',';
  // `(void *)container_of(…)`, `if (x) list_del(…)`: after `)` too.
  return prev.t !== ']' && !/^\d/.test(prev.t);
}

/** Words and `*`s only, starting with a word, and a type by its words or a trailing `*`. */
function isTypeArgument(a: Tok[]): boolean {
  if (a.length < 2 || !isWord(a[0].t)) return false;
  let typeWord = false;
  for (let i = 0; i < a.length; i++) {
    const t = a[i].t;
    if (t === '*') continue;
    if (!isWord(t)) return false;
    if (TYPE_WORDS.has(t)) typeWord = true;
    // `struct`/`union`/`enum` name a tag: a tag must follow.
    if (TAG_WORDS.has(t) && !isWord(a[i + 1]?.t ?? '')) return false;
  }
  return typeWord || a[a.length - 1].t === '*';
}

/**
 * Code a kernel configuration compiles out: with the build's CONFIG_ symbols known (Kbuild's
 * generated autoconf.h, `-D CONFIG_…`), the branches of `#if`/`#ifdef`/`#elif`/`#else` that are
 * surely dead are blanked space for space, so line and column numbers stay those of the file and
 * tree-sitter no longer sees two definitions of a function or unbalanced braces across branches.
 * A condition that mentions anything else than CONFIG_ symbols, numbers, `defined`, the kconfig.h
 * tests and logical operators is undecided, and all its branches stay.
 */

export interface ConfigSymbols {
  /** CONFIG_ names to their values (`1` for y; a module option is `CONFIG_X_MODULE` = 1, as autoconf.h writes it). */
  values: ReadonlyMap<string, string>;
  /** The set is the whole configuration (autoconf.h was read): a name not in it is off. */
  complete: boolean;
}

type Tri = boolean | undefined;

/** Parses autoconf.h's `#define CONFIG_X value` lines. */
export function readAutoconf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^#define\s+(CONFIG_\w+)\s+(.*)$/gm)) out.set(m[1], m[2].trim());
  return out;
}

interface Frame {
  parentDead: boolean;
  /** An earlier branch of this chain is surely taken. */
  taken: boolean;
  /** An earlier branch of this chain may or may not be taken. */
  maybe: boolean;
  dead: boolean;
}

/** The text with surely dead conditional branches blanked, and how many lines were blanked. */
export function maskDeadConfigCode(text: string, config: ConfigSymbols): { text: string; blanked: number } {
  const lines = text.split('\n');
  const stack: Frame[] = [];
  const dead = () => stack.length > 0 && stack[stack.length - 1].dead;
  let blanked = 0;
  let inComment = false;
  for (let i = 0; i < lines.length; i++) {
    // A directive with its continuation lines.
    let end = i;
    const m = !inComment && /^\s*#\s*(if|ifdef|ifndef|elif|else|endif)\b(.*)$/.exec(lines[i]);
    if (m) {
      let body = m[2];
      while (lines[end].endsWith('\\') && end + 1 < lines.length) body = body.slice(0, -1) + ' ' + lines[++end];
      const cond = () => evaluate(stripComments(body), config);
      const top = stack[stack.length - 1];
      switch (m[1]) {
        case 'if':
        case 'ifdef':
        case 'ifndef': {
          const parentDead = dead();
          const c = parentDead ? false : m[1] === 'if' ? cond() : defined(body.trim().split(/\s/)[0] ?? '', config, m[1] === 'ifndef');
          stack.push({ parentDead, taken: c === true, maybe: c === undefined, dead: parentDead || c === false });
          break;
        }
        case 'elif':
          if (top) {
            const c = top.parentDead || top.taken ? false : cond();
            top.dead = top.parentDead || top.taken || c === false;
            if (c === true && !top.maybe) top.taken = true;
            if (c === undefined) top.maybe = true;
          }
          break;
        case 'else':
          if (top) top.dead = top.parentDead || top.taken;
          break;
        case 'endif':
          stack.pop();
          break;
      }
      i = end;
      continue;
    }
    if (dead()) {
      lines[i] = lines[i].replace(/[^\s]/g, ' ');
      blanked++;
    }
    inComment = commentOpenAfter(lines[i], inComment);
  }
  return { text: blanked ? lines.join('\n') : text, blanked };
}

/** Whether a block comment is still open at the end of the line (strings and `//` comments respected). */
function commentOpenAfter(line: string, open: boolean): boolean {
  for (let j = 0; j < line.length; j++) {
    if (open) {
      if (line[j] === '*' && line[j + 1] === '/') {
        open = false;
        j++;
      }
    } else if (line[j] === '/' && line[j + 1] === '*') {
      open = true;
      j++;
    } else if (line[j] === '/' && line[j + 1] === '/') {
      return false;
    } else if (line[j] === '"' || line[j] === "'") {
      const q = line[j];
      for (j++; j < line.length && line[j] !== q; j++) if (line[j] === '\\') j++;
    }
  }
  return open;
}

function stripComments(s: string): string {
  return s.replace(/\/\*.*?\*\//g, ' ').replace(/\/\/.*$/, '');
}

/** `#ifdef NAME` (or `#ifndef`): decided only for CONFIG_ names. */
function defined(name: string, config: ConfigSymbols, negate: boolean): Tri {
  const d = isDefined(name, config);
  return d === undefined ? undefined : d !== negate;
}

function isDefined(name: string, config: ConfigSymbols): Tri {
  if (!name.startsWith('CONFIG_')) return undefined;
  if (config.values.has(name)) return true;
  return config.complete ? false : undefined;
}

/** The kconfig.h tests (include/linux/kconfig.h): IS_BUILTIN, IS_MODULE, IS_ENABLED. */
function kconfigTest(test: string, name: string, config: ConfigSymbols): Tri {
  const builtin = isDefined(name, config);
  const module = isDefined(`${name}_MODULE`, config);
  if (test === 'IS_BUILTIN') return builtin;
  if (test === 'IS_MODULE') return module;
  // IS_ENABLED: built in or a module.
  if (builtin === true || module === true) return true;
  return builtin === false && module === false ? false : undefined;
}

type Token = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'op'; v: string };

function tokenize(s: string): Token[] | undefined {
  const out: Token[] = [];
  const re = /\s*(?:(0[xX][0-9a-fA-F]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(&&|\|\||==|!=|[!()]))/y;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) return undefined;
    pos = re.lastIndex;
    if (m[1]) out.push({ t: 'num', v: Number(m[1]) });
    else if (m[2]) out.push({ t: 'id', v: m[2] });
    else out.push({ t: 'op', v: m[3] });
  }
  return out;
}

/** Three-valued evaluation of an `#if` condition: undefined when it cannot be decided. */
export function evaluate(expr: string, config: ConfigSymbols): Tri {
  const toks = tokenize(expr);
  if (!toks) return undefined;
  let i = 0;
  const peek = () => toks[i];
  const isOp = (v: string) => peek()?.t === 'op' && peek()!.v === v;
  const fail = Symbol('fail');
  type V = number | undefined;
  // Values are numbers (true = 1) or undefined (undecided).
  const primary = (): V => {
    const tok = toks[i++];
    if (!tok) throw fail;
    if (tok.t === 'num') return tok.v;
    if (tok.t === 'op' && tok.v === '!') {
      const v = primary();
      return v === undefined ? undefined : v ? 0 : 1;
    }
    if (tok.t === 'op' && tok.v === '(') {
      const v = or();
      if (!isOp(')')) throw fail;
      i++;
      return v;
    }
    if (tok.t === 'id') {
      if (tok.v === 'defined') {
        const paren = isOp('(');
        if (paren) i++;
        const name = toks[i++];
        if (!name || name.t !== 'id') throw fail;
        if (paren) {
          if (!isOp(')')) throw fail;
          i++;
        }
        return triNum(isDefined(name.v, config));
      }
      if (tok.v === 'IS_ENABLED' || tok.v === 'IS_BUILTIN' || tok.v === 'IS_MODULE') {
        if (!isOp('(')) throw fail;
        const name = toks[i + 1];
        if (!name || name.t !== 'id' || toks[i + 2]?.t !== 'op' || toks[i + 2].v !== ')') throw fail;
        i += 3;
        return triNum(kconfigTest(tok.v, name.v, config));
      }
      if (tok.v.startsWith('CONFIG_')) {
        // A bare symbol: its numeric value; an undefined one is 0 in #if.
        const d = isDefined(tok.v, config);
        if (d === false) return 0;
        const raw = config.values.get(tok.v);
        return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : undefined;
      }
      // Any other macro: not decided here. A call-like use consumes its argument list.
      if (isOp('(')) {
        let depth = 0;
        do {
          if (isOp('(')) depth++;
          else if (isOp(')')) depth--;
          i++;
        } while (depth > 0 && i < toks.length);
      }
      return undefined;
    }
    throw fail;
  };
  const cmp = (): V => {
    let l = primary();
    while (isOp('==') || isOp('!=')) {
      const op = toks[i++].v;
      const r = primary();
      l = l === undefined || r === undefined ? undefined : (op === '==') === (l === r) ? 1 : 0;
    }
    return l;
  };
  const and = (): V => {
    let l = cmp();
    while (isOp('&&')) {
      i++;
      const r = cmp();
      l = l === 0 || r === 0 ? 0 : l === undefined || r === undefined ? undefined : 1;
    }
    return l;
  };
  const or = (): V => {
    let l = and();
    while (isOp('||')) {
      i++;
      const r = and();
      l = (l !== undefined && l !== 0) || (r !== undefined && r !== 0) ? 1 : l === undefined || r === undefined ? undefined : 0;
    }
    return l;
  };
  try {
    const v = or();
    if (i !== toks.length) return undefined;
    return v === undefined ? undefined : v !== 0;
  } catch (e) {
    if (e === fail) return undefined;
    throw e;
  }
}

function triNum(t: Tri): number | undefined {
  return t === undefined ? undefined : t ? 1 : 0;
}

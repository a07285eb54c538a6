/**
 * The serialisable expression form that facts carry instead of syntax nodes: enough structure for
 * the GFP evaluator and the dataflow (identifiers, operators, calls, fields), nothing tree-sitter.
 */

export type Expr =
  | { k: 'id'; name: string }
  | { k: 'num'; value: number | null; text: string }
  | { k: 'str' }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'un'; op: string; e: Expr }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'field'; base: Expr; field: string; arrow: boolean }
  | { k: 'index'; base: Expr; index: Expr }
  | { k: 'cast'; type: string; e: Expr }
  | { k: 'assign'; op: string; l: Expr; r: Expr }
  | { k: 'other'; text: string };

/** The direct sub-expressions of an expression (the one place that knows the shapes). */
export function exprChildren(x: Expr): Expr[] {
  switch (x.k) {
    case 'bin': case 'assign': return [x.l, x.r];
    case 'un': case 'cast': return [x.e];
    case 'call': return x.args;
    case 'cond': return [x.c, x.t, x.f];
    case 'field': return [x.base];
    case 'index': return [x.base, x.index];
    default: return [];
  }
}

/** Identifiers an expression mentions (for pre-filters and "unresolved name" reports). */
export function identifiersOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.k === 'id') out.add(x.name);
    else stack.push(...exprChildren(x));
  }
  return out;
}

/** The root variable of an lvalue-ish expression: `p`, `p->x`, `*p`, `p[i]` all give `p`. */
export function rootName(e: Expr): string | undefined {
  let x: Expr = e;
  for (let i = 0; i < 64; i++) {
    if (x.k === 'id') return x.name;
    if (x.k === 'field' || x.k === 'index') x = x.base;
    else if (x.k === 'un' && (x.op === '*' || x.op === '&')) x = x.e;
    else if (x.k === 'cast') x = x.e;
    else return undefined;
  }
  return undefined;
}

/** Canonical text of an expression, used to compare cookies, locks and pointers by value. */
export function exprKey(e: Expr): string {
  switch (e.k) {
    case 'id': return e.name;
    case 'num': return e.text;
    case 'str': return '"…"';
    case 'bin': return `(${exprKey(e.l)}${e.op}${exprKey(e.r)})`;
    case 'un': return `${e.op}${exprKey(e.e)}`;
    case 'call': return `${e.fn}(${e.args.map(exprKey).join(',')})`;
    case 'cond': return `(${exprKey(e.c)}?${exprKey(e.t)}:${exprKey(e.f)})`;
    case 'field': return `${exprKey(e.base)}${e.arrow ? '->' : '.'}${e.field}`;
    case 'index': return `${exprKey(e.base)}[${exprKey(e.index)}]`;
    case 'cast': return exprKey(e.e);
    case 'assign': return `${exprKey(e.l)}${e.op}${exprKey(e.r)}`;
    case 'other': return e.text;
  }
}

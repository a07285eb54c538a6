/**
 * Shrinks extracted facts to what later stages read, so that a whole kernel tree's facts fit in
 * memory and in the cache: large expressions that cannot carry a GFP mask, a lock, a cookie or a
 * handle (sizeof arithmetic, nested calls, string formatting) become short opaque text.
 */
import { exprChildren, identifiersOf, type Expr } from '../facts/expr.js';
import type { FileFacts, Op } from '../facts/facts.js';

/** Expressions up to this many nodes are kept whole: lock, cookie and handle expressions fit. */
const SMALL = 12;
const OPAQUE_TEXT = 40;

/** Names that can take part in a mask or a task-flag write. */
const MASKY = /GFP|gfp|flags|mask|PF_MEMALLOC|KM_/;

function size(e: Expr, limit: number): number {
  let n = 0;
  const stack: Expr[] = [e];
  while (stack.length && n <= limit) {
    const x = stack.pop()!;
    n++;
    stack.push(...exprChildren(x));
  }
  return n;
}

function masky(e: Expr): boolean {
  for (const id of identifiersOf(e)) if (MASKY.test(id)) return true;
  return false;
}

/** Calls whose presence in a condition the flow analysis reads (try-locks, is_vmalloc_addr()). */
function hasFlowCall(e: Expr): boolean {
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.k === 'call' && /trylock|is_vmalloc_addr/.test(x.fn)) return true;
    if (x.k === 'un') stack.push(x.e);
    else if (x.k === 'bin') stack.push(x.l, x.r);
  }
  return false;
}

function opaque(text: string): Expr {
  return { k: 'other', text: text.length > OPAQUE_TEXT ? text.slice(0, OPAQUE_TEXT) : text };
}

function keep(e: Expr, text = ''): Expr {
  if (size(e, SMALL) <= SMALL || masky(e)) return e;
  // A call keeps its callee: pointer provenance and cookie saves look at it.
  if (e.k === 'call') return { k: 'call', fn: e.fn, args: [] };
  return opaque(text);
}

function compactOp(op: Op): Op {
  switch (op.op) {
    case 'assign': return { ...op, r: keep(op.r) };
    case 'br': return size(op.cond, 24) <= 24 || masky(op.cond) || hasFlowCall(op.cond) ? op : { ...op, cond: opaque('') };
    case 'ret': return op.value ? { ...op, value: keep(op.value) } : op;
    default: return op;
  }
}

export function compactFacts(facts: FileFacts): FileFacts {
  for (const fn of facts.functions) {
    for (const c of fn.calls) {
      c.args = c.args.map((a, i) => keep(a, c.argText[i]));
      c.argText = c.argText.map((t, i) => (t.length > OPAQUE_TEXT && !masky(c.args[i]) ? t.slice(0, OPAQUE_TEXT) : t));
    }
    fn.ops = fn.ops.map(compactOp);
  }
  return facts;
}

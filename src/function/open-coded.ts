/**
 * What an open-coded write of a PF_MEMALLOC* task flag does to nesting: whether a set is put
 * back on every path (by `current_restore_flags()`, a masked or whole-word assignment of a saved
 * copy, or a clear), whether a clear is guarded by a saved copy of the bit or followed by a
 * restore, and which other PF_* bits travel with it. Facts only; scope-open-coded decides.
 */
import { isPfMemallocFlag, TASK_FLAG_RESTORES, TASK_FLAG_SAVES } from '../model/memalloc-scopes.js';
import { exprChildren, exprKey, identifiersOf, type Expr } from '../syntax/expr.js';
import type { FunctionFacts, Op, Rng } from '../syntax/facts.js';
import { opsOnEveryPath, successors } from './dominators.js';
import type { FunctionView, OpenCodedScope } from './view.js';

export interface OpenCodedWrite {
  write: OpenCodedScope & { how: 'set' | 'clear' };
  /** After the write, the bits are put back on every path to an exit, on some, or on none. */
  restored: 'every' | 'some' | 'none';
  /** The return (or end of function) a path reaches with the bits still written, when some path does. */
  leakAt?: Rng;
  /** Put back by a whole-word assignment of a saved copy (`current->flags = old_flags`). */
  wholeWord?: boolean;
  /** A copy of the task flags (or of the bit) was saved before the write: the caller's state is kept somewhere. */
  savedBefore: boolean;
  /** A clear under a condition that reads a saved copy of the bit (`if (!trans->pf_memalloc_nofs)`). */
  guarded: boolean;
  /** A clear of bits the function itself set earlier with an open-coded set. */
  pairedWithSet: boolean;
  /** Other PF_* bits written together with the memalloc ones (`PF_LOCAL_THROTTLE`). */
  otherBits: string[];
}

/** `current->flags` or `tsk->flags` of a `struct task_struct *`. */
function isTaskFlagsOf(facts: FunctionFacts, e: Expr): boolean {
  if (e.k !== 'field' || e.field !== 'flags' || e.base.k !== 'id') return false;
  const name = e.base.name;
  if (name === 'current') return true;
  return [...facts.params, ...facts.locals].some((p) => p.name === name && /\btask_struct\b/.test(p.type));
}

function readsTaskFlags(facts: FunctionFacts, e: Expr): boolean {
  const stack: Expr[] = [e];
  while (stack.length) {
    const x = stack.pop()!;
    if (isTaskFlagsOf(facts, x)) return true;
    stack.push(...exprChildren(x));
  }
  return false;
}

/** The memalloc bits an op puts back, 'all' for a whole-word or unknown set of bits, undefined when it restores nothing. */
function restoredBits(facts: FunctionFacts, op: Op): { bits: Set<string> | 'all'; wholeWord: boolean } | undefined {
  const memallocIn = (e: Expr) => new Set([...identifiersOf(e)].filter(isPfMemallocFlag));
  if (op.op === 'assign' && op.aop === '=' && !op.type && isTaskFlagsOf(facts, op.l)) {
    const named = memallocIn(op.r);
    // `current->flags = (current->flags & ~PF_MEMALLOC_NOFS) | old` puts back the named bits;
    // `current->flags = old_flags` all of them.
    return named.size ? { bits: named, wholeWord: false } : { bits: 'all', wholeWord: !readsTaskFlags(facts, op.r) };
  }
  if (op.op === 'call') {
    const c = facts.calls[op.call];
    const r = c.indirect ? undefined : TASK_FLAG_RESTORES[c.callee];
    if (!r) return undefined;
    const arg = c.args[r.flagsArg];
    const named = arg ? memallocIn(arg) : new Set<string>();
    return { bits: named.size ? named : 'all', wholeWord: false };
  }
  return undefined;
}

function isSave(facts: FunctionFacts, op: Op): boolean {
  if (op.op === 'assign') return !isTaskFlagsOf(facts, op.l) && readsTaskFlags(facts, op.r);
  if (op.op === 'call') return !facts.calls[op.call].indirect && TASK_FLAG_SAVES.has(facts.calls[op.call].callee);
  return false;
}

/** The verdict facts of every open-coded set and clear of a PF_MEMALLOC* bit in `fn`. */
export function openCodedWrites(fn: FunctionView): OpenCodedWrite[] {
  const facts = fn.facts;
  const ops = facts.ops;
  const exit = ops.length;
  const writes = fn.openCoded.filter((w): w is OpenCodedScope & { how: 'set' | 'clear' } => w.how !== 'assign');
  if (!writes.length) return [];
  const opOf = (w: OpenCodedScope) => ops.findIndex((op) => op.op === 'assign' && op.rng[0] === w.rng[0] && op.rng[1] === w.rng[1]);
  const everyPath = opsOnEveryPath(facts);
  const saves = ops.map((op, i) => (isSave(facts, op) ? i : -1)).filter((i) => i >= 0);
  // Saved copies: `old = current->flags`, `trans->nofs = (current->flags & PF_MEMALLOC_NOFS) != 0`.
  const savedKeys = new Set(saves.map((i) => ops[i]).flatMap((op) => (op.op === 'assign' ? [exprKey(op.l)] : [])));
  const out: OpenCodedWrite[] = [];
  for (const write of writes) {
    const at = opOf(write);
    if (at < 0) continue;
    const op = ops[at] as Op & { op: 'assign' };
    const flags = new Set(write.flags);
    const otherBits = [...identifiersOf(op.r)].filter((n) => /^PF_/.test(n) && !isPfMemallocFlag(n));
    // Whether an op puts back the bits this write changed.
    const restores = (i: number): { wholeWord: boolean } | undefined => {
      const o = ops[i];
      if (write.how === 'set' && o.op === 'assign' && o.aop === '&=' && isTaskFlagsOf(facts, o.l) && [...identifiersOf(o.r)].some((n) => flags.has(n))) return { wholeWord: false };
      const r = restoredBits(facts, o);
      if (!r || (r.bits !== 'all' && ![...flags].some((f) => (r.bits as Set<string>).has(f)))) return undefined;
      return { wholeWord: r.wholeWord };
    };
    // Paths from the write to the exit that meet no restore, and the restores met.
    const seen = new Uint8Array(exit + 1);
    const stack = successors(ops, at, exit).map((t) => Math.min(t, exit));
    let leakAt: Rng | undefined;
    let met = false;
    let wholeWord = false;
    while (stack.length) {
      const n = stack.pop()!;
      if (seen[n]) continue;
      seen[n] = 1;
      if (n === exit) {
        leakAt ??= facts.r;
        continue;
      }
      const r = restores(n);
      if (r) {
        met = true;
        wholeWord ||= r.wholeWord;
        continue;
      }
      const o = ops[n];
      if (o.op === 'ret') {
        leakAt = o.rng;
        continue;
      }
      for (const t of successors(ops, n, exit)) stack.push(Math.min(t, exit));
    }
    const restored = !leakAt ? 'every' : met ? 'some' : 'none';
    const kindWords = [...flags].map((f) => f.replace(/^PF_MEMALLOC_?/, '').toLowerCase()).filter(Boolean);
    const guardedBy = (cond: Expr) => {
      const text = exprKey(cond);
      return [...savedKeys].some((k) => text.includes(k)) || [...flags].some((f) => text.includes(f)) ||
        new RegExp(`memalloc|pflags${kindWords.length ? `|${kindWords.join('|')}` : ''}`, 'i').test(text);
    };
    // A clear inside the arm of an `if` (the op lies between the branch and its join) on a saved bit.
    const guarded = write.how === 'clear' && !everyPath.has(at) && ops.some((b, i) =>
      b.op === 'br' && i < at && Math.min(b.t, b.f) <= at && at < Math.max(b.t, b.f) && guardedBy(b.cond));
    const pairedWithSet = write.how === 'clear' && fn.openCoded.some((w) => w.how === 'set' && w.flags.some((f) => flags.has(f)) && opOf(w) >= 0 && opOf(w) < at);
    out.push({
      write, restored, ...(leakAt && restored !== 'every' ? { leakAt } : {}), ...(wholeWord ? { wholeWord } : {}),
      savedBefore: saves.some((i) => i < at), guarded, pairedWithSet, otherBits,
    });
  }
  return out;
}

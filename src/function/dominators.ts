/**
 * Which instructions of a function run on every path from its entry to its exit: those that
 * dominate the exit. Used where a summary must not claim what only some paths do (an allocation
 * under `if (nofail)` is not something every call makes).
 */
import type { FunctionFacts, Op } from '../syntax/facts.js';

export function successors(ops: Op[], i: number, exit: number): number[] {
  const op = ops[i];
  switch (op.op) {
    case 'br': return [op.t, op.f];
    case 'sw': return op.targets;
    case 'jmp': return [op.t];
    case 'ret': return [exit];
    default: return [i + 1 < ops.length ? i + 1 : exit];
  }
}

/** Op indices that lie on every entry-to-exit path (the dominators of the exit). */
export function opsOnEveryPath(facts: FunctionFacts): Set<number> {
  const ops = facts.ops;
  const exit = ops.length;
  if (!ops.length) return new Set();
  // Reverse post-order from the entry (iterative DFS).
  const order: number[] = [];
  const seen = new Uint8Array(exit + 1);
  const stack: { n: number; k: number }[] = [{ n: 0, k: 0 }];
  seen[0] = 1;
  const succCache: number[][] = [];
  const succ = (n: number) => (succCache[n] ??= n === exit ? [] : successors(ops, n, exit).map((t) => (t >= exit ? exit : t)));
  while (stack.length) {
    const top = stack[stack.length - 1];
    const ss = succ(top.n);
    if (top.k < ss.length) {
      const t = ss[top.k++];
      if (!seen[t]) {
        seen[t] = 1;
        stack.push({ n: t, k: 0 });
      }
    } else {
      order.push(top.n);
      stack.pop();
    }
  }
  if (!seen[exit]) return new Set();
  order.reverse();
  const rpo = new Int32Array(exit + 1).fill(-1);
  order.forEach((n, i) => (rpo[n] = i));
  const preds: number[][] = Array.from({ length: exit + 1 }, () => []);
  for (const n of order) for (const t of succ(n)) preds[t].push(n);
  // Cooper, Harvey and Kennedy's iterative dominator algorithm.
  const idom = new Int32Array(exit + 1).fill(-1);
  idom[0] = 0;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (rpo[a] > rpo[b]) a = idom[a];
      while (rpo[b] > rpo[a]) b = idom[b];
    }
    return a;
  };
  let changed = true;
  for (let round = 0; changed && round < 1000; round++) {
    changed = false;
    for (const n of order) {
      if (n === 0) continue;
      let d = -1;
      for (const p of preds[n]) if (idom[p] !== -1) d = d === -1 ? p : intersect(p, d);
      if (d !== -1 && idom[n] !== d) {
        idom[n] = d;
        changed = true;
      }
    }
  }
  const out = new Set<number>();
  for (let n = exit; n !== 0 && n !== -1; n = idom[n]) {
    out.add(n);
    if (idom[n] === n) break;
  }
  out.add(0);
  out.delete(exit);
  return out;
}

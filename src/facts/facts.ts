/**
 * The serialisable facts extracted from one C file: per function a flat instruction list (calls,
 * assignments, branches, jumps, returns, guard scopes) from which later stages build the CFG
 * without touching the syntax tree again. Plain data: it crosses worker threads and the cache.
 */
import type { Expr } from './expr.js';

/** [startRow, startCol, endRow, endCol], 0-based as tree-sitter reports them. */
export type Rng = [number, number, number, number];

export interface CallFact {
  /** Callee name; for an indirect call (`ops->fn(x)`) the field name, with `indirect` set. */
  callee: string;
  indirect?: boolean;
  args: Expr[];
  argText: string[];
  argRng: Rng[];
  r: Rng;
  /** The argument list held a parse error: argument positions cannot be trusted. */
  broken?: true;
}

export type Op =
  /** A call, by index into `FunctionFacts.calls`. */
  | { op: 'call'; call: number }
  /** An assignment or an initialised declaration (`type` set for declarations). */
  | { op: 'assign'; l: Expr; r: Expr; aop: string; type?: string; rng: Rng }
  /** A two-way branch on `cond`; targets are op indices. */
  | { op: 'br'; cond: Expr; t: number; f: number }
  /** A multi-way branch (switch): each target is an op index. */
  | { op: 'sw'; targets: number[] }
  /** Unconditional jump; `releases` lists guards whose C scope the jump leaves. */
  | { op: 'jmp'; t: number; goto?: string; releases?: number[]; rng?: Rng }
  | { op: 'ret'; value?: Expr; rng: Rng }
  /** `guard(class)(args)` or `scoped_guard(class, args)`: a lock held until `unguard`. */
  | { op: 'guard'; id: number; cls: string; arg?: Expr; rng: Rng }
  | { op: 'unguard'; ids: number[] }
  | { op: 'label'; name: string };

export interface ParamFact { name: string; type: string }

export interface FunctionFacts {
  name: string;
  isStatic: boolean;
  r: Rng;
  nameRng: Rng;
  params: ParamFact[];
  /** Local declarations with their type text (without the declarator's name). */
  locals: ParamFact[];
  calls: CallFact[];
  ops: Op[];
  /** Comments inside the function, only those that can explain a reclaim context (bounded). */
  reasonComments: { line: number; text: string }[];
  /** The body held tree-sitter ERROR nodes (macros it could not parse); facts may be partial. */
  hasErrors: boolean;
}

/** An object-like `#define NAME expr` whose body mentions a GFP name: a candidate alias. */
export interface MacroFact { name: string; expr: Expr; line: number }

/** A function name used as a value: in an initializer (ops table slot), argument or assignment. */
export interface AddressTakenFact { name: string; slot?: string; structType?: string; line: number }

export interface CommentFact { line: number; endLine: number; col: number; text: string; ownLine: boolean }

/**
 * Version of the facts' shape AND of the extraction producing them: bump it with any change to
 * the interfaces above or to what extract.ts puts in them. It keys the on-disk facts cache
 * (src/program/facts-cache.ts), so a bump makes every cached entry a miss.
 */
export const FACTS_VERSION = 2;

export interface FileFacts {
  functions: FunctionFacts[];
  macros: MacroFact[];
  addressTaken: AddressTakenFact[];
  exported: string[];
  /** Comments carrying gfplint directives or fixture expectations. */
  directives: CommentFact[];
  errorCount: number;
}

/**
 * What rules see of one function: every allocation and call already placed in its execution
 * context (memalloc scopes, atomic sections, locks) with written and effective GFP masks,
 * plus the scope and lock regions the flow analysis paired. Facts only; no verdicts.
 */
import type { AllocatorSpec, AllocFamily } from '../model/allocators.js';
import type { GfpValue } from '../model/gfp.js';
import type { ScopeKind } from '../model/memalloc-scopes.js';
import type { CallFact, FunctionFacts, Rng } from '../syntax/facts.js';

/** An active memalloc scope: opened by a save call, or entered through a scope provider. */
export interface ScopeRef {
  kind: ScopeKind;
  /** The call that opened it (`memalloc_nofs_save`, or a provider such as `xfs_trans_alloc`). */
  opener: string;
  rng: Rng;
  /** Canonical text of the cookie variable (or the handle, for providers). */
  cookie: string;
  /** Set when the scope comes from a caller or provider (interprocedural), with its witness. */
  via?: Witness[];
  /** The provider opens a scope only under this condition (ext4: when the journal is enabled). */
  onlyWhen?: string;
  /**
   * Carried in by the handle parameter N (`struct xfs_trans *tp`) and not tested for NULL on the
   * way here: a scope only when every caller passes a live handle (the program stage decides).
   */
  handleParam?: number;
  /** A NULL test on the way here showed the handle is live. */
  handleLive?: boolean;
}

/** Something that makes the context atomic or holds a lock: spinlock, RCU, irqs off, mutex. */
export interface HeldRef {
  /** The call or guard class that took it: `spin_lock_irqsave`, `guard(rcu)`. */
  what: string;
  /** Canonical text of the lock expression (`&d->lock`), '' when there is none (rcu, preempt). */
  lock: string;
  atomic: boolean;
  /** Human reason: 'spinlock', 'RCU read-side critical section', 'preemption disabled', … */
  reason: string;
  rng: Rng;
}

export interface ExecContext {
  /** Scopes active on every path into this point, outermost first. */
  scopes: ScopeRef[];
  /** Scopes active on some path. */
  mayScopes: ScopeRef[];
  /** Locks / atomic reasons held on every path. */
  held: HeldRef[];
  /** Held on some path. */
  mayHeld: HeldRef[];
  /** False when the analysis gave up (iteration bound, unparsable body): rules stay quiet. */
  precise: boolean;
}

export interface Witness { file: string; rng: Rng; note: string }

export interface CallSite {
  index: number;
  call: CallFact;
  ctx: ExecContext;
}

export interface AllocSite {
  index: number;
  callee: string;
  spec: AllocatorSpec;
  /** The gfp argument as written, or the implied mask's spelling when the API has none. */
  gfpText: string;
  /** Where a finding about the mask points: the gfp argument, or the call when implied. */
  gfpRng: Rng;
  gfpImplied: boolean;
  gfp: GfpValue;
  /** `gfp` with the must-active scopes applied, as current_gfp_context() would. */
  effective: GfpValue;
  ctx: ExecContext;
  rng: Rng;
}

export type CookieStore = 'local' | 'field' | 'global' | 'returned' | 'discarded';

export interface ScopeRegion {
  kind: ScopeKind;
  saveIndex: number;
  saveRng: Rng;
  cookie: string;
  cookieStore: CookieStore;
  /** Restores that close this scope. */
  restores: { index: number; rng: Rng }[];
  /** Exits reached with the scope still open on some path (empty when balanced or handed off). */
  leaks: { rng: Rng; what: 'return' | 'end of function' }[];
  /** Calls executed inside the region on some path (for the ad-hoc scope rule). */
  innerCalls: number[];
  comment?: string;
}

export type ScopeIssueKind = 'kind-mismatch' | 'not-innermost' | 'double-restore' | 'no-save';

export interface ScopeIssue {
  kind: ScopeIssueKind;
  restoreIndex: number;
  restoreRng: Rng;
  restoreKind: ScopeKind;
  cookie: string;
  /** The save involved (the cookie's own save, or the innermost one for 'not-innermost'). */
  save?: { kind: ScopeKind; rng: Rng; opener: string };
  /** For 'not-innermost': the scope that was innermost. */
  innermost?: { kind: ScopeKind; rng: Rng; opener: string };
}

export interface FreeSite {
  index: number;
  callee: string;
  ptr: string;
  /** Allocations the pointer may come from on some path into the free. */
  sources: { family: AllocFamily; callee: string; rng: Rng }[];
  ctx: ExecContext;
  rng: Rng;
}

/** A write of a PF_MEMALLOC* bit to `current->flags` (or a task's flags). */
export interface OpenCodedScope {
  rng: Rng;
  text: string;
  flags: string[];
  /** `|=` sets, `&= ~` clears, `=` assigns (the save-copy/restore idiom). */
  how: 'set' | 'clear' | 'assign';
}

/** A scope still open when the function returns: what makes it a scope provider. */
export interface ExitScope {
  kind: ScopeKind;
  opener: string;
  rng: Rng;
  /** The parameter whose field (or which) holds the cookie or handle, if any. */
  param?: number;
  /** The cookie or handle is the function's return value. */
  returned: boolean;
  /** Open on only some paths to an exit it reaches (opened under a condition). */
  someExits?: boolean;
  /**
   * How the function fails before the scope opens, when every exit without it returns NULL or
   * an ERR_PTR (and the handle is the result): a caller that tests the result is in the scope
   * on the success branch.
   */
  failsWith?: FailureReturn[];
}

/** A failure return: `return NULL;` or `return ERR_PTR(…);` (ERR_CAST too). */
export type FailureReturn = 'null' | 'errptr';

export interface FunctionView {
  file: string;
  name: string;
  facts: FunctionFacts;
  calls: CallSite[];
  allocations: AllocSite[];
  frees: FreeSite[];
  scopes: ScopeRegion[];
  scopeIssues: ScopeIssue[];
  openCoded: OpenCodedScope[];
  /** `gfp_t` parameters by index. */
  gfpParams: { index: number; name: string }[];
  /** Flag names the evaluator could not resolve anywhere in this function. */
  unresolved: string[];
  /** False when the flow analysis hit its bound: contexts are imprecise, rules stay quiet. */
  precise: boolean;
  /** Scopes open at some return whose cookie or handle leaves through a parameter or the result. */
  exitScopes: ExitScope[];
  /** Restores (or provider stops) of a cookie or handle that came in through parameter N: a scope closer. */
  handOffRestores: { index: number; param: number; kind: ScopeKind }[];
  /** The function releases an atomic lock it did not take (it runs with the caller's lock and drops it). */
  releasesCallersLock: boolean;
  /** Locks it acquires and still holds at every return: a lock wrapper (`hpfs_lock(sb)`). */
  exitHeld: { cls: string; atomic: boolean; reason: string; param?: number }[];
  /** Locks it releases without having taken them: an unlock wrapper (`hpfs_unlock(sb)`). */
  releasedUnheld: { cls: string; param?: number }[];
}

/**
 * What `program`-scope rules may ask about the rest of the tree: callers' contexts and callee
 * summaries, each answer with a witness chain. Empty when only one file is analysed and nothing
 * is cached, so rules fall back to what the function itself shows.
 */
import type { ExecContext, FunctionView, Witness } from '../function/view.js';
import type { GfpValue } from '../model/gfp.js';
import type { ScopeKind } from '../model/memalloc-scopes.js';

export interface CalledContext {
  /** Scopes active at every known call into the function (intersection over callers). */
  scopes: { kind: ScopeKind; via: Witness[] }[];
  /** Some known caller holds a lock at the call (a reason for NOFS), with its witness. */
  lockWitness?: Witness[];
  /** Some known caller calls it in an atomic section. */
  atomicWitness?: Witness[];
  /** A transaction or journal handle is live at some call (btrfs handles included). */
  transactionWitness?: Witness[];
  /** Reached through an ops-table slot that runs in reclaim or writeback context, or with locks held. */
  reclaimSlot?: Witness[];
  /** Reached through an ops-table slot that runs in plain process context (file_operations read/write/ioctl). */
  processSlot?: Witness[];
  /**
   * Some context is invisible: the function, or a caller up the chain, is exported, has its
   * address taken outside a known ops slot, or is non-static and never called in the scanned set.
   */
  unknownCallers: boolean;
  knownCallers: number;
  /** Up to three known call sites, for findings that rest on what every caller does. */
  callerSites?: Witness[];
  /** What known callers pass in each gfp_t parameter, up the call chains (absent when none is known). */
  gfpCallers?: { param: number; passes: GfpCaller[] }[];
  /** Every known call site (up to 20), for evidence that rests on every caller. */
  allCallerSites?: Witness[];
  /** The function's own callers are all known (it is not exported, nor called through an unknown pointer). */
  callersKnown?: boolean;
  /** Argument positions some known caller passes as a NULL literal (a handle parameter there is not live). */
  nullArgs?: number[];
  /** Sleeping locks held by some caller chain at the call, by class (src/model/reclaim.ts lockClassOf()). */
  callerLocks?: { cls: string; lock: string; via: Witness[] }[];
  /** Some caller begins a transaction that is no memalloc scope (btrfs, gfs2), with the chain. */
  callerBegins?: Witness[];
  /** A function on some caller chain whose own callers are not known (exported, address taken, never called), for evidence. */
  hiddenCaller?: Witness;
  /** The entry points the function is reached from (callers without callers of their own), up to five. */
  entryPoints?: Witness[];
}

/** A mask a caller writes that reaches a function's gfp_t parameter, through a chain of calls passing it on. */
export interface GfpCaller {
  /** The function that writes the mask: the entry of the chain. */
  caller: string;
  /** What it calls with the mask (the first link of the chain). */
  via: string;
  /** The mask as written there. */
  text: string;
  /** Its possible values as they arrive in the parameter (after what each link adds or clears). */
  masks: number[];
  /** The calls from the writer down to the function. */
  chain: Witness[];
}

/**
 * What direct reclaim can reach in the filesystems of the run (reclaim-reach.md §1–§4): the reclaim
 * entry points found (ops slots of src/model/reclaim.ts), the sleeping locks they may take by
 * class, and whether one may begin a transaction, each with the chain from its entry point.
 */
export interface ReclaimReach {
  entryCount: number;
  /** A few entries, for evidence. */
  entries: Witness[];
  /** Directories of the entries (`fs/ext4`): the filesystems whose reclaim paths were checked. */
  filesystems: string[];
  takes: [string, Witness[]][];
  begins?: Witness[];
}

export interface FunctionSummary {
  name: string;
  /** May sleep through a blocking allocation, with the chain to the allocation. */
  maySleep?: Witness[];
  /** Allocates with a mask that is a function of its gfp_t parameter N (an allocator wrapper). */
  wrapsGfpParam?: number;
  /** Returns with a scope open whose cookie it stored in a parameter's field: a scope provider. */
  opensScope?: { kind: ScopeKind; param: number | 'return' };
  /** Restores a scope whose cookie comes from a parameter's field: a scope closer. */
  closesScope?: { kind: ScopeKind; param: number };
  effectiveAllocs?: GfpValue[];
}

export interface ProgramView {
  /** The calling contexts of a function, or undefined when nothing is known interprocedurally. */
  calledIn(fn: FunctionView): CalledContext | undefined;
  /** The same by the function's file, name and the line of its name (0-based). */
  calledAt?(file: string, name: string, line: number): CalledContext | undefined;
  /** The summary of a callee as seen from a call in `from`'s file. */
  summaryOf(callee: string, fromFile: string): FunctionSummary | undefined;
  /** What direct reclaim can reach in the run's filesystems; undefined without a whole-program stage. */
  reclaim?(): ReclaimReach | undefined;
  /** Context at the call site, for witnesses. */
  contextAt?(fn: FunctionView, callIndex: number): ExecContext | undefined;
}

/** The view used when no interprocedural information exists (single file, nothing cached). */
export const emptyProgramView: ProgramView = {
  calledIn: () => undefined,
  summaryOf: () => undefined,
};

/**
 * The verdict of every GFP_NOFS/GFP_NOIO site (issue 15): redundant, unneeded, needed or unknown,
 * by the decision rule of reclaim-reach.md §5 over the facts the function and program stages
 * gathered (scopes and live handles, locks held by the function and its callers, transactions,
 * what reclaim entered at the site can reach). nofs-redundant and nofs-cargo-cult report the first
 * two; the JSON report and `gfplint facts` carry all four.
 */
import type { AllocSite, FunctionView, ScopeRef, Witness } from '../function/view.js';
import type { Model } from '../model/context.js';
import { IO_PATH_CODE, lockClass, TRANSACTION_BEGINS } from '../model/reclaim.js';
import { describeOpener, type ScopeKind } from '../model/memalloc-scopes.js';
import { RECLAIM_PATH_NAME, STORAGE_CODE, TRANSACTION_HANDLE_TYPE } from '../model/ops-slots.js';
import type { CalledContext, ProgramView, ReclaimReach } from './program-view.js';

/** Which bit a site's written mask clears: 'noio' (and so __GFP_FS) or 'nofs'; undefined for other sites. */
export function nofsClears(model: Model, a: AllocSite): 'nofs' | 'noio' | undefined {
  if (a.gfpImplied) return undefined;
  const bit = (n: string) => model.table.masks.get(n) ?? model.table.bits.get(n) ?? 0;
  const fs = bit('__GFP_FS');
  const io = bit('__GFP_IO');
  const dr = bit('__GFP_DIRECT_RECLAIM');
  const g = a.gfp;
  if (g.kind === 'known') {
    if (!g.masks.length || !g.masks.every((m) => (m & dr) !== 0 && (m & fs) === 0)) return undefined;
    return g.masks.every((m) => (m & io) === 0) ? 'noio' : 'nofs';
  }
  // `gfp & ~__GFP_FS`: a mask derived from a parameter with the bit cleared.
  if (g.kind === 'param' && (g.remove & fs) !== 0) return (g.remove & io) !== 0 ? 'noio' : 'nofs';
  return undefined;
}

export function isNofsSite(model: Model, a: AllocSite): boolean {
  return nofsClears(model, a) !== undefined;
}

/**
 * The NOFS/NOIO verdict of one site (issue 15): what clearing __GFP_FS/__GFP_IO there buys, given
 * what direct reclaim entered at the site can reach (../shared/spec/reclaim-reach.md §5).
 * - `redundant`: a scope or live transaction handle already strips the bit on every path;
 * - `unneeded`: nothing held at the site that any reclaim entry needs (the flag is cargo cult);
 * - `needed`: a lock, handle or I/O state is held that a reclaim path needs;
 * - `unknown`: the analysis could not tell (callers through function pointers, parse errors, …).
 */
export type NofsVerdict = 'redundant' | 'unneeded' | 'needed' | 'unknown';

/** One site's verdict as rules and reports use it: ranges in the function's file, witnesses elsewhere. */
export interface SiteJudgement {
  alloc: AllocSite;
  clears: 'nofs' | 'noio';
  verdict: NofsVerdict;
  evidence: string;
  related: Witness[];
  /**
   * For a `redundant` verdict: the scope kinds in force at the call on every path, and whether the
   * deciding scope is opened in this function itself (not by a caller, a provider's handle or a
   * parameter), unconditionally: only then is dropping the per-call flag safe to apply as a fix.
   */
  by?: { scopes: ScopeKind[]; own: boolean };
}

const memo = new WeakMap<FunctionView, WeakMap<ProgramView, SiteJudgement[]>>();

/** The verdicts of the function's NOFS/NOIO sites (computed once per function and program view). */
export function siteVerdicts(fn: FunctionView, model: Model, program: ProgramView): SiteJudgement[] {
  let byProgram = memo.get(fn);
  if (!byProgram) memo.set(fn, (byProgram = new WeakMap()));
  let out = byProgram.get(program);
  if (!out) {
    const called = fn.allocations.some((a) => isNofsSite(model, a)) ? program.calledIn(fn) : undefined;
    const reach = program.reclaim?.();
    out = fn.allocations.flatMap((a) => {
      const clears = nofsClears(model, a);
      return clears ? [judge(fn, model, a, clears, called, reach)] : [];
    });
    byProgram.set(program, out);
  }
  return out;
}

const covers = (s: { kind: string }, noio: boolean) => s.kind === 'noio' || (!noio && s.kind === 'nofs');
const opened = (s: ScopeRef) => (s.handleParam !== undefined ? `the live handle '${s.opener}'` : describeOpener(s.opener));
/** What to write instead: the mapping's own mask for page-cache helpers (it carries the filesystem's constraints), else the plain mask. */
const replacement = (a: AllocSite) => {
  const mask = a.spec.family === 'pagecache' ? 'mapping_gfp_mask(mapping)' : a.gfp.kind === 'param' ? `'${a.gfp.name}'` : 'GFP_KERNEL';
  return a.gfp.kind === 'param' ? `; pass ${mask} unchanged` : `; use ${mask} instead`;
};
const handleText = (s: ScopeRef) => (s.handleParam !== undefined ? `the handle '${s.opener}'` : `the handle of ${describeOpener(s.opener)}`);
const fsDir = (file: string) => /^(?:.*\/)?(fs\/[^/]+)\//.exec(file)?.[1];
const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

function judge(fn: FunctionView, model: Model, a: AllocSite, clears: 'nofs' | 'noio', called: CalledContext | undefined, reach: ReclaimReach | undefined): SiteJudgement {
  const noio = clears === 'noio';
  const j = (verdict: NofsVerdict, evidence: string, related: Witness[] = [], by?: SiteJudgement['by']): SiteJudgement => ({ alloc: a, clears, verdict, evidence, related, ...(by ? { by } : {}) });
  const at = (s: ScopeRef): Witness => ({ file: fn.file, rng: s.rng, note: `${opened(s)} ${s.handleParam !== undefined ? 'carries' : 'opens'} the ${s.kind} scope here` });
  if (!fn.precise || !a.ctx.precise) return j('unknown', `the flow analysis of '${fn.name}()' gave up, so the context at the call is not known`);

  // Rule 2: a scope or a live handle already strips the bit on every path.
  const liveParam = (i: number) => called?.callersKnown === true && !(called.nullArgs ?? []).includes(i);
  const must = [...a.ctx.scopes].reverse().find((s) => covers(s, noio) && !s.onlyWhen && (s.handleParam === undefined || s.handleLive || liveParam(s.handleParam)));
  if (must) {
    const mustKinds = a.ctx.scopes.filter((s) => !s.onlyWhen && (s.handleParam === undefined || s.handleLive || liveParam(s.handleParam))).map((s) => s.kind);
    const by = { scopes: mustKinds, own: !must.via && !must.onlyWhen && must.handleParam === undefined };
    if (must.handleParam !== undefined && must.handleLive) {
      return j('redundant', `'${a.callee}()' runs inside the ${must.kind.toUpperCase()} scope the live handle '${must.opener}' carries (tested non-NULL on the way here), so '${a.gfpText}' only repeats it${replacement(a)}`, [at(must)], by);
    }
    if (must.handleParam !== undefined) {
      const callers = called?.allCallerSites ?? [];
      return j('redundant', `'${fn.name}()' runs inside the ${must.kind.toUpperCase()} scope of the transaction its parameter '${must.opener}' carries: ${called?.knownCallers === 1 ? 'its 1 known caller passes' : `all ${called?.knownCallers ?? 0} known callers pass`} a live handle, so '${a.gfpText}' only repeats the scope${replacement(a)}`,
        [at(must), ...callers], by);
    }
    return j('redundant', `'${a.callee}()' runs inside the ${must.kind.toUpperCase()} scope ${opened(must)} opened on line ${must.rng[0] + 1}, so '${a.gfpText}' only repeats it${replacement(a)}`, [at(must)], by);
  }
  // A function that ends a scope handed in by its caller (commits the caller's transaction) is
  // outside it after that call, whatever its callers hold.
  const closedBefore = fn.handOffRestores.some((h) => h.index < a.index);
  const byCallers = closedBefore ? undefined : called?.scopes.find((s) => covers(s, noio));
  if (byCallers) {
    const others = (called?.allCallerSites ?? []).filter((w) => !byCallers.via.some((v) => v.file === w.file && v.rng[0] === w.rng[0] && v.rng[1] === w.rng[1]));
    return j('redundant', `every known caller (${called?.knownCallers}) reaches '${fn.name}()' inside a ${byCallers.kind.toUpperCase()} scope, e.g. ${byCallers.via.map((w) => w.note).join(' → ')}${replacement(a)}`, [...byCallers.via, ...others], { scopes: [byCallers.kind], own: false });
  }

  // What the task may hold here: its own sleeping locks, its callers', transactions.
  const own = a.ctx.mayHeld.filter((h) => !h.atomic && h.lock);
  const conditional = a.ctx.scopes.find((s) => covers(s, noio) && s.onlyWhen);
  const unprovenHandle = a.ctx.scopes.find((s) => covers(s, noio) && s.handleParam !== undefined && !s.handleLive);
  const takes = new Map(reach?.takes ?? []);
  // Rule 5: a held lock that a reclaim entry takes.
  const locals = new Set([...fn.facts.params, ...fn.facts.locals].map((p) => p.name));
  for (const h of own) {
    const via = takes.get(lockClass(h.lock, h.what, (n) => locals.has(n)));
    if (via) {
      return j('needed', `'${fn.name}()' holds '${h.lock}' (${h.what}() on line ${h.rng[0] + 1})${conditional ? ` and ${handleText(conditional)} opens a scope only ${conditional.onlyWhen}` : ''}, and reclaim can take a lock of that class: ${via.map((w) => w.note).join(' → ')}`,
        [{ file: fn.file, rng: h.rng, note: `'${h.lock}' is taken here` }, ...via]);
    }
  }
  for (const l of called?.callerLocks ?? []) {
    const via = takes.get(l.cls);
    if (via) return j('needed', `a caller holds '${l.lock}' (${l.via.map((w) => w.note).join(' → ')}), and reclaim can take a lock of that class: ${via.map((w) => w.note).join(' → ')}`, [...l.via, ...via]);
  }
  // Rule 4: I/O-path code that reclaim waits on.
  if (IO_PATH_CODE.test(fn.file)) {
    return noio
      ? j('needed', `'${fn.file}' is block or swap I/O-path code: reclaim entered here may wait for I/O this task has still to issue (reclaim-reach.md §3)`)
      : j('unknown', `'${fn.file}' is block or swap I/O-path code, where only NOIO keeps reclaim off this task's own I/O; whether NOFS suffices was not checked`);
  }
  // A handle whose scope is not proven on this path: redundant where it is live (and journalled), harmless otherwise.
  if (conditional) return j('unknown', `'${a.callee}()' runs under ${handleText(conditional)}, which opens a ${conditional.kind.toUpperCase()} scope only ${conditional.onlyWhen}: without one the flag is all that stands between reclaim and the filesystem, and no lock reclaim takes is held here`, [at(conditional)]);
  if (unprovenHandle) return j('unknown', `'${fn.name}()' gets the transaction handle '${unprovenHandle.opener}' from its callers, but ${called?.callersKnown ? `some caller passes NULL (${(called.nullArgs ?? []).map((i) => `argument ${i + 1}`).join(', ')})` : 'not every caller is known'}: the scope is not proven on this path`, [at(unprovenHandle), ...(called?.allCallerSites ?? [])]);
  // A transaction held that is no scope (btrfs): reclaim that begins one may wait for it.
  const handle = [...fn.facts.params, ...fn.facts.locals].find((p) => TRANSACTION_HANDLE_TYPE.test(p.type) && !model.handleScope(p.type, fn.file));
  // A caller's transaction counts when it is no scope (btrfs); a scope-carrying one is a scope where live and absent where NULL.
  const callerTrans = called?.transactionWitness?.some((w) => { const t = /\(([^()]*\*)\)$/.exec(w.note)?.[1]; return t !== undefined && !model.handleScope(t, w.file); });
  const ownBegin = fn.facts.calls.find((c) => !c.indirect && TRANSACTION_BEGINS.has(c.callee) && !model.providerStart(c.callee) && c.r[0] <= a.rng[0]);
  const trans = handle ? `'${handle.name}' (${handle.type.trim()})`
    : ownBegin ? `the transaction '${ownBegin.callee}()' began on line ${ownBegin.r[0] + 1}`
    : callerTrans ? `a transaction of a caller (${called!.transactionWitness!.map((w) => w.note).join(' → ')})`
    : called?.callerBegins ? `a transaction a caller began (${called.callerBegins.map((w) => w.note).join(' → ')})` : undefined;
  if (trans) {
    if (reach?.begins) return j('needed', `'${fn.name}()' may hold ${trans}, and reclaim can begin a transaction that waits for it: ${reach.begins.map((w) => w.note).join(' → ')}`, [...(called?.transactionWitness ?? called?.callerBegins ?? []), ...reach.begins]);
    return j('unknown', `'${fn.name}()' may hold ${trans}; no reclaim path in the scanned code begins a transaction, but reclaim of filesystems outside it may`, called?.transactionWitness ?? []);
  }
  // Reached from reclaim or writeback on some path: that path may hold what reclaim waits for
  // (writeback holds folio locks and may run a transaction); not established either way.
  const root = called?.reclaimSlot?.[called.reclaimSlot.length - 1]?.note ?? '';
  if (called?.reclaimSlot && /reclaim|writeback|shrinker/.test(root)) return j('unknown', `'${fn.name}()' is reached from reclaim or writeback (${called.reclaimSlot.map((w) => w.note).join(' → ')}), whose locks were not compared with what reclaim takes`, called.reclaimSlot);
  // What is missing for positive evidence.
  if (!called || called.unknownCallers) {
    const hidden = called?.hiddenCaller;
    return j('unknown', `some context of '${fn.name}()' is not visible${hidden ? `: ${hidden.note}` : ' (exported, called through a function pointer, or from outside the scanned code)'}`, hidden ? [hidden] : called?.allCallerSites ?? []);
  }
  if (!called.knownCallers && !called.processSlot) return j('unknown', `'${fn.name}()' has no known caller and no known entry point`);
  if (fn.facts.reasonComments.length) return j('unknown', `a comment in '${fn.name}()' gives a reason: "${fn.facts.reasonComments[0].text.replace(/\s+/g, ' ').slice(0, 80)}"`);
  if (RECLAIM_PATH_NAME.test(fn.name)) return j('unknown', `'${fn.name}()' is named as reclaim or writeback code, whose callers may hold what reclaim needs`);
  if (a.ctx.mayHeld.some((h) => !h.atomic && !h.lock)) return j('unknown', `'${fn.name}()' holds a lock gfplint cannot name at the call`);
  const held = [...own.map((h) => `'${h.lock}'`), ...(called.callerLocks ?? []).map((l) => `'${l.lock}' (held by a caller)`)];
  // Classes are matched by field name or by the call that took them: a lock of this filesystem
  // held here, while its own reclaim entries sleep on locks, may be one of those under another name.
  const dir = fsDir(fn.file);
  const sameFs = held.length && dir ? reach?.takes.find(([, via]) => fsDir(via[0].file) === dir) : undefined;
  if (sameFs) {
    return j('unknown', `'${fn.name}()' or a caller holds ${held.join(', ')}; no reclaim entry takes a lock of that class by name, but reclaim of ${dir} sleeps on '${sameFs[0]}' (${sameFs[1].map((w) => w.note).join(' → ')}), which may be the same lock under another name`, sameFs[1]);
  }
  if (held.length && (!reach || reach.entryCount === 0)) {
    return j('unknown', `'${fn.name}()' or a caller holds ${held.join(', ')}, and no reclaim entry point (evict_inode, destroy_inode, release_folio, shrinker) was found in the scanned code to check them against`);
  }
  const entryNames = (called.entryPoints ?? []).map((w) => `'${/'([^']+)'/.exec(w.note)?.[1]}'`);
  const ctxText = called.knownCallers
    ? `its ${plural(called.knownCallers, 'known caller')}${entryNames.length ? ` (reached from ${entryNames.join(', ')})` : ''}${called.processSlot ? ' and its entry point' : ''}`
    : 'its entry point (plain process context)';
  const checked = reach && reach.entryCount
    ? `; reclaim can enter ${reach.filesystems.join(', ')} through ${plural(reach.entryCount, 'entry point')} (e.g. ${reach.entries.slice(0, 2).map((w) => `'${/'([^']+)'/.exec(w.note)?.[1]}'`).join(', ')}), which may take ${reach.takes.length ? reach.takes.slice(0, 6).map(([c]) => `'${c}'`).join(', ') + (reach.takes.length > 6 ? ', …' : '') : 'no sleeping lock'}${held.length ? ', none of them held here' : ''}`
    : '';
  const rare = noio ? (IO_PATH_CODE.test(fn.file) ? '' : '; outside the block and swap I/O path a NOIO need is rare')
    : (STORAGE_CODE.test(fn.file) ? '' : '; outside fs/, mm/, block/ and storage code a NOFS need is rare');
  const use = replacement(a);
  const what = held.length ? `no transaction handle or reclaim context, and only locks that no reclaim entry takes (${held.join(', ')})` : 'no memalloc scope, sleeping lock, transaction handle or reclaim context';
  return j('unneeded', `${what} in '${fn.name}()' or ${ctxText}${a.ctx.mayScopes.length ? ' (a scope covers some paths)' : ''}${checked}${rare}${fn.facts.hasErrors ? ' (parts of the body did not parse)' : ''}${use}`,
    [...(called.processSlot ?? []), ...(called.allCallerSites ?? []), ...(called.entryPoints ?? [])]);
}


/**
 * The hover on an allocation call or its gfp argument, as markdown: the mask as written, the
 * effective mask there and why (scopes, handles and transactions with the line that opened them,
 * locks and atomic sections with theirs, callers' contexts with their witness chains), the site's
 * NOFS verdict when the engine gave one, and what the allocator does with that mask on the
 * configured kernel version.
 */
import type { SiteVerdict } from '../engine/lint-types.js';
import type { AllocSite, ExecContext, FunctionView, HeldRef, ScopeRef, Witness } from '../function/view.js';
import { allocationBehaviour } from '../model/allocation-behaviour.js';
import type { Model } from '../model/context.js';
import { formatGfpValue, type GfpValue } from '../model/gfp.js';
import type { CalledContext } from '../program/program-view.js';
import type { Program } from '../program/program.js';
import type { Rng } from '../syntax/facts.js';

export interface HoverInput {
  /** The buffer's display path (what views and witnesses call it). */
  file: string;
  views: readonly FunctionView[];
  model: Model;
  program?: Program;
  /** NOFS/NOIO verdicts of the buffer's sites (may be empty). */
  sites: readonly SiteVerdict[];
}

/** 0-based line and UTF-16 column, as LSP positions and tree-sitter ranges count. */
export interface Point { line: number; character: number }

const contains = (r: Rng, p: Point) =>
  (p.line > r[0] || (p.line === r[0] && p.character >= r[1])) && (p.line < r[2] || (p.line === r[2] && p.character <= r[3]));

const size = (r: Rng) => (r[2] - r[0]) * 1e6 + (r[3] - r[1]);

/** The innermost allocation whose call or gfp argument covers `p`, with its function. */
export function allocationAt(input: HoverInput, p: Point): { fn: FunctionView; site: AllocSite; range: Rng } | undefined {
  let best: { fn: FunctionView; site: AllocSite; range: Rng } | undefined;
  for (const fn of input.views) {
    if (fn.file !== input.file || !contains(fn.facts.r, p)) continue;
    for (const site of fn.allocations) {
      const range = !site.gfpImplied && contains(site.gfpRng, p) ? site.gfpRng : contains(site.rng, p) ? site.rng : undefined;
      if (range && (!best || size(range) < size(best.range))) best = { fn, site, range };
    }
  }
  return best;
}

/** The hover markdown for the allocation at `p`, or undefined when there is none. */
export function hoverAt(input: HoverInput, p: Point): { markdown: string; range: Rng } | undefined {
  const hit = allocationAt(input, p);
  if (!hit) return undefined;
  const { fn, site } = hit;
  const { model } = input;
  const here: Where = (w) => (w.file === input.file ? lineOf(w.rng) : `${w.file}:${w.rng[0] + 1}`);
  const mask = (v: GfpValue) => `\`${formatGfpValue(v, model.table)}\``;
  const out: string[] = [`**\`${site.callee}()\`** in \`${fn.name}()\` · kernel ${model.versionText}`, ''];

  out.push(`**Written:** \`${site.gfpText}\`${site.gfpImplied ? ' (implied by the API)' : ''} = ${mask(site.gfp)}`);
  if (site.gfp.kind === 'unknown' && site.gfp.unresolved.length) out.push(`  (unresolved: ${site.gfp.unresolved.map((n) => `\`${n}\``).join(', ')})`);
  const changed = JSON.stringify(site.effective) !== JSON.stringify(site.gfp);
  const note = changed ? '' : site.ctx.scopes.length ? ' (the scopes below clear nothing more)' : ' (no memalloc scope applies)';
  out.push('', `**Effective here:** ${mask(site.effective)}${note}`);
  out.push(...contextLines(site.ctx, here));

  const called = input.program?.view.calledIn(fn);
  if (called) out.push(...callerLines(fn, called, here));
  else if (input.program) out.push('', `**Callers:** none known: \`${fn.name}()\` is judged by its own body`);

  const verdict = verdictOf(input.sites, site);
  if (verdict) {
    out.push('', `**NOFS verdict:** ${verdict.verdict} (clears \`${verdict.clears === 'noio' ? '__GFP_IO' : '__GFP_FS'}\`): ${code(verdict.evidence)}`);
    for (const r of verdict.related) out.push(`- ${r.file === input.file ? `line ${r.line}` : `${r.file}:${r.line}`}: ${code(r.message)}`);
  }

  out.push('', `**What \`${site.callee}()\` does with it on ${model.versionText}:**`);
  const eff = site.effective;
  if (eff.kind === 'known') {
    for (const m of eff.masks) {
      if (eff.masks.length > 1) out.push(`- with ${mask({ kind: 'known', masks: [m] })}:`);
      const indent = eff.masks.length > 1 ? '  ' : '';
      for (const s of allocationBehaviour(site.spec, m, model.version, model.table)) out.push(`${indent}- ${code(s)}`);
    }
  } else if (eff.kind === 'param') {
    out.push(`- depends on the caller's \`${eff.name}\` (parameter ${eff.param + 1})${site.spec.sleeps === 'always' ? `; \`${site.callee}()\` may sleep whatever the mask` : ''}`);
  } else {
    out.push(`- the mask is not known here${eff.why ? ` (${code(eff.why)})` : ''}`);
  }
  if (!site.ctx.precise) out.push('', '_The analysis of this function hit its bound: contexts are imprecise and rules stay quiet here._');
  return { markdown: out.join('\n') + '\n', range: hit.range };
}

type Where = (w: { file: string; rng: Rng }) => string;

/** A scope, lock or atomic section of the function itself: its range is in the buffer. */
const lineOf = (r: Rng) => `line ${r[0] + 1}`;

function scopeLines(s: ScopeRef, here: Where, some: boolean): string[] {
  const opened = s.via?.length ? 'from a caller' : `opened at ${lineOf(s.rng)}`;
  const out = [`- ${some ? 'on some paths, ' : ''}${s.kind} scope of \`${s.opener}()\`${s.onlyWhen ? ` (${s.onlyWhen})` : ''}, ${opened}`];
  for (const w of s.via ?? []) out.push(`  - ${witness(w, here)}`);
  return out;
}

function heldLine(h: HeldRef, some: boolean): string {
  return `- ${some ? 'on some paths, ' : ''}\`${h.what}()\`${h.lock ? ` on \`${h.lock}\`` : ''}: ${h.reason}${h.atomic ? ', atomic' : ''}, taken at ${lineOf(h.rng)}`;
}

function witness(w: Witness, here: Where): string {
  return `${here(w)}: ${code(w.note)}`;
}

/** Flag names in prose as code spans: markdown would read `__GFP_FS` as bold `GFP_FS`. */
function code(prose: string): string {
  return prose.replace(/(?<![`\w])(__GFP_\w+|GFP_\w+|PF_MEMALLOC\w*)(?![`\w])/g, '`$1`');
}

function contextLines(ctx: ExecContext, here: Where): string[] {
  const same = (a: Rng, b: Rng) => a.join() === b.join();
  const out: string[] = [];
  for (const s of ctx.scopes) out.push(...scopeLines(s, here, false));
  for (const s of ctx.mayScopes) if (!ctx.scopes.some((m) => same(m.rng, s.rng))) out.push(...scopeLines(s, here, true));
  for (const h of ctx.held) out.push(heldLine(h, false));
  for (const h of ctx.mayHeld) if (!ctx.held.some((m) => same(m.rng, h.rng))) out.push(heldLine(h, true));
  if (!out.length) out.push('- no memalloc scope, lock or atomic section in this function');
  return out;
}

function callerLines(fn: FunctionView, c: CalledContext, here: Where): string[] {
  const known = c.knownCallers ? `${c.knownCallers} known caller${c.knownCallers === 1 ? '' : 's'} of \`${fn.name}()\`` : `no known caller of \`${fn.name}()\``;
  const out = ['', `**Callers:** ${known}; ${c.unknownCallers ? 'some contexts are not visible (exported, address taken, or not called in the files known)' : 'every calling context is visible'}`];
  const chain = (label: string, ws?: Witness[]) => {
    if (!ws?.length) return;
    out.push(`- ${label}:`);
    for (const w of ws) out.push(`  - ${witness(w, here)}`);
  };
  for (const s of c.scopes) chain(`every caller runs in a ${s.kind} scope`, s.via);
  chain('a caller holds a lock at the call', c.lockWitness);
  chain('a caller calls it in an atomic section', c.atomicWitness);
  chain('a transaction or journal handle is live at a call', c.transactionWitness);
  chain('reached through an ops slot that runs in reclaim, writeback or with locks held', c.reclaimSlot);
  chain('reached through an ops slot that runs in process context', c.processSlot);
  if (!c.scopes.length && !c.lockWitness && !c.atomicWitness && !c.transactionWitness && !c.reclaimSlot && !c.processSlot) chain('known call sites', c.callerSites);
  return out;
}

function verdictOf(sites: readonly SiteVerdict[], a: AllocSite): SiteVerdict | undefined {
  const onLines = sites.filter((s) => s.line - 1 >= a.rng[0] && s.line - 1 <= a.rng[2] && s.callee === a.callee);
  return onLines.find((s) => s.line - 1 === a.rng[0] && s.column - 1 === a.rng[1]) ?? onLines[0];
}

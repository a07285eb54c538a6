/**
 * `gfplint facts`: what the analysis decided for each function, exactly as rules see it —
 * allocation sites with written and effective masks, the scopes and locks in force there, scope
 * regions with their unbalanced exits, scope issues, frees and open-coded PF_MEMALLOC writes.
 */
import { describeGfp } from '../engine/rule-helpers.js';
import type { ExecContext, FunctionView, HeldRef, ScopeRef } from '../function/view.js';
import type { Model } from '../model/context.js';
import type { Program } from '../program/program.js';
import { siteVerdicts } from '../program/verdicts.js';
import type { Rng } from '../syntax/facts.js';
import { escapeForTerminal } from './text.js';

interface Pos { line: number; column: number }

const pos = (r: Rng): Pos => ({ line: r[0] + 1, column: r[1] + 1 });
const at = (r: Rng): string => `${r[0] + 1}:${r[1] + 1}`;

function scopeRef(s: ScopeRef): string {
  return `${s.kind} (${s.opener} at ${at(s.rng)}${s.via?.length ? ', from a caller' : ''})`;
}

function heldRef(h: HeldRef): string {
  return `${h.what}(${h.lock}) [${h.reason}${h.atomic ? ', atomic' : ''}] at ${at(h.rng)}`;
}

function contextLines(ctx: ExecContext, indent: string): string[] {
  const out: string[] = [];
  const mayOnly = <T extends { rng: Rng }>(may: T[], must: T[]): T[] => may.filter((m) => !must.some((x) => x.rng.join() === m.rng.join()));
  if (ctx.scopes.length) out.push(`${indent}scopes: ${ctx.scopes.map(scopeRef).join(', ')}`);
  const mayS = mayOnly(ctx.mayScopes, ctx.scopes);
  if (mayS.length) out.push(`${indent}scopes on some paths: ${mayS.map(scopeRef).join(', ')}`);
  if (ctx.held.length) out.push(`${indent}held: ${ctx.held.map(heldRef).join(', ')}`);
  const mayH = mayOnly(ctx.mayHeld, ctx.held);
  if (mayH.length) out.push(`${indent}held on some paths: ${mayH.map(heldRef).join(', ')}`);
  if (!ctx.precise) out.push(`${indent}context imprecise`);
  return out;
}

function calleeAt(fn: FunctionView, index: number): string {
  const c = fn.facts.calls[index];
  return c ? `${c.callee} at ${at(c.r)}` : `call #${index}`;
}

/** The text dump of one function. */
export function formatFunctionFacts(fn: FunctionView, model: Model): string {
  const out = [`${fn.file}:${fn.facts.r[0] + 1}: function '${fn.name}'${fn.facts.isStatic ? ' (static)' : ''}`];
  if (!fn.precise) out.push('  imprecise: the analysis hit its bound; rules stay quiet here');
  if (fn.facts.hasErrors) out.push('  the body has parse errors; facts may be partial');
  if (fn.gfpParams.length) out.push(`  gfp parameters: ${fn.gfpParams.map((p) => `#${p.index} '${p.name}'`).join(', ')}`);
  if (fn.allocations.length) {
    out.push('  allocations:');
    for (const a of fn.allocations) {
      out.push(
        `    ${at(a.rng)} ${a.callee}: written ${a.gfpImplied ? `(implied) ${a.gfpText}` : `'${a.gfpText}'`} = ${describeGfp(model, a.gfp)}; ` +
          `effective ${describeGfp(model, a.effective)}`,
      );
      if (a.gfp.kind === 'unknown' && a.gfp.unresolved.length) out.push(`      unresolved: ${a.gfp.unresolved.join(', ')}${a.gfp.why ? ` (${a.gfp.why})` : ''}`);
      out.push(...contextLines(a.ctx, '      '));
    }
  }
  if (fn.scopes.length) {
    out.push('  scope regions:');
    for (const s of fn.scopes) {
      const restores = s.restores.length ? `restored at ${s.restores.map((r) => at(r.rng)).join(', ')}` : 'never restored';
      out.push(`    ${s.kind}: saved at ${at(s.saveRng)}, cookie '${s.cookie}' (${s.cookieStore}), ${restores}`);
      for (const l of s.leaks) out.push(`      unbalanced: still open at the ${l.what} at ${at(l.rng)}`);
      if (s.innerCalls.length) out.push(`      calls inside: ${s.innerCalls.map((i) => calleeAt(fn, i)).join(', ')}`);
      if (s.comment) out.push(`      comment: ${s.comment.replace(/\s+/g, ' ').trim()}`);
    }
  }
  if (fn.scopeIssues.length) {
    out.push('  scope issues:');
    for (const i of fn.scopeIssues) {
      let line = `    ${i.kind}: ${i.restoreKind} restore at ${at(i.restoreRng)} of cookie '${i.cookie}'`;
      if (i.save) line += `; saved by ${i.save.opener} (${i.save.kind}) at ${at(i.save.rng)}`;
      if (i.innermost) line += `; innermost is ${i.innermost.opener} (${i.innermost.kind}) at ${at(i.innermost.rng)}`;
      out.push(line);
    }
  }
  const held = new Map<string, HeldRef>();
  for (const c of fn.calls) for (const h of [...c.ctx.held, ...c.ctx.mayHeld]) held.set(h.rng.join(), h);
  for (const a of fn.allocations) for (const h of [...a.ctx.held, ...a.ctx.mayHeld]) held.set(h.rng.join(), h);
  if (held.size) {
    out.push('  locks and atomic sections taken:');
    for (const h of [...held.values()].sort((a, b) => a.rng[0] - b.rng[0] || a.rng[1] - b.rng[1])) out.push(`    ${heldRef(h)}`);
  }
  if (fn.frees.length) {
    out.push('  frees:');
    for (const f of fn.frees) {
      const src = f.sources.length ? f.sources.map((s) => `${s.callee} (${s.family}) at ${at(s.rng)}`).join(', ') : 'unknown';
      out.push(`    ${at(f.rng)} ${f.callee}(${f.ptr}): from ${src}`);
    }
  }
  if (fn.openCoded.length) {
    out.push('  open-coded PF_MEMALLOC writes:');
    for (const o of fn.openCoded) out.push(`    ${at(o.rng)} ${o.how} ${o.flags.join(', ')}: ${o.text.replace(/\s+/g, ' ')}`);
  }
  if (fn.unresolved.length) out.push(`  unresolved names: ${fn.unresolved.join(', ')}`);
  if (out.length === 1) out.push('  no allocations, scopes, locks or frees');
  return out.map(escapeForTerminal).join('\n') + '\n';
}

function jsonContext(ctx: ExecContext): Record<string, unknown> {
  const scope = (s: ScopeRef) => ({ kind: s.kind, opener: s.opener, ...pos(s.rng), cookie: s.cookie, ...(s.via ? { via: s.via.map((w) => ({ file: w.file, ...pos(w.rng), note: w.note })) } : {}) });
  const held = (h: HeldRef) => ({ what: h.what, lock: h.lock, atomic: h.atomic, reason: h.reason, ...pos(h.rng) });
  return { scopes: ctx.scopes.map(scope), mayScopes: ctx.mayScopes.map(scope), held: ctx.held.map(held), mayHeld: ctx.mayHeld.map(held), precise: ctx.precise };
}

/** The JSON dump of one function: plain data in a fixed key order, 1-based positions. */
export function functionFactsJson(fn: FunctionView, model: Model): Record<string, unknown> {
  return {
    file: fn.file,
    function: fn.name,
    line: fn.facts.r[0] + 1,
    static: fn.facts.isStatic,
    precise: fn.precise,
    gfpParams: fn.gfpParams,
    allocations: fn.allocations.map((a) => ({
      callee: a.callee,
      ...pos(a.rng),
      gfpText: a.gfpText,
      gfpImplied: a.gfpImplied,
      gfp: { names: describeGfp(model, a.gfp), value: a.gfp },
      effective: { names: describeGfp(model, a.effective), value: a.effective },
      context: jsonContext(a.ctx),
    })),
    scopes: fn.scopes.map((s) => ({
      kind: s.kind,
      save: pos(s.saveRng),
      cookie: s.cookie,
      cookieStore: s.cookieStore,
      restores: s.restores.map((r) => pos(r.rng)),
      leaks: s.leaks.map((l) => ({ what: l.what, ...pos(l.rng) })),
      innerCalls: s.innerCalls.map((i) => ({ callee: fn.facts.calls[i]?.callee ?? null, ...(fn.facts.calls[i] ? pos(fn.facts.calls[i].r) : {}) })),
      ...(s.comment ? { comment: s.comment } : {}),
    })),
    scopeIssues: fn.scopeIssues.map((i) => ({
      kind: i.kind,
      restore: pos(i.restoreRng),
      restoreKind: i.restoreKind,
      cookie: i.cookie,
      ...(i.save ? { save: { kind: i.save.kind, opener: i.save.opener, ...pos(i.save.rng) } } : {}),
      ...(i.innermost ? { innermost: { kind: i.innermost.kind, opener: i.innermost.opener, ...pos(i.innermost.rng) } } : {}),
    })),
    frees: fn.frees.map((f) => ({ callee: f.callee, ptr: f.ptr, ...pos(f.rng), sources: f.sources.map((s) => ({ family: s.family, callee: s.callee, ...pos(s.rng) })) })),
    openCoded: fn.openCoded.map((o) => ({ how: o.how, flags: o.flags, text: o.text, ...pos(o.rng) })),
    unresolved: fn.unresolved,
  };
}

export function formatFactsJson(file: string, model: Model, fns: readonly FunctionView[], program?: Program): string {
  return JSON.stringify({ file, kernelVersion: model.versionText, functions: fns.map((f) => ({ ...functionFactsJson(f, model), ...(program ? { program: programFacts(f, program, model) } : {}) })) }, null, 2) + '\n';
}

export function formatFactsText(file: string, model: Model, fns: readonly FunctionView[], program?: Program): string {
  const head = escapeForTerminal(`${file}: ${fns.length} function${fns.length === 1 ? '' : 's'}, kernel ${model.versionText}, GFP table ${model.table.source}`) + '\n';
  return [head, ...fns.map((f) => formatFunctionFacts(f, model) + (program ? programLines(f, program, model) : ''))].join('\n');
}

/** What the whole-program stage inferred about a function and the contexts it is called in. */
export function programFacts(fn: FunctionView, program: Program, model?: Model): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const provider = program.inferred.providers.find((p) => p.start === fn.name);
  if (provider) out.scopeProvider = { kind: provider.kind, handle: provider.handleParam === 'return' ? 'return value' : `parameter ${(provider.handleParam ?? 0) + 1}`, evidence: provider.note };
  const closer = program.inferred.closers.find((p) => p.stop === fn.name);
  if (closer) out.scopeCloser = { kind: closer.kind, handle: `parameter ${(typeof closer.handleParam === 'number' ? closer.handleParam : 0) + 1}`, evidence: closer.note };
  const wrapper = program.inferred.wrappers.find((w) => w.name === fn.name);
  if (wrapper) out.allocatorWrapper = { gfpArgument: wrapper.gfpArg, evidence: wrapper.note };
  const lock = program.inferred.lockWrappers.find((l) => l.name === fn.name);
  if (lock) out.lockWrapper = { op: lock.op, class: lock.class };
  const called = program.view.calledIn(fn);
  if (called) {
    out.calledIn = {
      knownCallers: called.knownCallers,
      allContextsVisible: !called.unknownCallers,
      scopes: called.scopes.map((s) => ({ kind: s.kind, witness: s.via.map((w) => `${w.file}:${w.rng[0] + 1}: ${w.note}`) })),
      ...(called.lockWitness ? { lockHeldByCaller: called.lockWitness.map((w) => `${w.file}:${w.rng[0] + 1}: ${w.note}`) } : {}),
      ...(called.transactionWitness ? { transaction: called.transactionWitness.map((w) => `${w.file}:${w.rng[0] + 1}: ${w.note}`) } : {}),
      ...(called.reclaimSlot ? { reclaimOrLockedSlot: called.reclaimSlot.map((w) => `${w.file}:${w.rng[0] + 1}: ${w.note}`) } : {}),
      ...(called.processSlot ? { processEntryPoint: called.processSlot.map((w) => `${w.file}:${w.rng[0] + 1}: ${w.note}`) } : {}),
    };
  }
  // The verdict of each GFP_NOFS/GFP_NOIO site (issue 15), as the JSON report's `sites` carries it.
  const verdicts = model ? siteVerdicts(fn, model, program.view) : [];
  if (verdicts.length) {
    out.nofsSites = verdicts.map((v) => ({ line: v.alloc.gfpRng[0] + 1, written: v.alloc.gfpText, verdict: v.verdict, evidence: v.evidence, related: v.related.map((w) => `${w.file}:${w.rng[0] + 1}: ${w.note}`) }));
  }
  return out;
}

function programLines(fn: FunctionView, program: Program, model: Model): string {
  const facts = programFacts(fn, program, model);
  if (!Object.keys(facts).length) return '';
  const lines = ['  program stage:'];
  for (const [k, v] of Object.entries(facts)) lines.push(`    ${k}: ${JSON.stringify(v)}`);
  return escapeForTerminal(lines.join('\n')).replace(/\\n/g, '\n') + '\n';
}

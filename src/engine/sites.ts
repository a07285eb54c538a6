/**
 * The NOFS/NOIO sites of a run (the JSON report's `sites`, the census's input): every
 * GFP_NOFS/GFP_NOIO allocation site of the checked functions with its verdict
 * (src/program/verdicts.ts), whichever rules are selected.
 */
import type { FunctionView } from '../function/view.js';
import type { Model } from '../model/context.js';
import type { ProgramView } from '../program/program-view.js';
import { siteVerdicts, type SiteJudgement } from '../program/verdicts.js';
import type { SiteVerdict } from './lint-types.js';
import type { ViewFact } from './rule.js';

/**
 * The view facts the sites producer reads: pass B re-analyses every function holding one
 * (lint.ts mayReport()), even when no selected rule starts from them.
 */
export const SITE_FACTS: readonly ViewFact[] = ['allocations'];

/** For the JSON report and the census. */
export function toSiteVerdict(fn: FunctionView, j: SiteJudgement): SiteVerdict {
  return {
    file: fn.file, line: j.alloc.gfpRng[0] + 1, column: j.alloc.gfpRng[1] + 1, function: fn.name, clears: j.clears,
    written: j.alloc.gfpText, callee: j.alloc.callee, verdict: j.verdict, evidence: j.evidence,
    related: j.related.map((w) => ({ file: w.file, line: w.rng[0] + 1, column: w.rng[1] + 1, message: w.note })),
  };
}

/** Adds the sites of `views` to `out`; a function whose verdicts throw is reported through `onError` and loses only its sites. */
export function addSites(out: SiteVerdict[], views: readonly FunctionView[], model: Model, program: ProgramView, onError: (file: string, reason: string) => void): void {
  for (const fv of views) {
    try {
      for (const v of siteVerdicts(fv, model, program)) out.push(toSiteVerdict(fv, v));
    } catch (e) {
      onError(fv.file, `the NOFS verdicts failed on '${fv.name}': ${(e as Error).message}`);
    }
  }
}

/** Sites in file, line, column order; one entry per place (a site re-checked in a later pass replaces nothing: duplicates collapse). */
export function sortSites(sites: SiteVerdict[]): SiteVerdict[] {
  return sites.sort(compareSites).filter((x, i, l) => i === 0 || compareSites(l[i - 1], x) !== 0);
}

function compareSites(a: SiteVerdict, b: SiteVerdict): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column;
}

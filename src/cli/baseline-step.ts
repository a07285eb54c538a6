/**
 * The command line's side of baselines (engine/baseline.ts): `--baseline FILE` hides the findings
 * it lists, `--update-baseline` writes the current findings into it, `--prune-baseline` drops
 * entries that match nothing any more. Each write is atomic.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { applyBaseline, BaselineError, formatBaseline, pruneBaseline, readBaseline, scannedScope, updateBaseline, type BaselineEntry } from '../engine/baseline.js';
import type { Diagnostic } from '../engine/diagnostic.js';
import { fileSourceReader } from '../engine/fingerprint.js';
import { TOOL_NAME } from '../engine/tool-info.js';
import { writeFileAtomic } from '../engine/write-atomic.js';

export interface BaselineRequest {
  baseline?: string;
  updateBaseline?: boolean;
  pruneBaseline?: boolean;
}

export interface BaselineStepResult {
  shown: Diagnostic[];
  hidden: Diagnostic[];
  unmatched: BaselineEntry[];
  /** Lines for stderr (what was written, how many were hidden). */
  notes: string[];
}

/** Checks the options before the run, so a bad baseline fails in a second, not after the scan. Returns an error message or undefined. */
export function checkBaselineOptions(o: BaselineRequest, cwd: string): string | undefined {
  if ((o.updateBaseline || o.pruneBaseline) && !o.baseline) return `--${o.updateBaseline ? 'update' : 'prune'}-baseline needs --baseline FILE`;
  if (o.updateBaseline && o.pruneBaseline) return '--update-baseline and --prune-baseline cannot be combined (an update already drops what no longer matches)';
  if (o.baseline && !o.updateBaseline) readBaseline(resolve(cwd, o.baseline)); // throws BaselineError
  return undefined;
}

export function baselineStep(shown: Diagnostic[], o: BaselineRequest, run: { cwd: string; targets: string[]; skipped: string[] }): BaselineStepResult {
  if (!o.baseline) return { shown, hidden: [], unmatched: [], notes: [] };
  const path = resolve(run.cwd, o.baseline);
  const ctx = { baselinePath: path, cwd: run.cwd, source: fileSourceReader(run.cwd) };
  const inScope = scannedScope(run.targets, run.skipped, ctx);
  const notes: string[] = [];
  let baseline = o.updateBaseline && !existsSync(path) ? undefined : readBaseline(path);
  if (o.updateBaseline) {
    baseline = updateBaseline(baseline, shown, ctx, inScope);
    write(path, formatBaseline(baseline));
    notes.push(`${TOOL_NAME}: wrote baseline '${o.baseline}': ${plural(baseline.entries.length, 'entry', 'entries')} covering ${plural(shown.length, 'finding')}`);
  }
  const outcome = applyBaseline(shown, baseline!, ctx, inScope);
  if (o.pruneBaseline) {
    const pruned = pruneBaseline(baseline!, outcome);
    write(path, formatBaseline(pruned));
    notes.push(`${TOOL_NAME}: pruned baseline '${o.baseline}': ${plural(baseline!.entries.length - pruned.entries.length, 'entry', 'entries')} dropped, ${plural(outcome.unmatched.reduce((n, e) => n + e.count, 0), 'count')} released`);
    outcome.unmatched = [];
  }
  const stale = outcome.unmatched.length ? `; ${plural(outcome.unmatched.length, 'entry', 'entries')} no longer ${outcome.unmatched.length === 1 ? 'matches' : 'match'} (--prune-baseline drops ${outcome.unmatched.length === 1 ? 'it' : 'them'})` : '';
  notes.push(`${TOOL_NAME}: the baseline hid ${plural(outcome.hidden.length, 'finding')}${stale}`);
  return { shown: outcome.kept, hidden: outcome.hidden, unmatched: outcome.unmatched, notes };
}

function write(path: string, text: string): void {
  try {
    writeFileAtomic(path, text);
  } catch (e) {
    throw new BaselineError(`cannot write baseline '${path}': ${(e as Error).message}`);
  }
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/**
 * checkpatch's terse shape (`checkpatch.pl -q --terse --no-summary --showfile`, what b4 runs on
 * each patch): one `file:line: LEVEL:TYPE: message` line per finding and nothing at all when
 * clean. b4 counts a line holding `ERROR:` as a failure and any other line as a warning.
 */
import type { Diagnostic } from '../engine/diagnostic.js';
import type { Severity } from '../engine/rule.js';
import { escapeForTerminal } from './text.js';

/** checkpatch's levels (scripts/checkpatch.pl: ERROR, WARNING, and CHECK for --strict notes). */
const LEVEL: Record<Severity, string> = { error: 'ERROR', warning: 'WARNING', info: 'CHECK' };

export function formatCheckpatchTerse(shown: readonly Diagnostic[]): string {
  return shown.map((d) => `${escapeForTerminal(d.file)}:${d.line}: ${LEVEL[d.severity]}:${d.rule}: in '${escapeForTerminal(d.function)}': ${escapeForTerminal(d.message)}\n`).join('');
}

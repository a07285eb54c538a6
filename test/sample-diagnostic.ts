/**
 * A sample finding for reporter tests: sleep-in-atomic at drivers/foo.c:2 with one related
 * location; `over` replaces any field.
 */
import type { Diagnostic } from '../src/engine/diagnostic.js';

export function sampleDiagnostic(over: Partial<Diagnostic> = {}): Diagnostic {
  return {
    rule: 'sleep-in-atomic',
    severity: 'error',
    file: 'drivers/foo.c',
    line: 2,
    column: 6,
    endLine: 2,
    endColumn: 28,
    function: 'foo_probe',
    message: "'kmalloc()' with 'GFP_KERNEL' may sleep",
    related: [{ file: 'drivers/foo.c', line: 1, column: 2, message: "'spin_lock' taken here" }],
    ...over,
  };
}

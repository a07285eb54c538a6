/**
 * The single registration point for rules: one import per rule module, sorted by id, and the
 * list in the same order. `test/rules.test.ts` checks that this list, `rules/<id>.ts` and
 * `fixtures/<id>/` stay in step.
 */
import type { Rule } from '../src/engine/rule.js';
import allocFreeMismatch from './alloc-free-mismatch.js';
import gfpContradiction from './gfp-contradiction.js';
import gfpParamIgnored from './gfp-param-ignored.js';
import kvmallocNoFallback from './kvmalloc-no-fallback.js';
import nofailMisuse from './nofail-misuse.js';
import nofsCargoCult from './nofs-cargo-cult.js';
import nofsRedundant from './nofs-redundant.js';
import scopeMismatch from './scope-mismatch.js';
import scopeOpenCoded from './scope-open-coded.js';
import scopeSingleAllocation from './scope-single-allocation.js';
import scopeUnbalanced from './scope-unbalanced.js';
import sleepInAtomic from './sleep-in-atomic.js';
import vmallocRetryBestEffort from './vmalloc-retry-best-effort.js';
import vmallocUnsupportedGfp from './vmalloc-unsupported-gfp.js';

export const rules: Rule[] = [
  allocFreeMismatch,
  gfpContradiction,
  gfpParamIgnored,
  kvmallocNoFallback,
  nofailMisuse,
  nofsCargoCult,
  nofsRedundant,
  scopeMismatch,
  scopeOpenCoded,
  scopeSingleAllocation,
  scopeUnbalanced,
  sleepInAtomic,
  vmallocRetryBestEffort,
  vmallocUnsupportedGfp,
];

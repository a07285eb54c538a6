/**
 * A full garbage collection on demand, for the few places that must bound memory V8 does not
 * see or would collect too late (syntax trees in workers, a whole-tree run's heap between
 * shards). `gc` is exposed to a fresh context because flags cannot be given to `node` through
 * the launcher's shebang portably; undefined where that is refused.
 */
import v8 from 'node:v8';
import vm from 'node:vm';

export const fullGc: (() => void) | undefined = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    return vm.runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

/** Where configuration files are looked for (read by config.ts; kbuild.ts only checks they exist). */
import path from 'node:path';

/** The names a configuration file may have in a directory of the tree. */
export const CONFIG_NAMES = ['.gfplint.yaml', '.gfplint.yml'];

/** `$XDG_CONFIG_HOME/gfplint/config.yaml` (default ~/.config/gfplint/config.yaml): the farthest file of every walk. */
export function userConfigPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const xdg = env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : env.HOME ? path.join(env.HOME, '.config') : undefined;
  return xdg ? path.join(xdg, 'gfplint', 'config.yaml') : undefined;
}

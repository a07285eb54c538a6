/** The names a configuration file may have, closest directory first (read by config.ts, looked for by kbuild.ts). */
export const CONFIG_NAMES = ['.gfplint.yaml', '.gfplint.yml'];

/**
 * Kbuild's checker interface: `make C=1 CHECK="gfplint --kbuild"` (or C=2) runs
 * `$(CHECK) $(CHECKFLAGS) $(c_flags) file.c` once per compiled file, from the object tree
 * (scripts/Makefile.build: cmd_checksrc). The last argument is the source; every compiler option
 * is tolerated and -D/-U/-I/-include are noted; the configuration's CONFIG_ symbols (the build's
 * generated autoconf.h) decide which conditional code is live. Findings go to stderr in gcc's
 * shape and the exit status is 0 unless --fatal, since Kbuild runs the checker under `set -e`.
 * Start-up matters (one process per file): this module loads neither commander nor globby, and
 * one file is analysed in-process, without worker threads or the whole tree's summaries.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { compareDiagnostics } from '../engine/diagnostic.js';
import { lint, LintError } from '../engine/lint.js';
import { displayPath } from '../program/discover.js';
import { decodeSource } from '../program/source.js';
import { formatText } from '../report/text.js';
import { maskDeadConfigCode, readAutoconf, type ConfigSymbols } from '../syntax/config-conditionals.js';
import { CONFIG_NAMES, userConfigPath } from './config-names.js';
import { UsageError } from './usage-error.js';

/** What Kbuild passed, as far as gfplint cares. */
export interface KbuildInvocation {
  file: string;
  /** -D NAME[=VALUE], in order (VALUE '1' when absent, as the preprocessor does). */
  defines: Map<string, string>;
  undefines: string[];
  includeDirs: string[];
  forcedIncludes: string[];
  /** gfplint's own options, given in CHECK="gfplint --kbuild …" or CF=. */
  fatal: boolean;
  failLevel: 'info' | 'warning' | 'error';
  kernelVersion?: string;
  config?: string | false;
  rules: string[];
  disable: string[];
}

/** gcc options whose value is the next argument (gcc(1)); anything else is one argument. */
const TAKES_ARG = new Set(['-D', '-U', '-I', '-include', '-imacros', '-isystem', '-iquote', '-idirafter', '-iprefix', '-iwithprefix', '-iwithprefixbefore', '-isysroot',
  '-o', '-MF', '-MT', '-MQ', '-x', '-L', '-Xlinker', '-Xassembler', '-Xpreprocessor', '--param', '-aux-info', '-dumpbase', '-dumpdir', '-T', '-z', '-B', '-G', '-A']);

const OWN_VALUE = new Set(['--fail-level', '--kernel-version', '--config', '--rule', '--disable']);

export function parseKbuildArgs(argv: readonly string[]): KbuildInvocation {
  const inv: KbuildInvocation = { file: '', defines: new Map(), undefines: [], includeDirs: [], forcedIncludes: [], fatal: false, failLevel: 'warning', rules: [], disable: [] };
  const args = argv.filter((a) => a !== '--kbuild');
  if (!args.length) throw new UsageError('--kbuild needs the source file as its last argument (make C=1 CHECK="gfplint --kbuild")');
  inv.file = args[args.length - 1];
  for (let i = 0; i < args.length - 1; i++) {
    const a = args[i];
    const own = /^(--[a-z-]+)(?:=(.*))?$/.exec(a);
    if (own && (OWN_VALUE.has(own[1]) || own[1] === '--fatal' || own[1] === '--no-config')) {
      if (own[1] === '--fatal') inv.fatal = true;
      else if (own[1] === '--no-config') inv.config = false;
      else {
        let v = own[2];
        if (v === undefined) {
          // The value cannot be the last argument: that is the source file.
          if (i + 1 >= args.length - 1) throw new UsageError(`${own[1]} needs a value`);
          v = args[++i];
        }
        if (own[1] === '--fail-level') {
          if (v !== 'info' && v !== 'warning' && v !== 'error') throw new UsageError(`unknown fail level '${v}' (expected info, warning or error)`);
          inv.failLevel = v;
        } else if (own[1] === '--kernel-version') inv.kernelVersion = v;
        else if (own[1] === '--config') inv.config = v;
        else (own[1] === '--rule' ? inv.rules : inv.disable).push(...v.split(',').map((s) => s.trim()).filter(Boolean));
      }
      continue;
    }
    const joined = (flag: string) => (a.length > flag.length ? a.slice(flag.length) : args[++i] ?? '');
    if (a.startsWith('-D')) {
      const d = joined('-D');
      const eq = d.indexOf('=');
      inv.defines.set(eq < 0 ? d : d.slice(0, eq), eq < 0 ? '1' : d.slice(eq + 1));
    } else if (a.startsWith('-U')) inv.undefines.push(joined('-U'));
    else if (a.startsWith('-I')) inv.includeDirs.push(joined('-I'));
    else if (a === '-include') inv.forcedIncludes.push(args[++i] ?? '');
    else if (TAKES_ARG.has(a)) i++;
    // Every other option (-W…, -f…, -m…, --arch=…, -Wp,-MMD,…) is the compiler's business.
  }
  return inv;
}

/**
 * The build's configuration: the generated autoconf.h found through the -I directories (Kbuild
 * passes `-I./include` relative to the object tree), then -D/-U of CONFIG_ names on top.
 */
export function configSymbols(inv: KbuildInvocation, cwd: string): ConfigSymbols | undefined {
  let values: Map<string, string> | undefined;
  for (const dir of inv.includeDirs) {
    const f = path.resolve(cwd, dir, 'generated', 'autoconf.h');
    if (existsSync(f)) {
      try {
        values = readAutoconf(readFileSync(f, 'utf8'));
        break;
      } catch {
        // unreadable: look further
      }
    }
  }
  const complete = values !== undefined;
  values ??= new Map();
  for (const [k, v] of inv.defines) if (k.startsWith('CONFIG_')) values.set(k, v);
  for (const k of inv.undefines) values.delete(k);
  return complete || values.size ? { values, complete } : undefined;
}

/** A configuration file applies to the file (from its directory up to the tree top, or the user's own). */
function hasConfigFile(abs: string): boolean {
  const user = userConfigPath();
  if (user && existsSync(user)) return true;
  for (let d = path.dirname(abs), i = 0; i < 128; i++) {
    if (CONFIG_NAMES.some((n) => existsSync(path.join(d, n)))) return true;
    if (existsSync(path.join(d, '.git')) || (existsSync(path.join(d, 'Makefile')) && existsSync(path.join(d, 'include', 'linux')))) return false;
    const up = path.dirname(d);
    if (up === d) return false;
    d = up;
  }
  return false;
}

/** `gfplint --kbuild …`: resolves to the exit status; findings and errors on stderr only. */
export async function kbuildMain(argv: readonly string[], cwd = process.cwd()): Promise<number> {
  try {
    return await checkOne(parseKbuildArgs(argv), cwd);
  } catch (e) {
    if (e instanceof UsageError || e instanceof LintError) {
      process.stderr.write(`gfplint: error: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

async function checkOne(inv: KbuildInvocation, cwd: string): Promise<number> {
  const abs = path.resolve(cwd, inv.file);
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UsageError(`no such file: '${inv.file}' (Kbuild passes the source file last)`);
  }
  if (!st.isFile()) throw new UsageError(`'${inv.file}' is not a file (Kbuild passes the source file last)`);
  const shown = displayPath(abs, cwd);
  const read = decodeSource(readFileSync(abs));
  if ('skip' in read) {
    process.stderr.write(`gfplint: skipped ${shown}: ${read.skip}\n`);
    return 0;
  }
  const symbols = configSymbols(inv, cwd);
  const text = symbols ? maskDeadConfigCode(read.text, symbols).text : read.text;

  // Configuration files are rare in a kernel tree: their reader (yaml, ajv) loads only when one applies.
  const config = inv.config !== false && (inv.config !== undefined || hasConfigFile(abs))
    ? (await import('./config.js')).configureRun({ config: inv.config }, [abs], cwd, inv.rules)
    : undefined;
  const result = await lint({
    sources: [{ path: shown, text }],
    treeRoot: abs,
    cwd,
    noCache: true,
    jobs: 1,
    kernelVersion: inv.kernelVersion ?? config?.kernelVersion,
    rules: inv.rules.length ? inv.rules : config?.rules,
    disable: inv.disable.length ? inv.disable : undefined,
    declared: config?.declared,
  });
  const final = config ? config.apply(result) : result;
  for (const s of final.skipped) process.stderr.write(`gfplint: skipped ${s.file}: ${s.reason}\n`);
  const shownFindings = [...final.findings, ...final.unusedSuppressions].sort(compareDiagnostics);
  if (shownFindings.length) process.stderr.write(formatText(shownFindings, { color: false }));
  const rank = { info: 0, warning: 1, error: 2 } as const;
  return inv.fatal && shownFindings.some((d) => rank[d.severity] >= rank[inv.failLevel]) ? 1 : 0;
}

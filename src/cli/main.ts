/**
 * The command line: `gfplint [paths...]` (also `gfplint check`), `rules`, `explain ID`, `docs`,
 * `facts FILE`, `lsp`. Every failure ends as one `gfplint: error: …` line and exit 2; findings at or
 * above --fail-level give exit 1; SIGINT/SIGTERM give 130/143 without touching the -o file.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import type { Diagnostic } from '../engine/diagnostic.js';
import { compareDiagnostics } from '../engine/diagnostic.js';
import { BaselineError } from '../engine/baseline.js';
import { fileSourceReader } from '../engine/fingerprint.js';
import { analyzeFile, lint, LintError } from '../engine/lint.js';
import type { LintOptions, LintResult } from '../engine/lint-types.js';
import { allRules, getRule, resolveRuleSelection, unknownRuleMessage, UNUSED_DISABLE } from '../engine/registry.js';
import type { Rule, Severity } from '../engine/rule.js';
import { TOOL_NAME, toolVersion } from '../engine/tool-info.js';
import { writeFileAtomic as writeAtomic } from '../engine/write-atomic.js';
import { checkReadme, readmePath, renderRuleSection } from '../docs/render.js';
import { parseKernelVersion } from '../model/version.js';
import { DiscoveryError } from '../program/discover.js';
import { formatFactsJson, formatFactsText } from '../report/facts.js';
import { baselineStep, checkBaselineOptions } from './baseline-step.js';
import { fixableNote, fixStep } from './fix-step.js';
import { formatJson, type JsonReportInput } from '../report/json.js';
import { formatSarif } from '../report/sarif.js';
import { formatGithub, writeStepSummary } from '../report/github.js';
import { formatGitlab } from '../report/gitlab.js';
import { formatCheckpatchTerse } from '../report/checkpatch.js';
import { escapeForTerminal, formatSummary, formatText } from '../report/text.js';
import { addChangeOptions, loadChange, wantsChange, type ChangeOptions } from './patch.js';
import { UsageError } from './usage-error.js';
import { addConfigOptions, configureRun, printConfig, type ConfigOptions } from './config.js';

export { UsageError };

const FORMATS = ['text', 'json', 'sarif', 'gitlab', 'github', 'checkpatch-terse'] as const;
type Format = (typeof FORMATS)[number];
const LEVELS: readonly Severity[] = ['info', 'warning', 'error'];
const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

interface CheckOptions extends ChangeOptions, ConfigOptions {
  maxWarnings?: string;
  format: string;
  output?: string;
  rule: string[];
  disable: string[];
  kernelVersion?: string;
  failLevel?: string;
  jobs?: string;
  cacheDir?: string;
  cache: boolean;
  fileTimeout?: string;
  color: boolean;
  quiet?: boolean;
  stats?: boolean;
  reportUnusedDisable?: boolean;
  explain?: boolean;
  listRules?: boolean;
  baseline?: string;
  updateBaseline?: boolean;
  pruneBaseline?: boolean;
  fix?: boolean;
}

const EXAMPLES = `
Examples:
  gfplint fs/ext4/                          check a directory (kernel version from the tree's Makefile)
  gfplint --kernel-version 6.1 fs/xfs/      check against the 6.1 allocator model
  gfplint --rule sleep-in-atomic mm/        run only one rule
  gfplint --disable nofs-redundant fs/      run the recommended rules but one
  gfplint --format sarif -o gfplint.sarif . write SARIF for code scanning
  gfplint --format gitlab -o gl-code-quality-report.json .
                                            write a GitLab Code Quality report
  gfplint --format github --baseline gfplint-baseline.json .
                                            annotate a GitHub Actions run with the findings not in the baseline
  gfplint --baseline gfplint-baseline.json --update-baseline .
                                            accept today's findings; later runs report only new ones
  gfplint --format json . | jq '.findings[]'
  gfplint rules                             list the rules
  gfplint explain scope-unbalanced          print a rule's documentation
  gfplint facts fs/xfs/xfs_trans.c --function xfs_trans_roll
                                            print what the analysis decided for one function

Suppress a finding with a comment naming the rule, and say why:
  /* gfplint-disable-next-line sleep-in-atomic -- only called at boot */
  p = kmalloc(n, GFP_KERNEL); // gfplint-disable-line sleep-in-atomic

Exit status: 0 when no finding reaches --fail-level, 1 when one does, 2 on a usage or
internal error, 130/143 when interrupted by SIGINT/SIGTERM.
`;

function collect(value: string, previous: string[]): string[] {
  return [...previous, ...value.split(',').map((s) => s.trim()).filter(Boolean)];
}

function addCheckOptions(cmd: Command): Command {
  return addConfigOptions(addChangeOptions(cmd))
    .argument('[paths...]', 'files or directories to check (default: .)')
    .option('--format <format>', 'output format: text, json, sarif, gitlab (Code Quality), github (Actions annotations) or checkpatch-terse (b4)', 'text')
    .option('-o, --output <file>', 'write the report to FILE (atomically) instead of stdout')
    .option('--rule <id>', 'run only this rule (repeatable, or comma-separated)', collect, [])
    .option('--disable <id>', 'do not run this rule (repeatable, or comma-separated)', collect, [])
    .option('--kernel-version <X.Y[.Z]>', "kernel version to model (default: the tree's Makefile, else the newest modelled)")
    .option('--fail-level <level>', 'lowest severity that makes the exit status 1: info, warning or error (default: warning)')
    .option('--jobs <n>', 'parallel workers')
    .option('--cache-dir <dir>', 'where to keep the facts cache')
    .option('--no-cache', 'do not read or write the cache')
    .option('--file-timeout <seconds>', 'per-file time budget; a file over it is skipped')
    .option('--no-color', 'no ANSI colour (also off when NO_COLOR is set or stdout is not a terminal)')
    .option('--quiet', 'no progress and no summary line')
    .option('--stats', 'print unresolved flag names and their counts to stderr')
    .option('--report-unused-disable', 'report suppression comments that silence nothing (default)')
    .option('--no-report-unused-disable', 'do not report unused suppression comments')
    .option('--explain', 'show each related location (where the lock or scope began, the call chain) with its source line')
    .option('--list-rules', 'list the rules and exit')
    .option('--baseline <file>', 'hide the findings listed in FILE (keyed by file, rule, function and code; never by line)')
    .option('--update-baseline', 'write the current findings to the --baseline FILE (atomically), then report against it')
    .option('--prune-baseline', 'drop --baseline entries that no longer match any finding')
    .option('--fix', 'apply the fixes that provably keep behaviour (atomically, only inside the checked paths), then check again');
}

/** Parse and run; resolves to the exit status. Never throws for bad input. */
export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--kbuild')) return (await import('./kbuild.js')).kbuildMain(argv);
  let status = 0;
  const program = new Command(TOOL_NAME);
  program
    .description('Checks memory-allocation call sites in Linux kernel C against a model of what the allocator does with their GFP flags.')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => process.stdout.write(s),
      writeErr: (s) => process.stderr.write(s),
      outputError: (s, write) => write(errorLine(s.replace(/^error:\s*/, ''))),
    })
    .showSuggestionAfterError(true)
    .enablePositionalOptions()
    .version(toolVersion(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help');
  addCheckOptions(program)
    .addHelpText('after', EXAMPLES)
    .action(async (paths: string[], opts: CheckOptions) => {
      status = await runCheck(paths, opts);
    });

  addCheckOptions(program.command('check').description('check files or directories (the default command)')).action(async (paths: string[], opts: CheckOptions) => {
    status = await runCheck(paths, opts);
  });

  program
    .command('rules')
    .description('list the rules: id, severity, confidence, summary')
    .option('--json', 'as JSON')
    .action((opts: { json?: boolean }) => {
      process.stdout.write(opts.json ? rulesJson(allRules()) : rulesTable(allRules()));
    });

  program
    .command('explain')
    .description("print a rule's documentation")
    .argument('<id>', 'rule id')
    .action((id: string) => {
      process.stdout.write(explain(id));
    });

  program
    .command('docs')
    .description("regenerate README.md's rule documentation from the rule metadata")
    .option('--check', 'do not write; exit 1 when README.md is stale')
    .action((opts: { check?: boolean }) => {
      status = runDocs(Boolean(opts.check));
    });

  program
    .command('facts')
    .description('print what the analysis decided for each function of FILE')
    .argument('<file>', 'a C file')
    .option('--function <name>', 'only this function')
    .option('--json', 'as JSON')
    .option('--kernel-version <X.Y[.Z]>', 'kernel version to model')
    .option('--cache-dir <dir>', 'where the summaries of the last whole-tree scan are kept')
    .option('--no-cache', 'ignore the stored summaries of the rest of the tree')
    .addOption(new Option('--file-timeout <seconds>', 'time budget for the file').hideHelp())
    .action((file: string, opts: FactsOptions) => {
      status = runFacts(file, opts);
    });

  program
    .command('census')
    .description('count how TREE uses GFP_NOFS, GFP_NOIO and the scope API, per subsystem, with a verdict for every site')
    .argument('<tree>', 'a kernel tree (or any directory of kernel C)')
    .option('--compare <other>', 'set TREE beside OTHER (the older tree first: census OLD --compare NEW)')
    .option('--format <format>', 'text, json or html', 'text')
    .option('-o, --output <file>', 'write the report to FILE (atomically) instead of stdout')
    .option('--kernel-version <X.Y[.Z]>', "kernel version to model (default: each tree's Makefile)")
    .option('--jobs <n>', 'parallel workers')
    .option('--cache-dir <dir>', 'where to keep the facts cache')
    .option('--no-cache', 'do not read or write the cache')
    .action(async (tree: string, opts: CensusOptions) => {
      status = await runCensus(tree, opts);
    });

  program
    .command('lsp')
    .description('run the language server (stdio unless --node-ipc, --socket=PORT or --pipe=NAME is given)')
    .option('--stdio', 'talk LSP over stdin and stdout (the default)')
    .allowUnknownOption()
    .allowExcessArguments()
    .action(async () => {
      // Loaded only here: the CLI's other commands never pay for the LSP libraries.
      const { startServer } = await import('../lsp/server.js');
      startServer();
    });

  const onPipeError = (e: NodeJS.ErrnoException): void => {
    // `gfplint … | head`: the reader went away; stop quietly, as grep does.
    if (e.code === 'EPIPE') process.exit(status);
  };
  process.stdout.on('error', onPipeError);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return status;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof UsageError || e instanceof LintError || e instanceof DiscoveryError || e instanceof BaselineError) {
      process.stderr.write(errorLine(e.message));
      return 2;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(`${TOOL_NAME}: internal error: ${oneLine(err.message)}${process.env.GFPLINT_DEBUG ? '' : ' (set GFPLINT_DEBUG=1 for a stack trace)'}\n`);
    if (process.env.GFPLINT_DEBUG) process.stderr.write(String(err.stack) + '\n');
    return 2;
  } finally {
    process.stdout.off('error', onPipeError);
  }
}

function oneLine(s: string): string {
  return escapeForTerminal(s.trim().replace(/\s*\n\s*/g, ' '));
}

function errorLine(message: string): string {
  return `${TOOL_NAME}: error: ${oneLine(message)}\n`;
}

function validateKernelVersion(v: string | undefined): void {
  if (v === undefined) return;
  const r = parseKernelVersion(v);
  if ('error' in r) throw new UsageError(r.error);
}

function positiveNumber(name: string, v: string | undefined, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(n) && n > 0 && (!integer || Number.isInteger(n));
  if (!ok) throw new UsageError(`${name} must be a positive ${integer ? 'integer' : 'number'}, not '${v}'`);
  return n;
}

function wholeNumber(name: string, v: string): number {
  const n = Number(v);
  if (v.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`${name} must be a whole number, not '${v}'`);
  return n;
}

function checkPathExists(p: string, cwd: string): void {
  try {
    statSync(resolve(cwd, p));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new UsageError(`no such file or directory: '${p}'`);
    throw new UsageError(`cannot access '${p}': ${(e as Error).message}`);
  }
}

interface CensusOptions {
  compare?: string;
  format: string;
  output?: string;
  kernelVersion?: string;
  jobs?: string;
  cacheDir?: string;
  cache?: boolean;
}

const CENSUS_FORMATS = ['text', 'json', 'html'];

async function runCensus(tree: string, o: CensusOptions): Promise<number> {
  const cwd = process.cwd();
  if (!CENSUS_FORMATS.includes(o.format)) throw new UsageError(`unknown format '${o.format}' (expected text, json or html)`);
  const jobs = positiveNumber('--jobs', o.jobs, true);
  validateKernelVersion(o.kernelVersion);
  if (o.output) checkOutputDir(o.output, cwd);
  const { censusOf, CensusError } = await import('../census/run.js');
  const { compareCensus } = await import('../census/census.js');
  const { formatCensusText, formatComparisonText, formatCensusJson } = await import('../census/text.js');
  const { formatCensusHtml } = await import('../census/html.js');
  const progress = Boolean(process.stderr.isTTY);
  const runOpts = {
    cwd, kernelVersion: o.kernelVersion, jobs, cacheDir: o.cacheDir, noCache: o.cache === false,
    onSkip: (file: string, reason: string) => process.stderr.write(`${TOOL_NAME}: skipped ${escapeForTerminal(file)}: ${oneLine(reason)}\n`),
    onProgress: progress ? (done: number, total: number) => process.stderr.write(`\r\x1b[K${TOOL_NAME}: census: ${done}/${total} files`) : undefined,
  };
  let report: string;
  try {
    const first = await censusOf(tree, runOpts);
    if (progress) process.stderr.write('\r\x1b[K');
    if (o.compare !== undefined) {
      const second = await censusOf(o.compare, runOpts);
      if (progress) process.stderr.write('\r\x1b[K');
      const comparison = compareCensus(first, second);
      report = o.format === 'json' ? formatCensusJson({ comparison }) : o.format === 'html' ? formatCensusHtml({ comparison }) : formatComparisonText(comparison);
    } else {
      report = o.format === 'json' ? formatCensusJson({ census: first }) : o.format === 'html' ? formatCensusHtml({ census: first }) : formatCensusText(first);
    }
  } catch (e) {
    if (e instanceof CensusError) throw new UsageError(e.message);
    throw e;
  }
  if (o.output) writeFileAtomic(resolve(cwd, o.output), report);
  else process.stdout.write(report);
  return 0;
}

async function runCheck(paths: string[], o: CheckOptions): Promise<number> {
  if (o.listRules) {
    process.stdout.write(rulesTable(allRules()));
    return 0;
  }
  const cwd = process.cwd();
  if (o.printConfig !== undefined) {
    process.stdout.write(printConfig(o.printConfig, o, cwd, { ...o }));
    return 0;
  }
  // The configuration files under the command line (config.ts).
  const config = configureRun(o, paths.length ? paths : ['.'], cwd, o.rule);
  o.kernelVersion ??= config.kernelVersion;
  o.failLevel ??= config.failLevel ?? 'warning';
  const maxWarnings = o.maxWarnings === undefined ? config.maxWarnings : wholeNumber('--max-warnings', o.maxWarnings);
  if (!(FORMATS as readonly string[]).includes(o.format)) throw new UsageError(`unknown format '${o.format}' (expected ${FORMATS.join(', ')})`);
  const format = o.format as Format;
  // checkpatch-terse is read line by line (b4 counts any stderr line as a failure): no summary.
  if (format === 'checkpatch-terse') o.quiet = true;
  if (!(LEVELS as readonly string[]).includes(o.failLevel)) throw new UsageError(`unknown fail level '${o.failLevel}' (expected info, warning or error)`);
  const failLevel = o.failLevel as Severity;
  const jobs = positiveNumber('--jobs', o.jobs, true);
  if (jobs !== undefined && jobs > 1024) throw new UsageError(`--jobs must be at most 1024, not '${o.jobs}'`);
  const timeout = positiveNumber('--file-timeout', o.fileTimeout, false);
  validateKernelVersion(o.kernelVersion);
  const selection = resolveRuleSelection(o.rule, o.disable);
  if ('error' in selection) throw new UsageError(selection.error);
  const targets = paths.length ? paths : ['.'];
  for (const p of targets) checkPathExists(p, cwd);
  if (o.output) checkOutputDir(o.output, cwd);
  const baselineProblem = checkBaselineOptions(o, cwd);
  if (baselineProblem) throw new UsageError(baselineProblem);
  if (o.baseline && o.updateBaseline) checkOutputDir(o.baseline, cwd);
  if (o.filterMode !== undefined && !wantsChange(o)) throw new UsageError('--filter-mode needs --patch, --staged or --diff-base');
  const change = wantsChange(o) ? loadChange(o, paths, cwd) : undefined;
  if (change?.noStore && !o.quiet) process.stderr.write(`${TOOL_NAME}: note: no stored summaries of ${escapeForTerminal(change.noStore)} yet: callers and callees outside the change are not known until a whole-tree run ('gfplint .' at its top)\n`);

  const reportUnused = o.reportUnusedDisable !== false;
  const progress = !o.quiet && Boolean(process.stderr.isTTY);
  const color = o.color !== false && !o.output && Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;

  const controller = new AbortController();
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled) process.exit(signalExit(sig)); // a second ^C: stop now; -o was not touched
    signalled = sig;
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const printedSkips = new Set<string>();
  let lastProgress = 0;
  try {
    const lintOptions: LintOptions = {
      ...(change ? change.lintInput : { paths: targets }),
      cwd,
      kernelVersion: o.kernelVersion,
      rules: o.rule.length ? o.rule : config.rules,
      declared: config.declared,
      disable: o.disable.length ? o.disable : undefined,
      jobs,
      cacheDir: o.cacheDir,
      noCache: o.cache === false,
      fileTimeoutMs: timeout === undefined ? undefined : Math.round(timeout * 1000),
      signal: controller.signal,
      onSkip: (file, reason) => {
        printedSkips.add(file);
        if (progress) process.stderr.write('\r\x1b[K');
        process.stderr.write(`${TOOL_NAME}: skipped ${escapeForTerminal(file)}: ${oneLine(reason)}\n`);
      },
      onProgress: progress
        ? (done, total) => {
            const now = Date.now();
            if (now - lastProgress < 100 && done < total) return;
            lastProgress = now;
            process.stderr.write(`\r\x1b[K${TOOL_NAME}: ${done}/${total} files`);
          }
        : undefined,
    };
    const lintFiltered = async (opts: LintOptions) => {
      const linted = await lint(opts);
      return config.apply(change ? change.filter(linted) : linted);
    };
    let result = await lintFiltered(lintOptions);
    const fixed = o.fix ? fixStep(result.findings, { cwd, targets }) : undefined;
    if (fixed) for (const note of fixed.notes) process.stderr.write(escapeForTerminal(note) + '\n');
    if (fixed?.changed && !controller.signal.aborted) result = await lintFiltered({ ...lintOptions, onSkip: undefined });
    if (progress) process.stderr.write('\r\x1b[K');
    // Let a signal that arrived while the pipeline was busy be delivered before anything is
    // written: libuv reads pending signals in its poll phase, which a timer turn guarantees.
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
    if (signalled) return signalExit(signalled);

    for (const s of result.skipped) {
      if (!printedSkips.has(s.file)) process.stderr.write(`${TOOL_NAME}: skipped ${escapeForTerminal(s.file)}: ${oneLine(s.reason)}\n`);
    }
    const unused = reportUnused ? result.unusedSuppressions : [];
    const base = baselineStep([...result.findings, ...unused].sort(compareDiagnostics), o, { cwd, targets, skipped: result.skipped.map((s) => s.file) });
    const shown = base.shown;
    const kept = new Set(shown);
    const reported = { ...result, findings: result.findings.filter((d) => kept.has(d)), unusedSuppressions: unused.filter((d) => kept.has(d)) };
    const summaryWritten = format === 'github' && stepSummary(shown);
    const report = render(format, reported, shown, { color, explain: Boolean(o.explain), cwd, baselined: base.hidden, summaryWritten, source: change?.source });
    if (o.output) writeFileAtomic(resolve(cwd, o.output), report, () => signalled !== undefined);
    else process.stdout.write(report);
    if (signalled) return signalExit(signalled);

    if (o.stats) process.stderr.write(statsText(result));
    if (!o.quiet) for (const note of base.notes) process.stderr.write(escapeForTerminal(note) + '\n');
    const fixable = o.fix || o.quiet ? undefined : fixableNote(shown);
    if (fixable) process.stderr.write(fixable + '\n');
    if (!o.quiet) {
      process.stderr.write(
        formatSummary({ files: result.filesScanned, functions: result.stats.functions, allocationSites: result.stats.allocationSites, seconds: result.stats.seconds, remembered: result.stats.remembered }, shown),
      );
    }
    const tooManyWarnings = maxWarnings !== undefined && shown.filter((d) => d.severity === 'warning').length > maxWarnings;
    return tooManyWarnings || shown.some((d) => RANK[d.severity] >= RANK[failLevel]) ? 1 : 0;
  } catch (e) {
    if (signalled) return signalExit(signalled);
    throw e;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function signalExit(sig: NodeJS.Signals): number {
  return sig === 'SIGTERM' ? 143 : 130;
}

function render(
  format: Format,
  result: LintResult,
  shown: Diagnostic[],
  opts: { color: boolean; explain: boolean; cwd: string; baselined: Diagnostic[]; summaryWritten: boolean; source?: (file: string) => string | undefined },
): string {
  const input: JsonReportInput = result;
  if (format === 'json') return formatJson(input);
  if (format === 'gitlab') return formatGitlab(shown, fileSourceReader(opts.cwd));
  if (format === 'github') return formatGithub(shown, { summaryWritten: opts.summaryWritten });
  if (format === 'sarif') return formatSarif(input, { rules: allRules(), cwd: opts.cwd, baselined: opts.baselined });
  if (format === 'checkpatch-terse') return formatCheckpatchTerse(shown);
  const cache = new Map<string, string | undefined>();
  const source = (file: string): string | undefined => {
    if (!cache.has(file)) {
      let text = opts.source?.(file);
      try {
        text ??= readFileSync(resolve(opts.cwd, file), 'utf8');
      } catch {
        text = undefined;
      }
      cache.set(file, text);
    }
    return cache.get(file);
  };
  return formatText(shown, { color: opts.color, explain: opts.explain, source });
}

function stepSummary(shown: Diagnostic[]): boolean {
  try {
    return writeStepSummary(shown);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

function statsText(result: LintResult): string {
  const entries = Object.entries(result.stats.unresolved).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const lines = [`${TOOL_NAME}: ${entries.length} unresolved flag name${entries.length === 1 ? '' : 's'}${entries.length ? ' (sites using each):' : ''}`];
  const w = Math.max(0, ...entries.map(([n]) => n.length));
  for (const [name, count] of entries) lines.push(`  ${escapeForTerminal(name).padEnd(w)}  ${count}`);
  lines.push(`${TOOL_NAME}: GFP table: ${escapeForTerminal(result.gfpSource)}; kernel ${result.kernelVersion}; cache hits: ${result.stats.cacheHits}`);
  return lines.join('\n') + '\n';
}

function checkOutputDir(output: string, cwd: string): void {
  const target = resolve(cwd, output);
  // A directory named as the report: refused before anything is created (the temporary file
  // would otherwise go to its parent, `/` for `-o /tmp`).
  let existing;
  try {
    existing = statSync(target);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new UsageError(`-o/--output '${output}' is a directory: name the report file (e.g. '${join(output, 'gfplint.json')}')`);
  if (existing && !existing.isFile()) throw new UsageError(`-o/--output '${output}' is not a regular file`);
  const dir = dirname(target);
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UsageError(`cannot write '${output}': directory '${dir}' does not exist`);
  }
  if (!st.isDirectory()) throw new UsageError(`cannot write '${output}': '${dir}' is not a directory`);
}

/** engine/write-atomic.ts, with a failure as one clear error line. */
export function writeFileAtomic(target: string, data: string, abandon: () => boolean = () => false): void {
  try {
    writeAtomic(target, data, { abandon });
  } catch (e) {
    throw new UsageError(`cannot write '${target}': ${(e as Error).message}`);
  }
}

function rulesTable(rules: readonly Rule[]): string {
  const rows = [['ID', 'SEVERITY', 'CONFIDENCE', 'SUMMARY'], ...rules.map((r) => [r.id, r.severity, r.confidence, r.summary + (r.recommended ? '' : ' (off by default)')])];
  if (rules.length === 0) return 'No rules are registered.\n';
  const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i < 3 ? c.padEnd(w[i]) : c)).join('  ')).join('\n') + '\n';
}

function rulesJson(rules: readonly Rule[]): string {
  const list = rules.map((r) => ({ id: r.id, severity: r.severity, confidence: r.confidence, recommended: r.recommended, scope: r.scope, summary: r.summary }));
  return JSON.stringify(list, null, 2) + '\n';
}

function explain(id: string): string {
  if (id === UNUSED_DISABLE) {
    return (
      `### ${UNUSED_DISABLE}\n\nReports suppression comments that silence nothing, name an unknown rule or are malformed.\n\n` +
      'A stale suppression hides nothing today and will silently hide a future finding on its line. ' +
      'Delete it, or correct the rule id. Turn the report off with --no-report-unused-disable.\n'
    );
  }
  const rule = getRule(id);
  if (!rule) throw new UsageError(unknownRuleMessage(id));
  return renderRuleSection(rule);
}

function runDocs(check: boolean): number {
  const r = checkReadme(allRules());
  if ('error' in r) throw new UsageError(r.error);
  if (check) {
    if (r.current) return 0;
    process.stderr.write(`${TOOL_NAME}: README.md's rule documentation is stale; run 'npm run docs'\n`);
    return 1;
  }
  if (!r.current) writeFileAtomic(readmePath(), r.text);
  process.stderr.write(`${TOOL_NAME}: ${r.current ? 'README.md is up to date' : 'updated README.md'}\n`);
  return 0;
}

interface FactsOptions { function?: string; json?: boolean; kernelVersion?: string; fileTimeout?: string; cacheDir?: string; cache?: boolean }

function runFacts(file: string, o: FactsOptions): number {
  const cwd = process.cwd();
  validateKernelVersion(o.kernelVersion);
  const timeout = positiveNumber('--file-timeout', o.fileTimeout, false);
  checkPathExists(file, cwd);
  if (statSync(resolve(cwd, file)).isDirectory()) throw new UsageError(`'${file}' is a directory; facts takes one file`);
  const res = analyzeFile(file, {
    cwd, kernelVersion: o.kernelVersion, fileTimeoutMs: timeout === undefined ? undefined : Math.round(timeout * 1000), cacheDir: o.cacheDir, noCache: o.cache === false,
  });
  if (res.skipped) {
    process.stderr.write(`${TOOL_NAME}: skipped ${escapeForTerminal(file)}: ${oneLine(res.skipped)}\n`);
    return 2;
  }
  const views = o.function === undefined ? res.views : res.views.filter((v) => v.name === o.function);
  if (o.function !== undefined && views.length === 0) throw new UsageError(`no function '${o.function}' in '${file}'`);
  process.stdout.write(o.json ? formatFactsJson(file, res.model, views, res.program) : formatFactsText(file, res.model, views, res.program));
  return 0;
}

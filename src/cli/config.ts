/**
 * The configuration file `.gfplint.yaml`: data only (YAML without tags, nothing that runs), found
 * by walking up from each file to one with `root: true` or the top of the tree, merged closer
 * over farther, under the command line. Validated against CONFIG_SCHEMA; an error names the file,
 * the line and the key.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject } from 'ajv';
import type { Command } from 'commander';
import type { Document, Node } from 'yaml';
import type { Diagnostic } from '../engine/diagnostic.js';
import type { DeclaredModel, LintResult } from '../engine/lint-types.js';
import { allRules, UNUSED_DISABLE } from '../engine/registry.js';
import type { Severity } from '../engine/rule.js';
import { ALLOC_FAMILIES, toSpec, type AllocatorRow } from '../model/allocators.js';
import { SCOPE_CLEARS, type ScopeProvider } from '../model/memalloc-scopes.js';
import { parseKernelVersion } from '../model/version.js';
import { CONFIG_NAMES, userConfigPath } from './config-names.js';
import { UsageError } from './usage-error.js';

export { CONFIG_NAMES };

// The YAML parser and the schema validator load only when a configuration file is read: most runs
// have none, and together they cost a run's start-up about as much as the analysis of a file.
const require = createRequire(import.meta.url);
let yamlModule: typeof import('yaml') | undefined;
const yaml = () => (yamlModule ??= require('yaml') as typeof import('yaml'));

const IDENT = { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$' };
const INDEX = { type: 'integer', minimum: 0 };

/**
 * The JSON schema of `.gfplint.yaml` (draft-07). `allocators` and `scope-providers` take the
 * fields of the model's own tables (src/model/allocators.ts ALLOCATOR_ROWS, memalloc-scopes.ts
 * PROVIDERS), so an out-of-tree API is declared as the kernel's are.
 */
export const CONFIG_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'gfplint configuration (.gfplint.yaml)',
  type: 'object',
  additionalProperties: false,
  properties: {
    root: { type: 'boolean', description: 'stop looking for configuration files in the directories above' },
    'kernel-version': { type: 'string', pattern: '^[0-9]+\\.[0-9]+(\\.[0-9]+)?$', description: "the kernel version to model, quoted: '6.1'" },
    rules: { type: 'object', additionalProperties: { enum: ['off', 'on', 'info', 'warning', 'error'] }, description: 'rule id: off, on (its default severity) or a severity' },
    ignore: { type: 'array', items: { type: 'string', minLength: 1 }, description: "globs relative to this file's directory whose findings are not reported" },
    allocators: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'family', 'gfpArg'],
        properties: {
          name: IDENT,
          family: { enum: ALLOC_FAMILIES },
          gfpArg: { anyOf: [INDEX, { type: 'null' }] },
          implied: { type: 'string', minLength: 1 },
          optionalGfp: { type: 'boolean' },
          adds: { type: 'array', items: IDENT },
          sleeps: { enum: ['always', 'if-blocking', 'never'] },
          orderArg: INDEX,
          fixedOrder: INDEX,
          sizeArg: INDEX,
          frees: { type: 'array', items: IDENT },
          returnsPointer: { type: 'boolean' },
          note: { type: 'string' },
        },
      },
    },
    'scope-providers': {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['start', 'stop', 'kind'],
        properties: {
          start: IDENT,
          stop: IDENT,
          altStops: { type: 'array', items: IDENT },
          kind: { enum: Object.keys(SCOPE_CLEARS).filter((k) => k !== 'flags') },
          handleType: { type: 'string', minLength: 1 },
          cookieField: IDENT,
          handleParam: { anyOf: [INDEX, { const: 'return' }] },
          onlyWhen: { type: 'string' },
          someExits: { type: 'boolean' },
          note: { type: 'string' },
        },
      },
    },
    'fail-level': { enum: ['info', 'warning', 'error'] },
    'max-warnings': { type: 'integer', minimum: 0 },
  },
} as const;

/** One configuration file as written. */
interface ConfigData {
  root?: boolean;
  'kernel-version'?: string;
  rules?: Record<string, 'off' | 'on' | Severity>;
  ignore?: string[];
  allocators?: AllocatorRow[];
  'scope-providers'?: (Omit<ScopeProvider, 'note'> & { note?: string })[];
  'fail-level'?: Severity;
  'max-warnings'?: number;
}

interface ConfigFile { file: string; dir: string; data: ConfigData }

/** The configuration in force for one file: its files, farthest first, folded. */
export interface EffectiveConfig {
  sources: string[];
  kernelVersion?: string;
  rules: Record<string, 'off' | 'on' | Severity>;
  ignore: { dir: string; glob: string; match: RegExp }[];
  allocators: AllocatorRow[];
  scopeProviders: ScopeProvider[];
  failLevel?: Severity;
  maxWarnings?: number;
}

export interface ConfigOptions {
  /** A file (used instead of discovery), or false for --no-config. */
  config?: string | false;
  printConfig?: string;
}

export function addConfigOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'use this configuration file instead of the .gfplint.yaml files found from each file upwards')
    .option('--no-config', 'read no configuration file')
    .option('--print-config <file>', 'print the configuration in force for FILE (after the command line) and exit')
    .option('--max-warnings <n>', 'exit 1 when there are more than N warnings, whatever --fail-level says');
}

let validator: ReturnType<import('ajv').Ajv['compile']> | undefined;

/** Reads and validates one configuration file; every problem is a UsageError naming file:line:col. */
export function readConfigFile(file: string, cwd: string): ConfigFile {
  const shown = path.relative(cwd, file) || file;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(`cannot read configuration file '${shown}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  const { LineCounter, parseDocument } = yaml();
  const lines = new LineCounter();
  // The core schema of YAML 1.2 (no custom tags: nothing in a file can construct code), unique keys.
  const doc = parseDocument(text, { lineCounter: lines, schema: 'core', uniqueKeys: true, prettyErrors: false });
  const at = (offset: number) => {
    const p = lines.linePos(offset);
    return `${shown}:${p.line}:${p.col}`;
  };
  const first = doc.errors[0] ?? doc.warnings[0];
  if (first) throw new UsageError(`${at(first.pos[0])}: ${first.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`);
  const data = (doc.contents === null ? {} : doc.toJS({ maxAliasCount: 100 })) as unknown;
  validator ??= new (require('ajv') as typeof import('ajv')).Ajv({ allErrors: false, strict: true }).compile(CONFIG_SCHEMA);
  if (!validator(data)) {
    const err = validator.errors![0];
    const { offset, message } = describe(doc, err);
    throw new UsageError(`${at(offset)}: ${message}`);
  }
  const cfg = data as ConfigData;
  const kv = cfg['kernel-version'];
  const version = kv === undefined ? undefined : parseKernelVersion(kv);
  if (version && 'error' in version) throw new UsageError(`${at(nodeAt(doc, ['kernel-version'])?.range?.[0] ?? 0)}: 'kernel-version': ${version.error}`);
  const known = new Set([...allRules().map((r) => r.id), UNUSED_DISABLE]);
  for (const id of Object.keys(cfg.rules ?? {})) {
    if (!known.has(id)) throw new UsageError(`${at(keyNode(doc, ['rules'], id)?.range?.[0] ?? 0)}: unknown rule 'rules.${id}' (see 'gfplint rules')`);
  }
  for (const [i, a] of (cfg.allocators ?? []).entries()) {
    if (a.gfpArg === null && !a.implied) throw new UsageError(`${at(nodeAt(doc, ['allocators', i])?.range?.[0] ?? 0)}: 'allocators[${i}]': gfpArg null needs 'implied' (the mask the API uses)`);
  }
  return { file, dir: path.dirname(file), data: cfg };
}

function pathOf(err: ErrorObject): (string | number)[] {
  return err.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~')).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function keyName(segments: (string | number)[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

function nodeAt(doc: Document, segments: (string | number)[]): Node | undefined {
  return (segments.length ? doc.getIn(segments, true) : doc.contents) as Node | undefined;
}

function keyNode(doc: Document, parent: (string | number)[], key: string): Node | undefined {
  const map = nodeAt(doc, parent);
  if (!yaml().isMap(map)) return undefined;
  const pair = map.items.find((p) => (p.key as { value?: unknown } | null)?.value === key);
  return pair?.key as Node | undefined;
}

function describe(doc: Document, err: ErrorObject): { offset: number; message: string } {
  const segments = pathOf(err);
  const name = keyName(segments);
  const offsetOf = (n: Node | undefined) => n?.range?.[0] ?? 0;
  const where = offsetOf(nodeAt(doc, segments));
  switch (err.keyword) {
    case 'additionalProperties': {
      const key = String(err.params.additionalProperty);
      const full = keyName([...segments, key]);
      const allowed = Object.keys(schemaAt(segments)?.properties ?? {});
      return { offset: offsetOf(keyNode(doc, segments, key)), message: `unknown key '${full}'${allowed.length ? ` (expected ${allowed.join(', ')})` : ''}` };
    }
    case 'required':
      return { offset: where, message: `'${name || 'the file'}' is missing '${String(err.params.missingProperty)}'` };
    case 'enum':
      return { offset: where, message: `'${name}' must be one of ${(err.params.allowedValues as unknown[]).map((v) => String(v)).join(', ')}` };
    case 'pattern':
      return { offset: where, message: name === 'kernel-version' ? `'${name}' must be X.Y or X.Y.Z` : `'${name}' must be a C identifier` };
    case 'type':
      return {
        offset: where,
        message: name === 'kernel-version' ? `'${name}' must be a quoted string ('6.10', not 6.10, which YAML reads as the number 6.1)` : `${name ? `'${name}'` : 'the configuration'} must be ${article(String(err.params.type))}`,
      };
    default:
      return { offset: where, message: `'${name || 'the file'}' ${err.message ?? 'is not valid'}` };
  }
}

function article(t: string): string {
  const nice = t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'a whole number' : t === 'boolean' ? 'true or false' : `a ${t}`;
  return nice;
}

/** The schema node of an object at `segments` (for listing the keys it accepts). */
function schemaAt(segments: (string | number)[]): { properties?: Record<string, unknown> } | undefined {
  let s: unknown = CONFIG_SCHEMA;
  for (const seg of segments) {
    const node = s as { properties?: Record<string, unknown>; items?: unknown; additionalProperties?: unknown };
    s = typeof seg === 'number' ? node.items : node.properties?.[seg] ?? node.additionalProperties;
  }
  return s as { properties?: Record<string, unknown> } | undefined;
}

/** The top of a tree: a git work tree's top or a kernel tree's root; discovery stops there. */
function isTreeTop(dir: string): boolean {
  return existsSync(path.join(dir, '.git')) || (existsSync(path.join(dir, 'Makefile')) && existsSync(path.join(dir, 'include', 'linux')));
}

/** Finds and reads configuration files, memoised per directory. */
export class ConfigFinder {
  private readonly chains = new Map<string, ConfigFile[]>();
  private readonly effective = new Map<string, EffectiveConfig>();
  constructor(private readonly cwd: string, private readonly explicit?: string | false) {}

  /** The files in force for a directory, farthest first. */
  chain(dir: string): ConfigFile[] {
    if (this.explicit === false) return [];
    if (this.explicit !== undefined) return this.memo('', () => [readConfigFile(path.resolve(this.cwd, this.explicit as string), this.cwd)]);
    return this.memo(dir, () => {
      let here: ConfigFile | undefined;
      for (const name of CONFIG_NAMES) {
        const f = path.join(dir, name);
        if (existsSync(f)) {
          here = readConfigFile(f, this.cwd);
          break;
        }
      }
      const up = path.dirname(dir);
      const stop = here?.data.root === true || isTreeTop(dir) || up === dir;
      // Past the tree's top, the user's own file (for trees that take no dotfiles upstream).
      const above = here?.data.root === true ? [] : stop ? this.user() : this.chain(up);
      return here ? [...above, here] : above;
    });
  }

  private user(): ConfigFile[] {
    return this.memo('\0user', () => {
      const file = userConfigPath();
      return file && existsSync(file) ? [readConfigFile(file, this.cwd)] : [];
    });
  }

  private memo(key: string, make: () => ConfigFile[]): ConfigFile[] {
    let c = this.chains.get(key);
    if (!c) {
      c = make();
      this.chains.set(key, c);
    }
    return c;
  }

  /** The configuration in force for a file or directory. */
  forPath(p: string): EffectiveConfig {
    const abs = path.resolve(this.cwd, p);
    let dir = abs;
    try {
      if (!statSync(abs).isDirectory()) dir = path.dirname(abs);
    } catch {
      dir = path.dirname(abs);
    }
    let e = this.effective.get(dir);
    if (!e) {
      e = fold(this.chain(dir));
      this.effective.set(dir, e);
    }
    return e;
  }
}

function fold(files: ConfigFile[]): EffectiveConfig {
  const out: EffectiveConfig = { sources: files.map((f) => f.file), rules: {}, ignore: [], allocators: [], scopeProviders: [] };
  const allocators = new Map<string, AllocatorRow>();
  const providers = new Map<string, ScopeProvider>();
  for (const { file, dir, data } of files) {
    if (data['kernel-version'] !== undefined) out.kernelVersion = data['kernel-version'];
    if (data['fail-level'] !== undefined) out.failLevel = data['fail-level'];
    if (data['max-warnings'] !== undefined) out.maxWarnings = data['max-warnings'];
    Object.assign(out.rules, data.rules ?? {});
    for (const glob of data.ignore ?? []) out.ignore.push({ dir, glob, match: globToRegExp(glob) });
    for (const a of data.allocators ?? []) allocators.set(a.name, { note: `declared in ${file}`, ...a });
    for (const p of data['scope-providers'] ?? []) providers.set(p.start, { note: `declared in ${file}`, ...p } as ScopeProvider);
  }
  out.allocators = [...allocators.values()];
  out.scopeProviders = [...providers.values()];
  return out;
}

/**
 * A gitignore-like glob as a regular expression over a '/'-separated path relative to the
 * configuration's directory: `*` and `?` stay within a component, `**` spans components, a
 * pattern without '/' matches a name at any depth, and a match of a directory covers what is in it.
 */
export function globToRegExp(glob: string): RegExp {
  let g = glob.replace(/^\.\//, '');
  const anchored = g.replace(/\/$/, '').includes('/');
  g = g.replace(/^\//, '').replace(/\/$/, '');
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i];
    if (c === '*' && g[i + 1] === '*') {
      const slash = g[i + 2] === '/';
      re += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${anchored ? '' : '(?:.*/)?'}${re}(?:/.*)?$`);
}

/** What the configuration decides for a run, and the per-file part applied to its result. */
export interface RunConfig {
  kernelVersion?: string;
  failLevel?: Severity;
  maxWarnings?: number;
  /** Rules to run when the configuration turns on one that is off by default. */
  rules?: string[];
  declared?: DeclaredModel;
  apply(result: LintResult): LintResult;
}

/**
 * The run's configuration: the run-wide settings (kernel version, fail level, declared APIs, rules
 * to run) from the configuration in force at each given path; rules and ignores per finding from
 * the configuration in force at its file. `cliRules` (--rule) are reported whatever a file says.
 */
export function configureRun(o: ConfigOptions, targets: string[], cwd: string, cliRules: string[]): RunConfig {
  const finder = new ConfigFinder(cwd, o.config);
  const atTargets = targets.map((t) => finder.forPath(t));
  const run = foldEffective(atTargets);
  const recommended = allRules().filter((r) => r.recommended).map((r) => r.id);
  const turnedOn = Object.entries(run.rules).filter(([id, v]) => v !== 'off' && !recommended.includes(id)).map(([id]) => id);
  const declared = run.allocators.length || run.scopeProviders.length
    ? {
        allocators: run.allocators.map(toSpec),
        scopeProviders: run.scopeProviders,
        digest: createHash('sha1').update(JSON.stringify([run.allocators, run.scopeProviders])).digest('hex').slice(0, 12),
      }
    : undefined;
  const explicit = new Set(cliRules);
  const keep = (d: Diagnostic): Diagnostic | undefined => {
    const e = finder.forPath(d.file);
    const rel = (dir: string) => path.relative(dir, path.resolve(cwd, d.file)).split(path.sep).join('/');
    if (e.ignore.some((i) => !rel(i.dir).startsWith('../') && i.match.test(rel(i.dir)))) return undefined;
    const setting = e.rules[d.rule];
    if (explicit.has(d.rule) || setting === undefined || setting === 'on') return d;
    if (setting === 'off') return undefined;
    return { ...d, severity: setting };
  };
  const filter = (ds: Diagnostic[]) => ds.map(keep).filter((d): d is Diagnostic => d !== undefined);
  return {
    kernelVersion: run.kernelVersion,
    failLevel: run.failLevel,
    maxWarnings: run.maxWarnings,
    rules: turnedOn.length ? [...recommended, ...turnedOn] : undefined,
    declared,
    apply: (r) => ({ ...r, findings: filter(r.findings), unusedSuppressions: filter(r.unusedSuppressions), suppressed: filter(r.suppressed) }),
  };
}

/** Several given paths: their configurations folded in order (later paths' settings win). */
function foldEffective(list: EffectiveConfig[]): EffectiveConfig {
  const out: EffectiveConfig = { sources: [], rules: {}, ignore: [], allocators: [], scopeProviders: [] };
  const allocators = new Map<string, AllocatorRow>();
  const providers = new Map<string, ScopeProvider>();
  for (const e of list) {
    for (const s of e.sources) if (!out.sources.includes(s)) out.sources.push(s);
    out.kernelVersion = e.kernelVersion ?? out.kernelVersion;
    out.failLevel = e.failLevel ?? out.failLevel;
    out.maxWarnings = e.maxWarnings ?? out.maxWarnings;
    Object.assign(out.rules, e.rules);
    for (const a of e.allocators) allocators.set(a.name, a);
    for (const p of e.scopeProviders) providers.set(p.start, p);
  }
  out.allocators = [...allocators.values()];
  out.scopeProviders = [...providers.values()];
  return out;
}

/** `--print-config FILE`: the configuration in force for FILE, with the command line's settings on top. */
export function printConfig(file: string, o: ConfigOptions, cwd: string, cli: { kernelVersion?: string; failLevel?: string; maxWarnings?: string; rule: string[]; disable: string[] }): string {
  const e = new ConfigFinder(cwd, o.config).forPath(file);
  const rules: Record<string, string> = { ...e.rules };
  for (const id of cli.rule) rules[id] = 'on';
  for (const id of cli.disable) rules[id] = 'off';
  const out: Record<string, unknown> = {};
  const kv = cli.kernelVersion ?? e.kernelVersion;
  if (kv !== undefined) out['kernel-version'] = kv;
  if (Object.keys(rules).length) out.rules = rules;
  if (e.ignore.length) out.ignore = e.ignore.map((i) => ({ glob: i.glob, in: path.relative(cwd, i.dir).split(path.sep).join('/') || '.' }));
  if (e.allocators.length) out.allocators = e.allocators;
  if (e.scopeProviders.length) out['scope-providers'] = e.scopeProviders;
  const fl = cli.failLevel ?? e.failLevel;
  if (fl !== undefined) out['fail-level'] = fl;
  const mw = cli.maxWarnings !== undefined ? Number(cli.maxWarnings) : e.maxWarnings;
  if (mw !== undefined) out['max-warnings'] = mw;
  const from = e.sources.length ? e.sources.map((s) => `#   ${path.relative(cwd, s) || s}`).join('\n') : '#   (no configuration file)';
  return `# The configuration in force for ${file}, from (farthest first):\n${from}\n${Object.keys(out).length ? yaml().stringify(out) : '{}\n'}`;
}

/**
 * The compiler-style text report: `file:line:col: severity: in 'fn': message [rule-id]`, the
 * source line with a caret under the range (tabs expanded to 8 columns, as gcc does), and the
 * related locations as `note:` lines. Everything that came from the input is escaped for the
 * terminal first, so a file name or a source line cannot move the cursor or hide text.
 */
import type { Diagnostic } from '../engine/diagnostic.js';
import type { Severity } from '../engine/rule.js';

export interface TextOptions {
  /** ANSI colour; the CLI enables it only on a TTY without NO_COLOR and without --no-color. */
  color: boolean;
  /** Print each related location with its own source excerpt (the witness chain). */
  explain?: boolean;
  /** The text of a file by its printed path; no excerpt is shown when this is absent or undefined. */
  source?: (file: string) => string | undefined;
}

const TAB_WIDTH = 8;

const SGR = {
  bold: '1',
  error: '1;31',
  warning: '1;35',
  info: '1;34',
  note: '1;36',
  caret: '1;32',
} as const;

/**
 * Printable form of text that came from the input (file names, messages, source lines): control
 * characters, C1 controls, lone surrogates and the Unicode bidi overrides ("Trojan Source") become
 * `\n`, `\t`, `\r`, `\xNN` or `\u{NNNN}` escapes; everything else is unchanged.
 */
export function escapeForTerminal(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    const ch = s[i];
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + s[i + 1];
        i++;
        continue;
      }
      out += hexEscape(code);
      continue;
    }
    out += isUnsafe(code) ? escapeChar(code) : ch;
  }
  return out;
}

function isUnsafe(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0xdc00 && code <= 0xdfff) ||
    code === 0x200e || code === 0x200f || code === 0x2028 || code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    code === 0xfeff
  );
}

function escapeChar(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x09) return '\\t';
  if (code === 0x0d) return '\\r';
  return hexEscape(code);
}

function hexEscape(code: number): string {
  return code < 0x100 ? '\\x' + code.toString(16).padStart(2, '0') : '\\u{' + code.toString(16).padStart(4, '0') + '}';
}

function paint(on: boolean, sgr: string, s: string): string {
  return on ? `\x1b[${sgr}m${s}\x1b[0m` : s;
}

/**
 * A source line as displayed (tabs expanded, unsafe characters escaped) and the display column
 * at which each UTF-16 index of the original line starts; `cols[line.length]` is the end.
 */
export function displayLine(line: string): { text: string; cols: number[] } {
  let text = '';
  const cols: number[] = [];
  for (let i = 0; i < line.length; i++) {
    cols[i] = text.length;
    const code = line.charCodeAt(i);
    if (code === 0x09) {
      text += ' '.repeat(TAB_WIDTH - (text.length % TAB_WIDTH));
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < line.length && (line.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      // A surrogate pair: one character on screen, two code units in the string.
      text += line[i] + line[i + 1];
      cols[i + 1] = cols[i];
      i++;
    } else {
      text += escapeForTerminal(line[i]);
    }
  }
  cols[line.length] = text.length;
  return { text, cols };
}

/** Display width, counting a surrogate pair as one column. */
function width(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) if ((s.charCodeAt(i) & 0xfc00) !== 0xdc00) n++;
  return n;
}

/**
 * The two excerpt lines gcc prints under a diagnostic: `   12 | code` and `      |     ^~~~`.
 * `column` and `endColumn` are 1-based UTF-16 columns; `endColumn` is exclusive and, when absent
 * or not after `column`, the caret stands alone.
 */
export function excerpt(lineText: string, lineNo: number, column: number, endColumn: number | undefined, color: boolean): string[] {
  const line = lineText.replace(/\r$/, '');
  const { text, cols } = displayLine(line);
  const start = clamp(column - 1, 0, line.length);
  const endIdx = endColumn === undefined ? start : clamp(endColumn - 1, start, line.length);
  const startW = width(text.slice(0, cols[start]));
  const endW = Math.max(startW + 1, width(text.slice(0, cols[endIdx])));
  const gutter = String(lineNo).padStart(5);
  const mark = '^' + '~'.repeat(endW - startW - 1);
  return [`${gutter} | ${text}`, `${' '.repeat(gutter.length)} | ${' '.repeat(startW)}${paint(color, SGR.caret, mark)}`];
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}

function lineOf(source: string | undefined, lineNo: number): string | undefined {
  if (source === undefined || lineNo < 1) return undefined;
  let start = 0;
  for (let l = 1; l < lineNo; l++) {
    const nl = source.indexOf('\n', start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const nl = source.indexOf('\n', start);
  return source.slice(start, nl < 0 ? undefined : nl);
}

/** One diagnostic with its excerpt and notes, newline-terminated. */
export function formatDiagnostic(d: Diagnostic, opts: TextOptions): string {
  const c = opts.color;
  const sourceCache = new Map<string, string | undefined>();
  const src = (file: string): string | undefined => {
    if (!opts.source) return undefined;
    if (!sourceCache.has(file)) sourceCache.set(file, opts.source(file));
    return sourceCache.get(file);
  };
  const loc = (file: string, line: number, col: number): string => paint(c, SGR.bold, `${escapeForTerminal(file)}:${line}:${col}:`);
  const sev = (s: Severity | 'note'): string => paint(c, SGR[s], `${s}:`);
  const fn = d.function ? `in '${escapeForTerminal(d.function)}': ` : '';
  const out = [`${loc(d.file, d.line, d.column)} ${sev(d.severity)} ${fn}${escapeForTerminal(d.message)} ${paint(c, SGR[d.severity], `[${d.rule}]`)}`];
  const text = lineOf(src(d.file), d.line);
  if (text !== undefined) out.push(...excerpt(text, d.line, d.column, d.endLine === d.line ? d.endColumn : text.trimEnd().length + 1, c));
  for (const r of d.related) {
    out.push(`${loc(r.file, r.line, r.column)} ${sev('note')} ${escapeForTerminal(r.message)}`);
    if (!opts.explain) continue;
    const rt = lineOf(src(r.file), r.line);
    if (rt !== undefined) out.push(...excerpt(rt, r.line, r.column, undefined, c));
  }
  return out.join('\n') + '\n';
}

/** Every diagnostic in the order given (the pipeline sorts). */
export function formatText(diags: readonly Diagnostic[], opts: TextOptions): string {
  return diags.map((d) => formatDiagnostic(d, opts)).join('');
}

export interface SummaryCounts {
  files: number;
  functions: number;
  allocationSites: number;
  seconds: number;
  /** The result was remembered from an earlier run over the same, unchanged files. */
  remembered?: boolean;
}

function plural(n: number, one: string, many = one + 's'): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `gfplint: N files, N functions, N allocation sites, N findings (E errors, W warnings, I info) in S s`. */
export function formatSummary(counts: SummaryCounts, diags: readonly Diagnostic[]): string {
  const by = (s: Severity): number => diags.filter((d) => d.severity === s).length;
  return (
    `gfplint: ${plural(counts.files, 'file')}, ${plural(counts.functions, 'function')}, ` +
    `${plural(counts.allocationSites, 'allocation site')}, ${plural(diags.length, 'finding')} ` +
    `(${plural(by('error'), 'error')}, ${plural(by('warning'), 'warning')}, ${by('info')} info) ` +
    `in ${counts.seconds.toFixed(2)} s${counts.remembered ? ' (nothing changed since the last run: its result)' : ''}\n`
  );
}

/**
 * Suppression comments: `/* gfplint-disable-next-line RULE[, RULE] -- reason *\/` silences those
 * rules on the line after the comment, `// gfplint-disable-line RULE` on its own line. A
 * suppression that silences nothing, names an unknown rule or is malformed is itself reported
 * under the pseudo-rule `unused-disable`. Pure: comments and findings in, partition out.
 */
import type { CommentFact } from '../syntax/facts.js';
import { compareDiagnostics, type Diagnostic } from './diagnostic.js';
import { knownRuleIds, UNUSED_DISABLE } from './registry.js';

export interface Suppression {
  file: string;
  kind: 'disable-line' | 'disable-next-line';
  /** The 1-based line whose findings it silences. */
  targetLine: number;
  rules: string[];
  reason?: string;
  comment: CommentFact;
}

export interface SuppressionOptions {
  /** Ids a suppression may name; default: every registered rule plus `unused-disable`. */
  knownRules?: ReadonlySet<string>;
  /**
   * The rules that ran. A suppression of a known rule that did not run cannot be judged and is
   * not reported as unused. Default: every known rule ran.
   */
  enabledRules?: ReadonlySet<string>;
}

export interface SuppressionResult {
  /** Findings no suppression matched. */
  kept: Diagnostic[];
  /** `unused-disable` diagnostics: suppressions that silenced nothing, unknown ids, malformed comments. */
  unused: Diagnostic[];
  /** The silenced findings, each with `suppressed.reason` set from the comment's `-- reason`. */
  suppressed: Diagnostic[];
}

/**
 * The text inside a comment: without `//` or the block delimiters, and with the leading `*` of
 * block-comment continuation lines removed, lines joined by a space.
 */
export function commentBody(text: string): string {
  let s = text;
  if (s.startsWith('//')) s = s.slice(2);
  else if (s.startsWith('/*')) s = s.slice(2, s.endsWith('*/') && s.length >= 4 ? -2 : undefined);
  return s
    .split(/\r?\n/)
    .map((l, i) => (i === 0 ? l : l.replace(/^\s*\*(?!\/)/, '')).trim())
    .filter(Boolean)
    .join(' ');
}

const DIRECTIVE = /^gfplint-([A-Za-z0-9_-]*)(.*)$/s;

/**
 * The suppressions written in one file's directive comments, and `unused-disable` diagnostics for
 * comments that start with `gfplint-` but are not a valid suppression.
 */
export function parseSuppressions(
  file: string,
  comments: readonly CommentFact[],
  knownRules: ReadonlySet<string> = knownRuleIds(),
): { suppressions: Suppression[]; problems: Diagnostic[] } {
  const suppressions: Suppression[] = [];
  const problems: Diagnostic[] = [];
  for (const c of comments) {
    const m = DIRECTIVE.exec(commentBody(c.text));
    if (!m) continue;
    const name = m[1];
    if (name !== 'disable-line' && name !== 'disable-next-line') {
      problems.push(problemAt(file, c, `unknown directive 'gfplint-${name}' (expected 'gfplint-disable-line' or 'gfplint-disable-next-line')`));
      continue;
    }
    let rest = m[2];
    if (rest && !/^\s/.test(rest)) {
      problems.push(problemAt(file, c, `unknown directive 'gfplint-${name}${rest.split(/\s/)[0]}'`));
      continue;
    }
    let reason: string | undefined;
    const dash = /(?:^|\s)--(?:\s|$)/.exec(rest);
    if (dash) {
      reason = rest.slice(dash.index + dash[0].length).replace(/\s+/g, ' ').trim() || undefined;
      rest = rest.slice(0, dash.index);
    }
    // A nested comment opener ends the list: `/* gfplint-disable-line x */ // expect: …` stays two comments,
    // but `// gfplint-disable-line x // note` must not read `//` and `note` as rule ids.
    rest = rest.split(/\/\/|\/\*/)[0];
    const ids = [...new Set(rest.split(/[\s,]+/).filter(Boolean))];
    if (!ids.length) {
      problems.push(problemAt(file, c, `suppression 'gfplint-${name}' names no rule`));
      continue;
    }
    const rules: string[] = [];
    for (const id of ids) {
      if (knownRules.has(id)) rules.push(id);
      else problems.push(problemAt(file, c, `unknown rule '${id}' in suppression`));
    }
    if (!rules.length) continue;
    const targetLine = name === 'disable-line' ? c.line + 1 : c.endLine + 2;
    suppressions.push({ file, kind: name, targetLine, rules, reason, comment: c });
  }
  return { suppressions, problems };
}

/**
 * Partition raw findings into kept and suppressed, and report every suppression that silenced
 * nothing. `directives` maps a file path, spelled exactly as in `Diagnostic.file`, to that file's
 * `FileFacts.directives`.
 */
export function applySuppressions(
  findings: readonly Diagnostic[],
  directives: ReadonlyMap<string, readonly CommentFact[]>,
  options: SuppressionOptions = {},
): SuppressionResult {
  const known = options.knownRules ?? knownRuleIds();
  const byLine = new Map<string, number[]>();
  findings.forEach((d, i) => {
    const key = `${d.file}\0${d.line}`;
    const list = byLine.get(key);
    if (list) list.push(i);
    else byLine.set(key, [i]);
  });

  const reasonOf = new Map<number, string | undefined>();
  const unused: Diagnostic[] = [];
  for (const [file, comments] of directives) {
    const { suppressions, problems } = parseSuppressions(file, comments, known);
    unused.push(...problems);
    for (const s of suppressions) {
      const here = byLine.get(`${file}\0${s.targetLine}`) ?? [];
      for (const rule of s.rules) {
        let used = false;
        for (const i of here) {
          if (findings[i].rule !== rule) continue;
          used = true;
          if (!reasonOf.has(i) || reasonOf.get(i) === undefined) reasonOf.set(i, s.reason);
        }
        const judged = !options.enabledRules || options.enabledRules.has(rule);
        if (!used && judged) unused.push(problemAt(file, s.comment, `suppression of '${rule}' silences nothing`));
      }
    }
  }

  const kept: Diagnostic[] = [];
  const suppressed: Diagnostic[] = [];
  findings.forEach((d, i) => {
    if (!reasonOf.has(i)) kept.push(d);
    else {
      const reason = reasonOf.get(i);
      suppressed.push({ ...d, suppressed: reason === undefined ? {} : { reason } });
    }
  });
  unused.sort(compareDiagnostics);
  return { kept, unused, suppressed };
}

function problemAt(file: string, c: CommentFact, message: string): Diagnostic {
  const lines = c.text.split('\n');
  const last = lines[lines.length - 1];
  return {
    rule: UNUSED_DISABLE,
    severity: 'warning',
    file,
    line: c.line + 1,
    column: c.col + 1,
    endLine: c.endLine + 1,
    endColumn: (lines.length === 1 ? c.col : 0) + last.length + 1,
    function: '',
    message,
    related: [],
  };
}

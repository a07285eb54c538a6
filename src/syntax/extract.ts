/**
 * Turns a tree-sitter C tree into FileFacts. Kernel macros are normal input: loop macros
 * (`list_for_each_entry(...) { }`) become loops, `guard()`/`scoped_guard()` become guard scopes,
 * and ERROR subtrees are searched for the calls and functions they still contain.
 */
import { parseCExpr } from '../facts/c-expr.js';
import type { Expr } from '../facts/expr.js';
import type {
  AddressTakenFact, CallFact, CommentFact, FileFacts, FunctionFacts, MacroFact, Op, ParamFact, Rng,
} from '../facts/facts.js';
import { fastRoot } from './fast-tree.js';
import { isLoopMacro } from './kernel-idioms.js';
import type { SyntaxNode, Tree } from './parser.js';

/** Deeper statement nesting than this is treated as opaque code (calls still found). */
const MAX_STMT_DEPTH = 200;
const MAX_EXPR_DEPTH = 48;

/**
 * Node equality by position and type. Native node wrappers are not reliably identical objects
 * (node-tree-sitter skips caching a new wrapper while a collected one awaits finalisation, so
 * `a === b` between two lookups of one node depends on GC timing); this never does.
 */
function sameNode(a: SyntaxNode | null | undefined, b: SyntaxNode | null | undefined): boolean {
  return !!a && !!b && a.startIndex === b.startIndex && a.endIndex === b.endIndex && a.type === b.type;
}

export function rng(n: SyntaxNode): Rng {
  return [n.startPosition.row, n.startPosition.column, n.endPosition.row, n.endPosition.column];
}

export { isLoopMacro };

/** gfplint's own annotations never explain anything about reclaim. */
const DIRECTIVE_COMMENT = /^\/[/*]\s*(expect|todo-|gfplint-)/;
// "low memory … when a device is suspended" (drivers/md/dm-ioctl.c copy_params()) explains a NOIO too.
// Locks by word ("lock", "locked", "->lock", "i_lock"), not inside "block" or "clock".
const REASON_COMMENT = /reclaim|recurs|deadlock|nofs|noio|gfp_no|memalloc|transaction|journal|writeback|shrink|\block(s|ed|ing)?\b|_lock\b|mutex|rwsem|semaphore|fs_reclaim|__GFP_FS|low.memory|memory pressure|suspend/i;

/**
 * `text` is what was parsed; `original`, when given, the file before the rewrites of
 * prepare.ts (same length): where they differ the extractor knows a rewrite happened (a loop
 * macro read as `while`, kernel-idioms.ts).
 */
export function extractFacts(tree: Tree, text: string, original?: string): FileFacts {
  const out: FileFacts = { functions: [], macros: [], addressTaken: [], exported: [], directives: [], errorCount: 0 };
  // A plain-JS copy of the tree (fast-tree.ts): same answers, ~3x faster extraction.
  const root = fastRoot(tree, text) ?? tree.rootNode;
  const fnNames = new Set<string>();

  // One iterative walk over the whole tree: functions, macros, exports, comments, address-taken names.
  const stack: SyntaxNode[] = [root];
  const fnNodes: { decl: SyntaxNode; body: SyntaxNode; def: SyntaxNode }[] = [];
  while (stack.length) {
    const n = stack.pop()!;
    const t = n.type;
    if (t === 'function_definition') {
      const decl = n.childForFieldName('declarator');
      const body = n.childForFieldName('body');
      if (decl && body) fnNodes.push({ decl, body, def: n });
      // Suppression comments and fixture annotations sit inside bodies too.
      collectDirectives(n, text, out.directives);
      continue;
    }
    if (t === 'ERROR') {
      out.errorCount++;
      recoverFunctionsInError(n, fnNodes);
    }
    if (t === 'comment') {
      const c = commentFact(n, text);
      if (c) out.directives.push(c);
      continue;
    }
    if (t === 'preproc_def') {
      const m = macroFact(n);
      if (m) out.macros.push(m);
      continue;
    }
    if (t === 'expression_statement' || t === 'declaration') {
      const exp = exportedName(n);
      if (exp) out.exported.push(exp);
    }
    if (t === 'initializer_pair' || t === 'init_declarator' || t === 'assignment_expression' || t === 'argument_list' || t === 'initializer_list') {
      collectAddressTaken(n, out.addressTaken);
    }
    for (let i = n.namedChildCount - 1; i >= 0; i--) stack.push(n.namedChild(i)!);
  }

  // Functions that error recovery nested inside another one's body come back through `fnNodes`.
  for (let i = 0; i < fnNodes.length; i++) {
    const { decl, body, def } = fnNodes[i];
    const f = new FunctionBuilder(decl, body, def, text, fnNodes, original).build();
    if (f && !fnNames.has(f.name + '@' + f.r[0])) {
      fnNames.add(f.name + '@' + f.r[0]);
      out.functions.push(f);
    }
  }
  out.functions.sort((a, b) => a.r[0] - b.r[0] || a.r[1] - b.r[1]);
  out.directives.sort((a, b) => a.line - b.line || a.col - b.col);
  return out;
}

/**
 * A macro before a function (an attribute tree-sitter does not know) can turn the whole
 * definition into an ERROR node; the declarator and body survive as children, so rebuild it.
 */
function recoverFunctionsInError(err: SyntaxNode, fnNodes: { decl: SyntaxNode; body: SyntaxNode; def: SyntaxNode }[]): void {
  const kids = err.namedChildren;
  for (let i = 1; i < kids.length; i++) {
    const body = kids[i];
    if (body.type !== 'compound_statement') continue;
    const prev = kids[i - 1];
    const decl = findFunctionDeclarator(prev);
    if (decl) fnNodes.push({ decl: prev, body, def: err });
  }
}

function findFunctionDeclarator(n: SyntaxNode): SyntaxNode | undefined {
  let x: SyntaxNode | null = n;
  for (let i = 0; x && i < 8; i++) {
    if (x.type === 'function_declarator') return x;
    if (x.type === 'pointer_declarator' || x.type === 'parenthesized_declarator' || x.type === 'attributed_declarator' || x.type === 'declaration' || x.type === 'init_declarator') {
      x = x.childForFieldName('declarator') ?? x.namedChild(0);
    } else return undefined;
  }
  return undefined;
}

function collectDirectives(root: SyntaxNode, text: string, out: CommentFact[]): void {
  const st: SyntaxNode[] = [root];
  while (st.length) {
    const n = st.pop()!;
    if (n.type === 'comment') {
      const c = commentFact(n, text);
      if (c) out.push(c);
      continue;
    }
    for (let i = n.namedChildCount - 1; i >= 0; i--) st.push(n.namedChild(i)!);
  }
}

function commentFact(n: SyntaxNode, text: string): CommentFact | undefined {
  const body = n.text;
  if (!/gfplint-|expect|todo-/.test(body)) return undefined;
  const line = n.startPosition.row;
  const lineStart = text.lastIndexOf('\n', n.startIndex - 1) + 1;
  const ownLine = text.slice(lineStart, n.startIndex).trim() === '';
  return { line, endLine: n.endPosition.row, col: n.startPosition.column, text: body, ownLine };
}

function macroFact(n: SyntaxNode): MacroFact | undefined {
  const name = n.childForFieldName('name')?.text;
  const value = n.childForFieldName('value');
  if (!name || !value) return undefined;
  const body = value.text;
  if (!/GFP|gfp/.test(body) || body.length > 400) return undefined;
  // Macro bodies are preproc_arg text, not parsed expressions: parse the flag expression.
  const e = parseCExpr(body.replace(/\\\n/g, ' '));
  return { name, expr: 'error' in e ? { k: 'other', text: body.trim().slice(0, 200) } : e, line: n.startPosition.row };
}

function exportedName(n: SyntaxNode): string | undefined {
  const c = n.namedChild(0);
  const call = c?.type === 'call_expression' ? c : undefined;
  const fn = call?.childForFieldName('function')?.text;
  if (fn && /^EXPORT_SYMBOL/.test(fn)) {
    const a = call!.childForFieldName('arguments')?.namedChild(0);
    if (a?.type === 'identifier') return a.text;
  }
  // `EXPORT_SYMBOL_GPL(foo);` at file scope often parses as a declaration `EXPORT_SYMBOL_GPL(foo)`.
  if (n.type === 'declaration') {
    const m = /^EXPORT_SYMBOL\w*\s*\(\s*(\w+)\s*\)/.exec(n.text);
    if (m) return m[1];
  }
  return undefined;
}

/** Initcall and module exit registrations (include/linux/init.h, include/linux/module.h). */
const INITCALL = /^(module_init|module_exit|(pure|early|core|postcore|arch|subsys|fs|rootfs|device|late)_initcall(_sync)?)$/;

function collectAddressTaken(n: SyntaxNode, out: AddressTakenFact[]): void {
  const add = (v: SyntaxNode | null | undefined, slot?: string) => {
    if (!v) return;
    if (v.type === 'pointer_expression' && v.child(0)?.type === '&') v = v.childForFieldName('argument');
    if (v?.type === 'identifier' && /^[a-z_]\w*$/.test(v.text) && !/^[A-Z_0-9]+$/.test(v.text)) {
      out.push({ name: v.text, slot, structType: slot ? enclosingStructType(n) : undefined, line: v.startPosition.row });
    }
  };
  switch (n.type) {
    case 'initializer_pair': {
      const d = n.childForFieldName('designator');
      const slot = d?.type === 'field_designator' ? d.namedChild(0)?.text : undefined;
      add(n.childForFieldName('value'), slot);
      break;
    }
    case 'init_declarator': add(n.childForFieldName('value')); break;
    case 'assignment_expression': add(n.childForFieldName('right')); break;
    case 'argument_list': {
      // `module_init(foo_init);` at file scope: an initcall, whose context the model knows.
      const call = n.parent;
      const macro = call?.type === 'call_expression' && call.parent?.parent?.type === 'translation_unit' ? call.childForFieldName('function')?.text : undefined;
      if (macro && INITCALL.test(macro) && n.namedChildCount === 1) {
        const v = n.namedChild(0);
        if (v?.type === 'identifier') out.push({ name: v.text, slot: macro, structType: 'initcall', line: v.startPosition.row });
        break;
      }
      for (const c of n.namedChildren) add(c);
      break;
    }
    case 'initializer_list':
      for (const c of n.namedChildren) add(c);
      break;
  }
}

/** `static const struct file_operations foo_fops = { .read = ... }` gives `file_operations`. */
function enclosingStructType(n: SyntaxNode): string | undefined {
  let x: SyntaxNode | null = n;
  for (let i = 0; x && i < 6; i++, x = x.parent) {
    if (x.type === 'declaration') {
      const t = x.childForFieldName('type');
      if (t?.type === 'struct_specifier') return t.childForFieldName('name')?.text;
      return undefined;
    }
  }
  return undefined;
}

function declaratorName(d: SyntaxNode | null): { name: string; node: SyntaxNode; ptr: number } | undefined {
  let ptr = 0;
  for (let i = 0; d && i < 16; i++) {
    switch (d.type) {
      case 'identifier':
      case 'field_identifier':
        return { name: d.text, node: d, ptr };
      case 'pointer_declarator': ptr++; d = d.childForFieldName('declarator'); break;
      case 'function_declarator':
      case 'array_declarator':
      case 'init_declarator':
      case 'attributed_declarator':
        d = d.childForFieldName('declarator') ?? d.namedChild(0); break;
      case 'parenthesized_declarator': d = d.namedChild(0); break;
      default: return undefined;
    }
  }
  return undefined;
}

function typeText(typeNode: SyntaxNode | null, ptr: number): string {
  const base = (typeNode?.text ?? 'int').replace(/\s+/g, ' ');
  return ptr ? `${base} ${'*'.repeat(ptr)}` : base;
}

interface BlockFrame { guards: number[] }

class FunctionBuilder {
  private ops: Op[] = [];
  private calls: CallFact[] = [];
  private locals: ParamFact[] = [];
  private labels = new Map<string, { index: number; guards: number[] }>();
  private gotos: { op: Op & { op: 'jmp' }; label: string; guards: number[] }[] = [];
  private breakTargets: { fixups: (Op & { op: 'jmp' })[]; guards: number }[] = [];
  private continueTargets: { fixups: (Op & { op: 'jmp' })[]; guards: number }[] = [];
  private blocks: BlockFrame[] = [];
  private guardCount = 0;
  private hasErrors = false;
  /**
   * Start offsets of the statements read as a macro loop or scoped guard head: their MISSING `;`
   * is the extractor's own recovery, not a gap in the facts.
   */
  private recoveredHeads = new Set<number>();
  /** Statement depth of the statement being built (see exprCalls: statement expressions). */
  private depth = 0;
  private reasonComments: { line: number; text: string }[] = [];

  constructor(
    private decl: SyntaxNode, private body: SyntaxNode, private def: SyntaxNode, private text: string,
    private nested: { decl: SyntaxNode; body: SyntaxNode; def: SyntaxNode }[] = [],
    private original?: string,
  ) {}

  build(): FunctionFacts | undefined {
    const fdecl = findFunctionDeclarator(this.decl.type === 'function_declarator' ? this.decl : this.decl) ?? this.findFd();
    if (!fdecl) return undefined;
    const nm = declaratorName(fdecl.childForFieldName('declarator'));
    if (!nm) return undefined;
    const params: ParamFact[] = [];
    const plist = fdecl.childForFieldName('parameters');
    for (const p of plist?.namedChildren ?? []) {
      if (p.type !== 'parameter_declaration') continue;
      const d = declaratorName(p.childForFieldName('declarator'));
      params.push({ name: d?.name ?? '', type: typeText(p.childForFieldName('type'), d?.ptr ?? 0) });
    }
    const prefix = this.text.slice(this.def.startIndex, this.body.startIndex);
    const isStatic = this.def.type === 'function_definition'
      ? this.def.namedChildren.some((c) => c.type === 'storage_class_specifier' && c.text === 'static')
      : /\bstatic\b/.test(prefix);
    this.block(this.body, 0);
    this.finishGotos();
    this.collectComments();
    return {
      name: nm.name,
      isStatic,
      r: rng(this.def.type === 'function_definition' ? this.def : this.decl),
      nameRng: rng(nm.node),
      params,
      locals: this.locals,
      calls: this.calls,
      ops: this.ops,
      reasonComments: this.reasonComments,
      hasErrors: this.hasErrors || (this.body.hasError && this.unrecoveredError(this.body)),
    };
  }

  /**
   * A node's text as the user wrote it where kernel-idioms.ts joined a type into one identifier
   * (`struct$foo` is `struct foo` again) or made a string macro a literal (`"$$$$$$"` is
   * `KERN_ERR` again); annotations blanked for the parser stay blanked.
   */
  private shown(n: SyntaxNode): string {
    const t = n.text;
    if (this.original === undefined || !t.includes('$')) return t;
    const o = this.original;
    let r = '';
    for (let i = 0; i < t.length; i++) {
      const c = t[i];
      r += c === '$' || (c === '"' && o[n.startIndex + i] !== '"') ? o[n.startIndex + i] : c;
    }
    return r;
  }

  /** An ERROR or MISSING node below `n` other than the `;` of a recovered macro head. */
  private unrecoveredError(n: SyntaxNode): boolean {
    const stack = [n];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.type === 'ERROR') return true;
      if (x.isMissing) {
        if (x.type === ';' && x.parent && this.recoveredHeads.has(x.parent.startIndex) && x.parent.type === 'expression_statement') continue;
        return true;
      }
      if (!x.hasError) continue;
      for (let i = x.childCount - 1; i >= 0; i--) stack.push(x.child(i)!);
    }
    return false;
  }

  private findFd(): SyntaxNode | undefined {
    const st: SyntaxNode[] = [this.decl];
    while (st.length) {
      const n = st.pop()!;
      if (n.type === 'function_declarator') return n;
      for (const c of n.namedChildren) st.push(c);
    }
    return undefined;
  }

  private collectComments(): void {
    const st: SyntaxNode[] = [this.body];
    while (st.length && this.reasonComments.length < 8) {
      const n = st.pop()!;
      if (n.type === 'comment') {
        if (REASON_COMMENT.test(n.text) && !DIRECTIVE_COMMENT.test(n.text)) this.reasonComments.push({ line: n.startPosition.row, text: n.text.slice(0, 300) });
        continue;
      }
      for (let i = n.namedChildCount - 1; i >= 0; i--) st.push(n.namedChild(i)!);
    }
  }

  private emit(op: Op): number {
    this.ops.push(op);
    return this.ops.length - 1;
  }

  private activeGuards(): number[] {
    return this.blocks.flatMap((b) => b.guards);
  }

  private block(n: SyntaxNode, depth: number): void {
    const frame: BlockFrame = { guards: [] };
    this.blocks.push(frame);
    let skipNext: SyntaxNode | undefined;
    const kids = n.namedChildren;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i];
      if (c === skipNext) continue;
      // `list_for_each_entry(p, h, m) { ... }` and `scoped_guard(spinlock, &l) { ... }` parse as a
      // call statement (missing ';') followed by the body statement.
      const macro = this.macroHead(c);
      const next = kids[i + 1];
      if (macro && next && next.type !== 'comment') {
        skipNext = next;
        this.recoveredHeads.add(c.startIndex);
        if (macro.name === 'scoped_guard' || macro.name === 'scoped_cond_guard') this.scopedGuard(macro.call, next, depth);
        else this.macroLoop(macro.call, next, depth);
        continue;
      }
      this.stmt(c, depth + 1);
    }
    this.blocks.pop();
    if (frame.guards.length) this.emit({ op: 'unguard', ids: frame.guards });
  }

  private macroHead(c: SyntaxNode): { name: string; call: SyntaxNode } | undefined {
    if (c.type !== 'expression_statement') return undefined;
    const call = c.namedChild(0);
    if (!call || call.type !== 'call_expression') return undefined;
    const semi = c.child(c.childCount - 1);
    if (semi && semi.type === ';' && !semi.isMissing) return undefined;
    const name = call.childForFieldName('function')?.text ?? '';
    if (name === 'scoped_guard' || name === 'scoped_cond_guard' || isLoopMacro(name)) return { name, call };
    return undefined;
  }

  private macroLoop(call: SyntaxNode, body: SyntaxNode, depth: number): void {
    // The macro's arguments are evaluated once (calls in them happen before the loop).
    this.exprCalls(call.childForFieldName('arguments'));
    this.loop(undefined, body, undefined, depth, false);
  }

  private scopedGuard(call: SyntaxNode, body: SyntaxNode, depth: number): void {
    const args = call.childForFieldName('arguments')?.namedChildren ?? [];
    const cls = args[0]?.text ?? '';
    for (const a of args.slice(1)) this.exprCalls(a);
    const id = this.guardCount++;
    const frame: BlockFrame = { guards: [id] };
    this.emit({ op: 'guard', id, cls, arg: args[1] ? this.expr(args[1], 0) : undefined, rng: rng(call) });
    this.blocks.push(frame);
    this.stmt(body, depth + 1);
    this.blocks.pop();
    this.emit({ op: 'unguard', ids: [id] });
  }

  private stmt(n: SyntaxNode, depth: number): void {
    const outer = this.depth;
    this.depth = depth;
    try {
      this.stmtAt(n, depth);
    } finally {
      this.depth = outer;
    }
  }

  private stmtAt(n: SyntaxNode, depth: number): void {
    if (depth > MAX_STMT_DEPTH) {
      this.exprCalls(n);
      return;
    }
    switch (n.type) {
      case 'compound_statement':
        this.block(n, depth);
        return;
      case 'expression_statement': {
        const e = n.namedChild(0);
        if (e) this.exprStmt(e);
        return;
      }
      case 'declaration':
        this.declaration(n);
        return;
      case 'if_statement': {
        const cond = n.childForFieldName('condition');
        this.exprCalls(cond);
        const br = { op: 'br', cond: cond ? this.expr(cond, 0) : { k: 'other', text: '' }, t: 0, f: 0 } as Op & { op: 'br' };
        this.emit(br);
        br.t = this.ops.length;
        this.stmt(n.childForFieldName('consequence')!, depth + 1);
        const alt = n.childForFieldName('alternative');
        if (alt) {
          const j = { op: 'jmp', t: 0 } as Op & { op: 'jmp' };
          this.emit(j);
          br.f = this.ops.length;
          this.stmt(alt.type === 'else_clause' ? alt.namedChild(0)! : alt, depth + 1);
          j.t = this.ops.length;
        } else {
          br.f = this.ops.length;
        }
        this.emit({ op: 'label', name: '' });
        return;
      }
      case 'else_clause': {
        const c = n.namedChild(0);
        if (c) this.stmt(c, depth + 1);
        return;
      }
      case 'while_statement': {
        const cond = n.childForFieldName('condition') ?? undefined;
        // A loop macro with an unbraced body, rewritten to `while` for the parser: the macro loop
        // it is, as macroLoop() reads a braced one.
        if (this.original !== undefined && cond && !this.original.startsWith('while', n.startIndex)) {
          this.exprCalls(cond);
          this.loop(undefined, n.childForFieldName('body')!, undefined, depth, false);
          return;
        }
        this.loop(cond, n.childForFieldName('body')!, undefined, depth, false);
        return;
      }
      case 'do_statement':
        this.loop(n.childForFieldName('condition') ?? undefined, n.childForFieldName('body')!, undefined, depth, true);
        return;
      case 'for_statement': {
        const init = n.childForFieldName('initializer');
        if (init) {
          if (init.type === 'declaration') this.declaration(init);
          else this.exprStmt(init);
        }
        this.loop(n.childForFieldName('condition') ?? undefined, n.childForFieldName('body')!, n.childForFieldName('update') ?? undefined, depth, false);
        return;
      }
      case 'switch_statement':
        this.switchStmt(n, depth);
        return;
      case 'case_statement':
        // Reached only for a case outside a switch body (broken code): treat its statements in sequence.
        for (const c of n.namedChildren.slice(n.childForFieldName('value') ? 1 : 0)) this.stmt(c, depth + 1);
        return;
      case 'break_statement':
      case 'continue_statement': {
        const targets = n.type === 'break_statement' ? this.breakTargets : this.continueTargets;
        const t = targets[targets.length - 1];
        if (!t) return;
        const releases = this.activeGuards().slice(t.guards);
        const j = { op: 'jmp', t: -1, releases: releases.length ? releases : undefined } as Op & { op: 'jmp' };
        t.fixups.push(j);
        this.emit(j);
        return;
      }
      case 'return_statement': {
        const v = n.namedChild(0);
        if (v) this.exprCalls(v);
        this.emit({ op: 'ret', value: v ? this.expr(v, 0) : undefined, rng: rng(n) });
        return;
      }
      case 'goto_statement': {
        const label = n.childForFieldName('label')?.text ?? '';
        const j = { op: 'jmp', t: -1, goto: label, rng: rng(n) } as Op & { op: 'jmp' };
        this.gotos.push({ op: j, label, guards: this.activeGuards() });
        this.emit(j);
        return;
      }
      case 'labeled_statement': {
        const name = n.childForFieldName('label')?.text ?? '';
        const idx = this.emit({ op: 'label', name });
        this.labels.set(name, { index: idx, guards: this.activeGuards() });
        for (const c of n.namedChildren.slice(1)) this.stmt(c, depth + 1);
        return;
      }
      case 'function_definition': {
        // `scoped_guard(rcu) { … }` or `for_each_foo(x) { … }` with a single argument parses as a
        // nested function definition: type = the macro name, declarator = `(arg)`.
        const name = n.childForFieldName('type')?.text ?? '';
        const body = n.childForFieldName('body');
        if (!body) return;
        const arg = n.childForFieldName('declarator');
        // A real function swallowed by error recovery (an attribute tree-sitter misparsed made
        // drivers/misc/lkdtm/bugs.c one 470-line function): analyse it on its own, not inline.
        if (arg && findFunctionDeclarator(arg)) {
          this.nested.push({ decl: arg, body, def: n });
          return;
        }
        if (name === 'scoped_guard' || name === 'scoped_cond_guard') {
          const id = this.guardCount++;
          const cls = (arg?.text ?? '').replace(/^\(\s*|\s*\)$/g, '').split(',')[0].trim();
          this.emit({ op: 'guard', id, cls, rng: rng(n) });
          this.blocks.push({ guards: [id] });
          this.stmt(body, depth + 1);
          this.blocks.pop();
          this.emit({ op: 'unguard', ids: [id] });
        } else if (isLoopMacro(name)) {
          this.loop(undefined, body, undefined, depth, false);
        } else {
          this.stmt(body, depth + 1);
        }
        return;
      }
      case 'attributed_statement':
        for (const c of n.namedChildren) if (c.type !== 'attribute_declaration') this.stmt(c, depth + 1);
        return;
      case 'preproc_if':
      case 'preproc_ifdef':
      case 'preproc_elif':
      case 'preproc_elifdef':
      case 'preproc_else':
        this.preproc(n, depth);
        return;
      case 'comment':
      case 'type_definition':
      case 'preproc_def':
      case 'preproc_function_def':
      case 'preproc_call':
      case 'preproc_include':
        return;
      case 'ERROR':
        this.hasErrors = true;
        this.errorNode(n, depth);
        return;
      default:
        if (/_statement$|^(gnu_asm|seh_)/.test(n.type)) {
          this.exprCalls(n);
          return;
        }
        // An expression or unknown node where a statement was expected (error recovery).
        this.exprStmt(n);
    }
  }

  /** `#ifdef` inside a body: the branches are alternatives, as an `if` with an unknown condition. */
  private preproc(n: SyntaxNode, depth: number): void {
    const alt = n.childForFieldName('alternative');
    const cond = n.childForFieldName('condition');
    const name = n.childForFieldName('name');
    const kids = n.namedChildren.filter((c) => !sameNode(c, alt) && !sameNode(c, cond) && !sameNode(c, name));
    const br = { op: 'br', cond: { k: 'other', text: '#if' }, t: 0, f: 0 } as Op & { op: 'br' };
    this.emit(br);
    br.t = this.ops.length;
    for (const c of kids) this.stmt(c, depth + 1);
    const j = { op: 'jmp', t: 0 } as Op & { op: 'jmp' };
    this.emit(j);
    br.f = this.ops.length;
    if (alt) this.stmt(alt, depth + 1);
    j.t = this.ops.length;
    this.emit({ op: 'label', name: '' });
  }

  private errorNode(n: SyntaxNode, depth: number): void {
    const kids = n.namedChildren;
    for (let i = 0; i < kids.length; i++) {
      const c = kids[i];
      if (c.type === 'identifier' || c.type === 'primitive_type' || c.type === 'type_identifier') continue;
      // `declarator { body }` pairs inside an ERROR are functions recovery lost: separate them.
      const next = kids[i + 1];
      if (next?.type === 'compound_statement' && findFunctionDeclarator(c)) {
        this.nested.push({ decl: c, body: next, def: n });
        i++;
        continue;
      }
      this.stmt(c, depth + 1);
    }
  }

  private loop(cond: SyntaxNode | undefined, body: SyntaxNode, update: SyntaxNode | undefined, depth: number, isDo: boolean): void {
    const guards = this.activeGuards().length;
    const brk = { fixups: [] as (Op & { op: 'jmp' })[], guards };
    const cont = { fixups: [] as (Op & { op: 'jmp' })[], guards };
    // `do { } while (0)`: the body runs once, so no back edge (the kernel's macro bodies).
    const once = isDo && cond !== undefined && /^\(\s*0\s*\)$/.test(cond.text);
    const head = this.ops.length;
    let br: (Op & { op: 'br' }) | undefined;
    if (!isDo) {
      if (cond) this.exprCalls(cond);
      br = { op: 'br', cond: cond ? this.expr(cond, 0) : { k: 'other', text: '' }, t: 0, f: 0 };
      this.emit(br);
      br.t = this.ops.length;
    } else {
      this.emit({ op: 'label', name: '' });
    }
    this.breakTargets.push(brk);
    this.continueTargets.push(cont);
    this.stmt(body, depth + 1);
    this.breakTargets.pop();
    this.continueTargets.pop();
    const contAt = this.ops.length;
    this.emit({ op: 'label', name: '' });
    if (update) this.exprStmt(update);
    if (isDo) {
      if (!once) {
        if (cond) this.exprCalls(cond);
        const back = { op: 'br', cond: cond ? this.expr(cond, 0) : { k: 'other', text: '' }, t: head, f: 0 } as Op & { op: 'br' };
        this.emit(back);
        back.f = this.ops.length;
      }
    } else {
      this.emit({ op: 'jmp', t: head });
      br!.f = this.ops.length;
    }
    const exit = this.emit({ op: 'label', name: '' });
    for (const j of brk.fixups) j.t = exit;
    for (const j of cont.fixups) j.t = contAt;
  }

  private switchStmt(n: SyntaxNode, depth: number): void {
    const cond = n.childForFieldName('condition');
    this.exprCalls(cond);
    const sw = { op: 'sw', targets: [] as number[] } as Op & { op: 'sw' };
    this.emit(sw);
    const brk = { fixups: [] as (Op & { op: 'jmp' })[], guards: this.activeGuards().length };
    this.breakTargets.push(brk);
    const body = n.childForFieldName('body');
    let hasDefault = false;
    this.blocks.push({ guards: [] });
    for (const c of body?.namedChildren ?? []) {
      if (c.type === 'case_statement') {
        const value = c.childForFieldName('value');
        if (!value) hasDefault = true;
        sw.targets.push(this.emit({ op: 'label', name: '' }));
        for (const s of c.namedChildren) if (!sameNode(s, value)) this.stmt(s, depth + 1);
      } else {
        this.stmt(c, depth + 1);
      }
    }
    const frame = this.blocks.pop()!;
    if (frame.guards.length) this.emit({ op: 'unguard', ids: frame.guards });
    this.breakTargets.pop();
    const exit = this.emit({ op: 'label', name: '' });
    if (!hasDefault) sw.targets.push(exit);
    for (const j of brk.fixups) j.t = exit;
  }

  private finishGotos(): void {
    const end = this.emit({ op: 'label', name: '' });
    for (const g of this.gotos) {
      const l = this.labels.get(g.label);
      // A goto to a label we never saw (inside a macro) leaves the function.
      g.op.t = l ? l.index : end;
      const releases = g.guards.filter((x) => !l || !l.guards.includes(x));
      if (releases.length) g.op.releases = releases;
    }
    for (const op of this.ops) if (op.op === 'jmp' && op.t < 0) op.t = end;
  }

  private declaration(n: SyntaxNode): void {
    const type = n.childForFieldName('type');
    for (const d of n.namedChildren) {
      if (sameNode(d, type)) continue;
      const nm = declaratorName(d);
      if (!nm) {
        this.exprCalls(d);
        continue;
      }
      const t = typeText(type, nm.ptr);
      this.locals.push({ name: nm.name, type: t });
      if (d.type === 'init_declarator') {
        const v = d.childForFieldName('value');
        if (v) {
          this.exprCalls(v);
          this.emit({ op: 'assign', l: { k: 'id', name: nm.name }, r: this.expr(v, 0), aop: '=', type: t, rng: rng(d) });
        }
      }
    }
  }

  /** An expression in statement position: calls in evaluation order, then the assignment. */
  private exprStmt(e: SyntaxNode): void {
    if (e.type === 'comma_expression') {
      for (const c of e.namedChildren) this.exprStmt(c);
      return;
    }
    this.exprCalls(e);
    if (e.type === 'assignment_expression') {
      const l = e.childForFieldName('left');
      const r = e.childForFieldName('right');
      const aop = e.childForFieldName('operator')?.text ?? e.child(1)?.text ?? '=';
      if (l && r) this.emit({ op: 'assign', l: this.expr(l, 0), r: this.expr(r, 0), aop, rng: rng(e) });
    }
  }

  /**
   * Emit the calls inside an expression, innermost first (arguments are evaluated before the
   * call). Iterative post-order so that deeply nested expressions cannot overflow the stack.
   */
  private exprCalls(root: SyntaxNode | null | undefined): void {
    if (!root) return;
    const stack: { n: SyntaxNode; visited: boolean }[] = [{ n: root, visited: false }];
    while (stack.length) {
      const top = stack.pop()!;
      const n = top.n;
      if (top.visited) {
        this.callOp(n);
        continue;
      }
      if (n.type === 'compound_statement' && this.depth < MAX_STMT_DEPTH - 10) {
        // GNU statement expression `({ ... })`: a few levels of statements of its own. Past that
        // (nested statement expressions, or any block below MAX_STMT_DEPTH) its calls are still
        // found by this walk, without recursion, so no nesting can overflow the stack.
        this.block(n, Math.max(this.depth, MAX_STMT_DEPTH - 10));
        continue;
      }
      if (n.type === 'comment' || n.type === 'string_literal') continue;
      if (n.type === 'ERROR') this.hasErrors = true;
      if (n.type === 'call_expression') stack.push({ n, visited: true });
      for (let i = n.namedChildCount - 1; i >= 0; i--) stack.push({ n: n.namedChild(i)!, visited: false });
    }
  }

  private callOp(n: SyntaxNode): void {
    const fn = n.childForFieldName('function');
    const argsNode = n.childForFieldName('arguments');
    if (!fn) return;
    const args = (argsNode?.namedChildren ?? []).filter((a) => a.type !== 'comment');
    // `guard(mutex)(&m);`: the class is the inner call's argument; held to the end of the block.
    if (fn.type === 'call_expression' && fn.childForFieldName('function')?.text === 'guard') {
      const cls = fn.childForFieldName('arguments')?.namedChild(0)?.text ?? '';
      const id = this.guardCount++;
      this.blocks[this.blocks.length - 1]?.guards.push(id);
      this.emit({ op: 'guard', id, cls, arg: args[0] ? this.expr(args[0], 0) : undefined, rng: rng(n) });
      return;
    }
    let callee: string;
    let indirect = false;
    if (fn.type === 'identifier') callee = fn.text;
    else if (fn.type === 'field_expression') {
      callee = fn.childForFieldName('field')?.text ?? '';
      indirect = true;
    } else if (fn.type === 'parenthesized_expression' && fn.namedChild(0)?.type === 'identifier') callee = fn.namedChild(0)!.text;
    else {
      callee = '';
      indirect = true;
    }
    // `guard` without its `(class)(args)` shape is a bare macro name, not a call.
    if (callee === 'guard') return;
    const call: CallFact = {
      callee,
      args: args.map((a) => this.expr(a, 0)),
      argText: args.map((a) => {
        const t = this.shown(a);
        return t.length > 200 ? t.slice(0, 200) + '…' : t;
      }),
      argRng: args.map(rng),
      r: rng(n),
    };
    if (indirect) call.indirect = true;
    if (argsNode?.hasError) call.broken = true;
    this.calls.push(call);
    this.emit({ op: 'call', call: this.calls.length - 1 });
  }

  expr(n: SyntaxNode, depth: number): Expr {
    if (depth > MAX_EXPR_DEPTH) return { k: 'other', text: n.text.slice(0, 80) };
    switch (n.type) {
      case 'identifier':
      case 'true':
      case 'false':
      case 'null':
        return { k: 'id', name: n.text };
      case 'number_literal': {
        const t = n.text.replace(/[uUlL]+$/, '');
        const v = /^0[xX]/.test(t) ? Number.parseInt(t, 16) : /^0[0-7]+$/.test(t) ? Number.parseInt(t, 8) : Number(t);
        return { k: 'num', value: Number.isFinite(v) ? v : null, text: n.text };
      }
      case 'char_literal':
      case 'string_literal':
      case 'concatenated_string':
        return { k: 'str' };
      case 'parenthesized_expression': {
        const c = n.namedChild(0);
        return c ? this.expr(c, depth + 1) : { k: 'other', text: n.text };
      }
      case 'binary_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        const op = n.childForFieldName('operator')?.text ?? n.child(1)?.text ?? '?';
        if (!l || !r) break;
        return { k: 'bin', op, l: this.expr(l, depth + 1), r: this.expr(r, depth + 1) };
      }
      case 'unary_expression':
      case 'pointer_expression': {
        const a = n.childForFieldName('argument');
        const op = n.childForFieldName('operator')?.text ?? n.child(0)?.text ?? '?';
        if (!a) break;
        return { k: 'un', op, e: this.expr(a, depth + 1) };
      }
      case 'call_expression': {
        const fn = n.childForFieldName('function');
        const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter((a) => a.type !== 'comment');
        const name = fn?.type === 'identifier' ? fn.text : fn?.type === 'field_expression' ? fn.childForFieldName('field')?.text ?? '' : '';
        return { k: 'call', fn: name, args: args.map((a) => this.expr(a, depth + 1)) };
      }
      case 'conditional_expression': {
        const c = n.childForFieldName('condition');
        const t = n.childForFieldName('consequence');
        const f = n.childForFieldName('alternative');
        if (!c || !f) break;
        const fe = this.expr(f, depth + 1);
        // GNU `a ?: b` has no consequence: it yields `a`.
        return { k: 'cond', c: this.expr(c, depth + 1), t: t ? this.expr(t, depth + 1) : this.expr(c, depth + 1), f: fe };
      }
      case 'field_expression': {
        const b = n.childForFieldName('argument');
        const f = n.childForFieldName('field');
        if (!b || !f) break;
        return { k: 'field', base: this.expr(b, depth + 1), field: f.text, arrow: n.childForFieldName('operator')?.text === '->' || n.text.includes('->') };
      }
      case 'subscript_expression': {
        const b = n.childForFieldName('argument');
        const i = n.childForFieldName('index');
        if (!b || !i) break;
        return { k: 'index', base: this.expr(b, depth + 1), index: this.expr(i, depth + 1) };
      }
      case 'cast_expression': {
        const v = n.childForFieldName('value');
        if (!v) break;
        return { k: 'cast', type: (n.childForFieldName('type')?.text ?? '').replace(/\s+/g, ' '), e: this.expr(v, depth + 1) };
      }
      case 'assignment_expression': {
        const l = n.childForFieldName('left');
        const r = n.childForFieldName('right');
        if (!l || !r) break;
        return { k: 'assign', op: n.childForFieldName('operator')?.text ?? '=', l: this.expr(l, depth + 1), r: this.expr(r, depth + 1) };
      }
      default:
        break;
    }
    const text = n.text;
    return { k: 'other', text: text.length > 80 ? text.slice(0, 80) + '…' : text };
  }
}

/**
 * Kernel idioms tree-sitter-c misparses are rewritten before parsing, character for character:
 * type names passed as macro arguments, `static DEFINE_FOO(a, b);` and loop macros with an
 * unbraced body. Each idiom both ways: rewritten where it is, untouched in comments, strings,
 * preprocessor lines, declarations and real expressions; and the extracted facts see the code.
 */
import { describe, expect, test } from 'vitest';
import { extractSource } from '../../src/program/source.js';
import { maskAnnotations } from '../../src/syntax/annotations.js';
import type { FunctionFacts } from '../../src/syntax/facts.js';
import { rewriteKernelIdioms } from '../../src/syntax/kernel-idioms.js';
import { parseC } from '../../src/syntax/parser.js';

/** The rewrite of `stmt` inside a function body (the body line only). */
function inBody(stmt: string): string {
  const src = `void f(void)\n{\n\t${stmt}\n}\n`;
  const out = rewriteKernelIdioms(src);
  expect(out.length).toBe(src.length);
  expect(out.split('\n').length).toBe(src.split('\n').length);
  return out.split('\n').slice(2, -2).join('\n').slice(1);
}

function parsesClean(text: string): boolean {
  return !parseC(rewriteKernelIdioms(maskAnnotations(text)))!.rootNode.hasError;
}

function facts(src: string): FunctionFacts[] {
  const ex = extractSource(src, 5000);
  if ('skip' in ex) throw new Error(ex.skip);
  return ex.facts.functions;
}

describe('type names as macro arguments', () => {
  test.each([
    ['p = container_of(w, struct foo_work, work);', 'p = container_of(w, struct$foo_work, work);'],
    ['e = list_first_entry(&h, struct foo_ent, list);', 'e = list_first_entry(&h, struct$foo_ent, list);'],
    ['n = min_t(unsigned long, a, b);', 'n = min_t(unsigned$long, a, b);'],
    ['n = sizeof_field(struct foo, bar);', 'n = sizeof_field(struct$foo, bar);'],
    ['pc = alloc_percpu(struct foo_pcpu);', 'pc = alloc_percpu(struct$foo_pcpu);'],
    ['s = va_arg(ap, const char *);', 's = va_arg(ap, const$char$$);'],
    ['n = offsetof(struct foo, a.b[2]);', 'n = offsetof(struct foo, a$b$2$);'],
    ['kfree(rb_entry(n, struct foo_node, rb));', 'kfree(rb_entry(n, struct$foo_node, rb));'],
  ])('%s is rewritten', (stmt, want) => {
    expect(inBody(stmt)).toBe(want);
    expect(parsesClean(`void f(void)\n{\n\t${stmt}\n}\n`)).toBe(true);
  });

  test.each([
    ['a real expression argument', 'n = min_t(u32, a * b, c);'],
    ['a cast inside an argument', 'f((struct foo *)p, q);'],
    ['sizeof of a type', 'n = f(sizeof(struct foo), GFP_KERNEL);'],
    ['offsetof with a plain member (its own grammar rule)', 'n = offsetof(struct foo, bar);'],
    ['a string', 'pr_info("container_of(p, struct foo, m)\\n");'],
    ['a comment', '/* container_of(p, struct foo, m) */ x = 1;'],
    ['a prototype in a body', 'extern int foo_helper(struct foo *, unsigned long);'],
  ])('%s is left alone', (_what, stmt) => {
    expect(inBody(stmt)).toBe(stmt);
  });

  test('declarations at file scope and preprocessor lines are left alone', () => {
    const src = [
      'int foo_a(struct foo *, int);',
      'struct foo *foo_b(struct bar *, unsigned long);',
      'static void foo_c(const char *, ...);',
      '#define FOO_OF(p) container_of(p, struct foo, m)',
      'typedef int foo_fn(struct foo *);',
      '',
    ].join('\n');
    expect(rewriteKernelIdioms(src)).toBe(src);
  });

  test('a tag on the next line loses its keyword and keeps the line break', () => {
    expect(inBody('g = container_of(k, struct\n\t\t\tfoo_goal, kobj);')).toBe('g = container_of(k,       \n\t\t\tfoo_goal, kobj);');
  });

  test('the call is extracted, with the argument as written', () => {
    const [f] = facts('void foo_release(struct kobject *kobj)\n{\n\tkfree(container_of(kobj, struct foo_obj, kobj));\n}\n');
    expect(f.hasErrors).toBe(false);
    const kfree = f.calls.find((c) => c.callee === 'kfree')!;
    expect(kfree.argText).toEqual(['container_of(kobj, struct foo_obj, kobj)']);
    expect(kfree.argRng[0]).toEqual([2, 7, 2, 47]);
  });

  test('the argument is shown as written after non-ASCII text too', () => {
    const [f] = facts('/* \u00e4\u2713 */\nvoid foo_put(struct kobject *k)\n{\n\t/* \u2713 */ kfree(container_of(k, struct foo_obj, kobj));\n}\n');
    expect(f.calls.find((c) => c.callee === 'container_of')!.argText).toEqual(['k', 'struct foo_obj', 'kobj']);
  });

  test('a type argument no longer makes the function partial', () => {
    const src = 'void foo_run(struct list_head *h)\n{\n\tstruct foo *p = list_last_entry(h, struct foo, list);\n\tfoo_do(p);\n}\n';
    const [f] = facts(src);
    expect(f.hasErrors).toBe(false);
    expect(f.calls.map((c) => c.callee)).toEqual(['list_last_entry', 'foo_do']);
    expect(f.locals).toEqual([{ name: 'p', type: 'struct foo *' }]);
  });
});

describe('static object-defining macros of several arguments', () => {
  test('static is blanked, so the macro parses as the statement it looks like', () => {
    expect(inBody('static DEFINE_RATELIMIT_STATE(rs, 5, 10);')).toBe('       DEFINE_RATELIMIT_STATE(rs, 5, 10);');
    const src = 'static DECLARE_WORK(foo_work, foo_work_fn);\nstatic DEFINE_PER_CPU(struct foo_stat, foo_stats);\n';
    expect(rewriteKernelIdioms(src)).toBe('       DECLARE_WORK(foo_work, foo_work_fn);\n       DEFINE_PER_CPU(struct$foo_stat, foo_stats);\n');
    expect(parsesClean(src)).toBe(true);
  });

  test('one name argument parses as a declaration already and is left alone', () => {
    expect(inBody('static DEFINE_MUTEX(foo_lock);')).toBe('static DEFINE_MUTEX(foo_lock);');
    expect(rewriteKernelIdioms('static LIST_HEAD(foo_list);\n')).toBe('static LIST_HEAD(foo_list);\n');
  });

  test('a static function declaration is left alone', () => {
    const src = 'static FOO_TYPE foo_get(struct foo *, int);\n';
    expect(rewriteKernelIdioms(src)).toBe(src);
  });
});

describe('loop macros with an unbraced body', () => {
  test('the macro name becomes while; a braced body and a plain call are left alone', () => {
    expect(inBody('for_each_online_cpu(cpu)\n\t\tsum += foo_count(cpu);')).toBe('while              (cpu)\n\t\tsum += foo_count(cpu);');
    expect(inBody('list_for_each_entry(p, &h, list) {\n\t\tfoo_do(p);\n\t}')).toBe('list_for_each_entry(p, &h, list) {\n\t\tfoo_do(p);\n\t}');
    expect(inBody('for_each_foo(foo_cb, data);')).toBe('for_each_foo(foo_cb, data);');
    expect(inBody('x = for_each_foo_count(a) + 1;')).toBe('x = for_each_foo_count(a) + 1;');
  });

  test('it is extracted as the macro loop a braced body gives', () => {
    const unbraced = facts('void foo_sum(void)\n{\n\tfor_each_cpu(cpu, foo_mask(x))\n\t\tsum += foo_count(cpu);\n}\n')[0];
    const braced = facts('void foo_sum(void)\n{\n\tfor_each_cpu(cpu, foo_mask(x)) {\n\t\tsum += foo_count(cpu); }\n}\n')[0];
    expect(unbraced.hasErrors).toBe(false);
    expect(braced.hasErrors).toBe(false);
    expect(unbraced.calls.map((c) => c.callee)).toEqual(['foo_mask', 'foo_count']);
    const shape = (f: FunctionFacts) => JSON.stringify(f.ops.map((o) => ('rng' in o ? { ...o, rng: undefined } : o)));
    expect(shape(unbraced)).toBe(shape(braced));
  });

  test('a real while loop keeps its condition', () => {
    const [f] = facts('void foo_wait(void)\n{\n\twhile (foo_busy())\n\t\tcpu_relax();\n}\n');
    const br = f.ops.find((o) => o.op === 'br');
    expect(br && br.op === 'br' && br.cond).toMatchObject({ k: 'call', fn: 'foo_busy' });
  });

  test('a function whose only error is the recovered head of a braced loop macro has no parse errors', () => {
    const [ok] = facts('void foo_all(struct list_head *h)\n{\n\tstruct foo *p;\n\n\tlist_for_each_entry(p, h, list) {\n\t\tfoo_do(p);\n\t}\n}\n');
    expect(ok.hasErrors).toBe(false);
    const [bad] = facts('void foo_bad(void)\n{\n\tfoo_do(p) = = 1;\n}\n');
    expect(bad.hasErrors).toBe(true);
  });
});

describe('string macros side by side', () => {
  test('two or more before a literal become literals of their length; one alone stays', () => {
    expect(inBody('printk(KERN_ERR PFX "foo failed\\n");')).toBe('printk("$$$$$$" "$" "foo failed\\n");');
    expect(parsesClean('void f(void)\n{\n\tprintk(KERN_ERR PFX "foo failed\\n");\n}\n')).toBe(true);
    expect(inBody('printk(KERN_INFO "foo\\n");')).toBe('printk(KERN_INFO "foo\\n");');
    expect(inBody('x = FOO_A + FOO_B;')).toBe('x = FOO_A + FOO_B;');
  });

  test('the call is extracted with the argument as written', () => {
    const [f] = facts('void foo_warn(int e)\n{\n\tprintk(KERN_ERR PFX "foo failed %d\\n", e);\n}\n');
    expect(f.hasErrors).toBe(false);
    expect(f.calls[0].argText[0]).toBe('KERN_ERR PFX "foo failed %d\\n"');
  });
});

/**
 * Annotation macros tree-sitter-c does not know (`__init`, `__user`, `noinline`, `__printf(…)`)
 * are blanked before parsing: functions written with them are extracted under their own names,
 * with their parameters, and every position in the file stays where it was.
 */
import { describe, expect, test } from 'vitest';
import { extractSource } from '../../src/program/source.js';
import { maskAnnotations } from '../../src/syntax/annotations.js';

const SRC = `/* __init in a comment stays */
#define __init __section(".init.text") __cold
static int __init foo_init(void)
{
	char *s = "__init";
	return 0;
}
static noinline __printf(2, 3) void bar_log(int level, const char *fmt, ...)
{
}
static ssize_t baz_write(struct file *f, const char __user *buf, size_t n, gfp_t gfp)
{
	return n;
}
`;

describe('maskAnnotations', () => {
  const masked = maskAnnotations(SRC);

  test('keeps the length and every line break', () => {
    expect(masked.length).toBe(SRC.length);
    expect(masked.split('\n').map((l) => l.length)).toEqual(SRC.split('\n').map((l) => l.length));
  });

  test('blanks annotations in code, not in comments, strings or preprocessor lines', () => {
    expect(masked).toContain('/* __init in a comment stays */');
    expect(masked).toContain('char *s = "__init";');
    expect(masked).toContain(`#define __init __section(".init.text") __cold`);
    expect(masked).toMatch(/static int {8}foo_init\(void\)/);
    expect(masked).not.toMatch(/__printf|noinline|__user/);
  });

  test('a file without annotations is returned as it is', () => {
    const plain = 'int f(void)\n{\n\treturn 0;\n}\n';
    expect(maskAnnotations(plain)).toBe(plain);
  });
});

describe('extraction of annotated functions', () => {
  const ex = extractSource(SRC, 5000);
  if ('skip' in ex) throw new Error(ex.skip);
  const byName = new Map(ex.facts.functions.map((f) => [f.name, f]));

  test('every function is found under its own name', () => {
    expect([...byName.keys()].sort()).toEqual(['bar_log', 'baz_write', 'foo_init']);
  });

  test('parameters after an address-space annotation keep their names', () => {
    expect(byName.get('baz_write')!.params.map((p) => p.name)).toEqual(['f', 'buf', 'n', 'gfp']);
  });

  test('positions are those of the original text', () => {
    expect(byName.get('foo_init')!.nameRng[0]).toBe(2);
    expect(byName.get('foo_init')!.nameRng[1]).toBe(18);
  });
});

describe('storage-class and cast annotations', () => {
  test('STATIC opening a line is static, the same length; elsewhere it stays', () => {
    const src = 'STATIC int\nfoo_get(struct foo *f)\n{\n\treturn FOO_STATIC;\n}\nint x = STATIC_KEY;\n';
    const masked = maskAnnotations(src);
    expect(masked).toBe(src.replace('STATIC int', 'static int'));
    const ex = extractSource(src, 5000);
    if ('skip' in ex) throw new Error(ex.skip);
    expect(ex.facts.functions.map((f) => [f.name, f.isStatic, f.hasErrors])).toEqual([['foo_get', true, false]]);
  });

  test('__force in a cast is blanked', () => {
    expect(maskAnnotations('x = (__force u32)y;')).toBe('x = (        u32)y;');
  });
});

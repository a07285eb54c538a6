/**
 * Kernel annotation macros that tree-sitter-c cannot know are macros. Between a function's
 * return type and its name (`static int __init foo_init(void)`) one turns the definition into a
 * declaration `static int __init` plus a function named by its parameter list, so the function
 * is lost; in a parameter (`const char __user *buf`) one garbles the parameter list. They expand
 * to attributes or nothing (include/linux/compiler_types.h, include/linux/init.h), so they are
 * blanked out before parsing, space for character, and every position stays where it was.
 */
const BARE = [
  // include/linux/init.h, include/linux/module.h, include/net/net_namespace.h
  '__init', '__exit', '__ref', '__meminit', '__net_init', '__net_exit', '__init_or_module', '__exitused',
  // include/linux/compiler_types.h, compiler_attributes.h, linkage.h, kprobes.h, sched/debug.h
  'notrace', 'noinline', '__noinline', '__always_inline', '__cold', '__hot', '__weak', '__maybe_unused', '__used', '__always_unused',
  '__must_check', '__visible', 'asmlinkage', '__latent_entropy', 'noinstr', '__attribute_const__', '__pure', '__malloc', '__flatten',
  '__nocfi', '__noclone', '__kprobes', '__sched', '__irq_entry', '__softirq_entry', '__bpf_kfunc', '__noreturn', '__naked',
  'noinline_for_stack', '__no_sanitize_address', '__no_kcsan', '__no_kasan_or_inline', '__nostackprotector', '__fastcall',
  // include/linux/compiler_types.h address-space and checker annotations
  '__user', '__iomem', '__percpu', '__rcu', '__kernel', '__nocast', '__safe', '__private', '__force',
];
const WITH_ARGS = ['__printf', '__scanf', '__section', '__alloc_size', '__realloc_size', '__cleanup', '__diagnose_as', '__acquires', '__releases', '__must_hold', '__cond_acquires'];

const ANNOTATION = `\\b(?:(?:${BARE.join('|')})\\b|(?:${WITH_ARGS.join('|')})\\s*\\((?:[^()]|\\([^()]*\\))*\\))`;
/**
 * Kept as they are: comments, string and character literals, and preprocessor lines with their
 * continuations (a `#define __init` blanked to trailing spaces made tree-sitter-c read the next
 * line into the macro's value; macro bodies are not analysed as code anyway).
 */
const KEPT = String.raw`\/\*[\s\S]*?\*\/|\/\/[^\n]*|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|^[ \t]*#(?:[^\n\\]|\\[\s\S])*`;
const TOKENS = new RegExp(`${KEPT}|${ANNOTATION}`, 'gm');
const ANY = new RegExp(ANNOTATION);

/**
 * `STATIC` opening a line: a storage-class macro spelled as `static`, the same length
 * (fs/xfs/xfs_linux.h:246 `#define STATIC static noinline`; the boot decompressors and
 * lib/decompress_*.c define it as `static`). Read as a type name it made every xfs function
 * declared with it a parse error, and `static` keeps the function's linkage visible.
 */
const STORAGE_MACRO = /^STATIC(?=[ \t]+[A-Za-z_])/gm;

/** The text with annotation macros blanked (same length, same line breaks). */
export function maskAnnotations(text: string): string {
  const t = text.includes('STATIC') ? text.replace(STORAGE_MACRO, 'static') : text;
  if (!ANY.test(t)) return t;
  return t.replace(TOKENS, (m) => (m.startsWith('_') || /^[a-z]/.test(m) ? m.replace(/[^\n]/g, ' ') : m));
}

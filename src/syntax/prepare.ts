/**
 * The text tree-sitter-c parses: the file with the kernel idioms it cannot know rewritten, every
 * character where it was (same length, same line breaks), so each fact's range points at the
 * original text.
 */
import { maskAnnotations } from './annotations.js';
import { rewriteKernelIdioms } from './kernel-idioms.js';

export function prepareForParse(text: string): string {
  return rewriteKernelIdioms(maskAnnotations(text));
}

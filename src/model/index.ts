/**
 * The allocator and locking model: GFP flag tables and algebra, the memalloc scope API, the
 * allocator and lock tables. Pure data and pure functions; no tree-sitter.
 */

/** Bump whenever a table changes: used as a cache key for analysis results. */
export const MODEL_VERSION = '1';

export * from './version.js';
export * from './gfp-tables.js';
export * from './gfp.js';
export * from './memalloc-scopes.js';
export * from './allocators.js';
export * from './locks.js';
export * from './sizes.js';
export * from './names.js';

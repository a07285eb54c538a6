/**
 * The expression form lives in src/facts (shared with the model, which must not depend on the
 * parser layer); re-exported here so the analysis layers keep one import path for syntax data.
 */
export * from '../facts/expr.js';

/** A problem with how gfplint was invoked or configured: one line, exit 2. */
export class UsageError extends Error {}

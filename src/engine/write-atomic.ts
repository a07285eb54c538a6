/**
 * The one way gfplint writes a file of the user's (a report, a baseline, a fixed source file):
 * through a temporary file in the target's directory, renamed into place, so the target is
 * either the old file or the complete new one.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Permission bits of the new file (default 0644; a fixed source file keeps its own). */
  mode?: number;
  /** Asked once more before the rename: true leaves the target alone (an interrupted run). */
  abandon?: () => boolean;
}

/** Synchronous, so no signal handler runs halfway. Throws the system error; the temporary file never stays behind. */
export function writeFileAtomic(target: string, data: string, opts: AtomicWriteOptions = {}): void {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fd = openSync(tmp, 'wx', opts.mode ?? 0o644);
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (opts.abandon?.()) {
      unlinkSync(tmp);
      return;
    }
    renameSync(tmp, target);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw e;
  }
}

/**
 * The child process checker.ts forks to scan a whole kernel tree for its summaries: a scan of the
 * tree's root, progress and the outcome sent to the parent over IPC. Findings are not kept.
 */
import { lint } from '../engine/lint.js';

interface Job { treeRoot: string; cacheDir: string; kernelVersion?: string }

async function run(): Promise<void> {
  const send = (m: unknown) => process.send?.(m);
  try {
    const job = JSON.parse(process.env.GFPLINT_BUILD ?? '') as Job;
    const controller = new AbortController();
    process.on('SIGTERM', () => controller.abort());
    let last = 0;
    const r = await lint({
      cwd: job.treeRoot,
      paths: ['.'],
      cacheDir: job.cacheDir,
      kernelVersion: job.kernelVersion,
      signal: controller.signal,
      onProgress: (done, total) => {
        const now = Date.now();
        if (now - last < 250 && done < total) return;
        last = now;
        send({ progress: [done, total] });
      },
    });
    send({ done: `scanned ${r.filesScanned} files in ${r.stats.seconds.toFixed(0)} s` });
  } catch (e) {
    send({ error: (e as Error).message });
  }
  process.disconnect?.();
}

void run();

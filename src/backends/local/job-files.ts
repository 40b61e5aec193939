import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../../state/run-state.js';
import type { DetachedFiles } from '../../util/detached.js';

/** Where the local backend keeps an attempt's pid, exit code and output (the job's log, in the run directory). */
export function localJobFiles(runDir: string, attempt: number): DetachedFiles {
  return {
    pid: path.join(runDir, STATE_DIR, `job-${attempt}.pid`),
    exit: path.join(runDir, STATE_DIR, `job-${attempt}.exit`),
    out: path.join(runDir, `job-${attempt}.log`),
  };
}

/** The interpreter named by the job file's `#!` line, as SLURM would use it; /bin/sh without one. */
export function interpreterOf(jobPath: string): string[] {
  try {
    const head = fs.readFileSync(jobPath, { encoding: 'utf8', flag: 'r' }).slice(0, 512);
    const first = head.split('\n')[0] ?? '';
    if (first.startsWith('#!')) {
      const parts = first.slice(2).trim().split(/\s+/).filter(Boolean);
      if (parts.length > 0) return parts;
    }
  } catch {
    // Missing job files are reported when the job runs.
  }
  return ['/bin/sh'];
}

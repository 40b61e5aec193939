import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../../state/run-state.js';

/** Where the local backend keeps an attempt's pid, exit code and output. */
export interface LocalJobFiles {
  pid: string;
  exit: string;
  log: string;
}

export function localJobFiles(runDir: string, attempt: number): LocalJobFiles {
  return {
    pid: path.join(runDir, STATE_DIR, `job-${attempt}.pid`),
    exit: path.join(runDir, STATE_DIR, `job-${attempt}.exit`),
    log: path.join(runDir, `job-${attempt}.log`),
  };
}

export function readNumber(file: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return /^-?\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
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

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

/**
 * How the job file is run, as the kernel runs it and as the SLURM job wrapper
 * does (backends/slurm/job-wrapper.ts): an executable file is executed, and
 * the kernel reads its `#!` line; otherwise the `#!` line is read as the
 * kernel reads it, the interpreter and at most one argument, the rest of
 * the line as it stands (`#!/usr/bin/python3 -u -B` passes `-u -B` as one
 * argument, as on the cluster); without one, /bin/sh runs it.
 */
export function jobCommand(jobPath: string): string[] {
  try {
    if (fs.statSync(jobPath).isFile()) {
      fs.accessSync(jobPath, fs.constants.X_OK);
      return [jobPath];
    }
  } catch {
    // Not executable (or missing: reported when the job runs): read as below.
  }
  return [...interpreterOf(jobPath), jobPath];
}

function interpreterOf(jobPath: string): string[] {
  try {
    const head = fs.readFileSync(jobPath, { encoding: 'utf8', flag: 'r' }).slice(0, 512);
    const first = head.split('\n')[0] ?? '';
    if (first.startsWith('#!')) {
      const rest = first.slice(2).trim();
      const interpreter = rest.split(/[ \t]/, 1)[0]!;
      const argument = rest.slice(interpreter.length).trim();
      if (interpreter) return argument ? [interpreter, argument] : [interpreter];
    }
  } catch {
    // Missing job files are reported when the job runs.
  }
  return ['/bin/sh'];
}

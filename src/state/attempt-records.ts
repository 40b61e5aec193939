import fs from 'node:fs';
import path from 'node:path';
import { hash64 } from '../util/hash.js';
import { STATE_DIR } from './run-state.js';
import { withMissing, type AttemptUsage } from './usage.js';
import { shellCpuSeconds } from '../util/shell-times.js';

/**
 * What a job's wrapper records of one attempt, from inside the job: when it
 * started and on which host, and when and how it ended. They are written by
 * the job (write, then rename: never half a file) into the run's state
 * folder, so they survive anything that happens to mensemble, and they are
 * what the apply, `status` and the report learn a job's start and end from.
 */
export interface AttemptStart {
  /** The scheduler's id for the job that wrote it (`<array>_<task>` for an array task). */
  job: string;
  host: string;
  at: string;
  /** CPUs the scheduler gave the job on its node (SLURM_CPUS_ON_NODE), where it said. */
  cpus?: number;
}

export interface AttemptEnd {
  job: string;
  at: string;
  exitCode: number;
  /**
   * The job was signalled (by the scheduler: a cancel, a time limit, an
   * out-of-memory kill, or by anyone): how it ended is then the scheduler's
   * to say, not the exit code's.
   */
  signalled: boolean;
  /** CPU time (user and system) of the job's processes, as the wrapper's shell counted it. */
  cpuSeconds?: number;
}

export interface AttemptRecordFiles {
  started: string;
  ended: string;
}

export function attemptRecordFiles(runDir: string, attempt: number): AttemptRecordFiles {
  return {
    started: path.join(runDir, STATE_DIR, `attempt-${attempt}.started`),
    ended: path.join(runDir, STATE_DIR, `attempt-${attempt}.ended`),
  };
}

/** The records of one attempt, each only if it is whole and has the shape wrappers write. */
export function readAttemptRecords(runDir: string, attempt: number): { started?: AttemptStart; ended?: AttemptEnd } {
  const files = attemptRecordFiles(runDir, attempt);
  const started = readJson(files.started);
  const ended = readJson(files.ended);
  const out: { started?: AttemptStart; ended?: AttemptEnd } = {};
  if (started && typeof started.job === 'string' && typeof started.at === 'string' && isTime(started.at)) {
    out.started = { job: started.job, host: typeof started.host === 'string' ? started.host : '', at: started.at };
    const cpus = typeof started.cpus === 'string' && /^\d+$/.test(started.cpus) ? Number(started.cpus) : undefined;
    if (cpus) out.started.cpus = cpus;
  }
  if (ended && typeof ended.job === 'string' && typeof ended.at === 'string' && isTime(ended.at) && Number.isInteger(ended.exitCode) && typeof ended.signalled === 'boolean') {
    out.ended = { job: ended.job, at: ended.at, exitCode: ended.exitCode as number, signalled: ended.signalled };
    const cpu = typeof ended.times === 'string' ? shellCpuSeconds(ended.times) : undefined;
    if (cpu !== undefined) out.ended.cpuSeconds = cpu;
  }
  return out;
}

/**
 * Where wrappers leave a notice that an attempt started or ended: one folder
 * per batch folder (the runs' parent), so the apply watches a few folders,
 * never one file per run. A notice only says "look at this attempt's
 * records"; the records stay the truth.
 */
export function noticeFolder(runDir: string): string {
  return path.join(path.dirname(runDir), STATE_DIR, 'notices');
}

/** The name an attempt's notices carry (`<name>.start`, `<name>.end`): a hash, as run ids need not be file names. */
export function noticeName(runDir: string, attempt: number): string {
  return hash64(`${runDir}\0${attempt}`);
}

/** The path prefix a wrapper is given for an attempt's notices; the folder is made here, before the job can run. */
export function preparedNotice(runDir: string, attempt: number): string {
  const folder = noticeFolder(runDir);
  fs.mkdirSync(folder, { recursive: true });
  return path.join(folder, noticeName(runDir, attempt));
}

/**
 * What an attempt used as its wrapper saw it, for a backend without
 * accounting (or before accounting answers): wall time from the records'
 * start and end, CPU time, and core time for `cpus` CPUs. The rest is missing.
 */
export function wrapperUsage(startedAt: string | undefined, endedAt: string | undefined, cpuSeconds: number | undefined, cpus: number | undefined, requests = true): AttemptUsage {
  const start = startedAt === undefined ? NaN : Date.parse(startedAt);
  const end = endedAt === undefined ? NaN : Date.parse(endedAt);
  const elapsed = Number.isFinite(start) && Number.isFinite(end) && end >= start ? (end - start) / 1000 : undefined;
  const usage: AttemptUsage = { source: 'wrapper' };
  if (elapsed !== undefined) usage.elapsedSeconds = elapsed;
  if (cpus !== undefined) usage.cpus = cpus;
  if (cpuSeconds !== undefined) usage.cpuSeconds = cpuSeconds;
  if (elapsed !== undefined && cpus !== undefined) usage.coreSeconds = elapsed * cpus;
  // A job without a scheduler (local) requests no memory and has no time limit: nothing is missing there.
  return withMissing(usage, requests ? undefined : ['elapsedSeconds', 'cpus', 'cpuSeconds', 'coreSeconds', 'peakMemoryBytes']);
}

function readJson(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function isTime(text: string): boolean {
  return !Number.isNaN(Date.parse(text));
}

import fs from 'node:fs';
import path from 'node:path';
import type { DetachedFiles } from '../util/detached.js';
import { readTextIfExists } from '../util/read-text.js';
import { writeJsonAtomic, writeJsonAtomicFlushed, type WriteOptions } from './atomic-write.js';
import { runStateProblem } from './validate-run-state.js';
import type { AttemptUsage } from './usage.js';

/** Job states, SLURM's final states included so every backend speaks one vocabulary. */
export type JobState =
  | 'submitting'
  | 'queued'
  | 'running'
  | 'completed'
  | 'failed'
  | 'cancelled'
  | 'timeout'
  | 'out_of_memory'
  | 'node_fail'
  | 'preempted'
  | 'boot_fail'
  | 'deadline'
  | 'lost';

export const ACTIVE_STATES: ReadonlySet<JobState> = new Set(['submitting', 'queued', 'running']);
export const isActive = (state: JobState): boolean => ACTIVE_STATES.has(state);

export interface AttemptRecord {
  /** 1-based count of attempts for the same inputs. */
  attempt: number;
  inputHash: string;
  backend: string;
  state: JobState;
  jobId?: string;
  exitCode?: number | null;
  /** Why a job ended as it did, when the backend knows (signal, lost process, ...). */
  reason?: string;
  submittedAt: string;
  startedAt?: string;
  endedAt?: string;
  /** Backend-specific facts needed to find the job again (pid and start time, ...). */
  backendData?: Record<string, unknown>;
  /** What the attempt used (state/usage.ts), once it ended and the figures were known. */
  usage?: AttemptUsage;
  /**
   * Scheduler options this attempt was submitted with over the batch's
   * own, because a retry rule raised them (`{mem: '12288M'}`); a later
   * retry grows from these.
   */
  escalated?: Record<string, string>;
}

export interface FileRecord {
  kind: 'dir' | 'rendered' | 'copy' | 'symlink';
  hash: string;
  mode?: number;
  /** For a cheap drift check: if size, mtime and inode are unchanged, the content is. */
  size?: number;
  mtimeMs?: number;
  ino?: number;
}

/**
 * A run task for given inputs: `startedAt` is written before its process
 * starts, `finishedAt` once its result is known. Started but not finished
 * means an earlier apply was killed meanwhile: the next one takes the
 * result the task left (see taskFiles) instead of running it again.
 */
export interface TaskRecord {
  inputHash: string;
  /** The task's own definition (name and arguments) it ran for; absent in records written before it was kept. */
  taskHash?: string;
  startedAt?: string;
  /** Set only when the task succeeded: then it is not run again for the same inputs. */
  finishedAt?: string;
  /** Set when the task failed: the next attempt or apply runs it afresh. */
  failedAt?: string;
  /** The failed task's exit code, when it had one. */
  exitCode?: number;
}

/** Everything mensemble knows about one run, in `<run dir>/.mensemble/state.json`. */
export interface RunState {
  version: 1;
  id: string;
  batch: string;
  /** The desired-state hash of what was last rendered into the directory. */
  inputHash: string;
  /** Canonical JSON of each template variable, for plan reasons. */
  vars: Record<string, string>;
  files: Record<string, FileRecord>;
  jobFile: string;
  /** Canonical JSON of the scheduler options the files were rendered with. */
  options: string;
  renderedAt: string;
  attempts: AttemptRecord[];
  /** Finished tasks, keyed `<phase>[<index>]:<name>`. */
  tasks: Record<string, TaskRecord>;
  /** Set when the whole life cycle (post_run included) finished for these inputs. */
  completed?: { inputHash: string; at: string; outcome: JobState };
  /** The configuration that wrote the run (absent in records written before it was kept). */
  owner?: RunOwner;
  /**
   * Set when the run was replaced on request (`--replace`) with these inputs:
   * its attempts up to `afterAttempt` are the run before, kept with their
   * logs; the replacement's attempts are numbered on from there.
   */
  replaced?: { inputHash: string; afterAttempt: number; at: string };
}

/**
 * Which configuration a run belongs to: its file's name, and the ensemble key
 * (a hash of its absolute path). Two configurations may share a basedir and a
 * batch name; neither may take the other's runs for its own orphans.
 */
export interface RunOwner {
  config: string;
  key: string;
}

/**
 * Whether a run recorded with `owner` may be taken as one of this
 * configuration's own. A record without an owner was written before owners
 * were kept: it is taken as before. One with another file name belongs to
 * another configuration. One with the same name and another key is ours only
 * when its folder lies inside ours: the ensemble was moved or renamed as a
 * whole; elsewhere it is another folder's configuration of the same name.
 */
export function ownedBy(owner: RunOwner | undefined, mine: RunOwner, runDir: string, ensembleDir: string): boolean {
  if (owner === undefined) return true;
  if (owner.config !== mine.config) return false;
  if (owner.key === mine.key) return true;
  const rel = path.relative(ensembleDir, runDir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * A run's record with every mention of one input hash replaced by another:
 * a run whose folder moved keeps its attempts, tasks and completion under the
 * hash its inputs have in the new place.
 */
export function rekeyRunState(state: RunState, from: string, to: string): RunState {
  const swap = (hash: string) => (hash === from ? to : hash);
  return {
    ...state,
    inputHash: swap(state.inputHash),
    attempts: state.attempts.map((a) => ({ ...a, inputHash: swap(a.inputHash) })),
    tasks: Object.fromEntries(Object.entries(state.tasks).map(([key, t]) => [key, { ...t, inputHash: swap(t.inputHash) }])),
    completed: state.completed && { ...state.completed, inputHash: swap(state.completed.inputHash) },
  };
}

export const STATE_DIR = '.mensemble';

export function runStatePath(runDir: string): string {
  return path.join(runDir, STATE_DIR, 'state.json');
}

export class CorruptStateError extends Error {
  constructor(readonly file: string, detail: string) {
    super(`${file}: the state file is unreadable (${detail}).`);
  }
}

/** The run's state, undefined if the directory has none. Throws CorruptStateError for a damaged file. */
export function readRunState(runDir: string): RunState | undefined {
  const file = runStatePath(runDir);
  let text: string | undefined;
  try {
    text = readTextIfExists(file);
  } catch (err) {
    throw new CorruptStateError(file, (err as Error).message);
  }
  return text === undefined ? undefined : parseRunState(text, file);
}

/**
 * A state file's text (read from `file`) as a run's state, checked as every
 * reader relies on it. Throws CorruptStateError for a damaged one. The plan's
 * read-ahead thread and its taker use it too (plan/read-ahead.ts).
 */
export function parseRunState(text: string, file: string): RunState {
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (err) {
    throw new CorruptStateError(file, (err as Error).message);
  }
  const problem = runStateProblem(state);
  if (problem) throw new CorruptStateError(file, `not a mensemble run state of version 1: ${problem}`);
  return state as RunState;
}

/** The run directory was deleted (by hand) while mensemble worked on it. */
export class RunDirectoryGone extends Error {
  constructor(readonly runDir: string) {
    super(`the run directory ${runDir} was deleted while mensemble worked on it`);
    this.name = 'RunDirectoryGone';
  }
}

/**
 * Writes a run's state. The run directory must exist: one deleted by hand
 * during an apply is not brought back holding state alone (the next plan
 * renders it afresh); RunDirectoryGone says so instead.
 */
export function writeRunState(runDir: string, state: RunState, options: WriteOptions = {}): void {
  makeStateDir(runDir);
  writeJsonAtomic(runStatePath(runDir), state, options);
}

/**
 * writeRunState, flushed, without holding the event loop through the
 * fsyncs (atomic-write.ts's writeFileAtomicFlushed). The state is copied
 * when this is called; await it before the run's state is written again.
 */
export async function flushRunState(runDir: string, state: RunState): Promise<void> {
  makeStateDir(runDir);
  await writeJsonAtomicFlushed(runStatePath(runDir), state);
}

function makeStateDir(runDir: string): void {
  try {
    fs.mkdirSync(path.join(runDir, STATE_DIR));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RunDirectoryGone(runDir);
    if (code !== 'EEXIST') throw err;
  }
}

export function taskKey(phase: string, index: number, name: string): string {
  return `${phase}[${index}]:${name}`;
}

/** Where a task's process leaves its pid, exit code and output: `<dir>/.mensemble/task-<prefix><phase>.<index>.*`. */
export function taskFiles(dir: string, phase: string, index: number, prefix = ''): DetachedFiles {
  const base = path.join(dir, STATE_DIR, `task-${prefix}${phase}.${index}`);
  return { pid: `${base}.pid`, exit: `${base}.exit`, out: `${base}.out` };
}

/** Attempts made for the given inputs, oldest first. */
/** The attempts of these inputs (since a `--replace` of them, if there was one). */
export function attemptsFor(state: RunState, inputHash: string): AttemptRecord[] {
  const after = state.replaced?.inputHash === inputHash ? state.replaced.afterAttempt : 0;
  return state.attempts.filter((a) => a.inputHash === inputHash && a.attempt > after);
}

/** The number of the next attempt of these inputs: numbers restart when inputs change, and go on after a `--replace`. */
export function nextAttemptNumber(state: RunState, inputHash: string): number {
  const after = state.replaced?.inputHash === inputHash ? state.replaced.afterAttempt : 0;
  return after + attemptsFor(state, inputHash).length + 1;
}

export function latestAttempt(state: RunState): AttemptRecord | undefined {
  return state.attempts[state.attempts.length - 1];
}

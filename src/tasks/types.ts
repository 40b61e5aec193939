import type { Backend } from '../backends/types.js';
import type { TaskSpec } from '../config/types.js';
import type { DetachedFiles } from '../util/detached.js';

/** A task's own progress while it waits (checks) or works. */
export type TaskProgress =
  | { kind: 'check-waiting'; command: string; exitCode: number; intervalSeconds: number }
  | { kind: 'jobs-check-unreachable'; error: string }
  | { kind: 'jobs-waiting'; active: number; match: string; limit: number }
  | { kind: 'script-submitted'; script: string; jobId: string }
  | { kind: 'quota-missing' }
  | { kind: 'quota-waiting'; freeKb: number; wantedKb: number }
  /** An `execute` task's command that an earlier apply started is still running: it is waited for, not started again. */
  | { kind: 'command-still-running'; command: string; pid: number }
  /** An `execute` task's command was killed with the earlier apply (or the machine restarted): it runs again. */
  | { kind: 'command-interrupted'; command: string };

/** Where and for whom a task runs. */
export interface TaskContext {
  /** The ensemble's root (EnsembleSpec.root); relative paths in task arguments may not leave it. */
  ensembleDir: string;
  /** Where a task without a run works: the batch's basedir for batch tasks, the root for ensemble tasks. */
  workDir?: string;
  /** Present for pre_run/post_run tasks: the run's id, directory and template variables. */
  run?: { id: string; dir: string; vars: Record<string, unknown> };
  /** The user's shell for `cmd` arguments (model-ensembler's -l). */
  shell: string;
  /** Seconds between tries of a failing check (model-ensembler's -ct). */
  checkInterval: number;
  /** Skip check tasks (model-ensembler's -c). */
  noChecks: boolean;
  backend: Backend;
  /** Progress for the user, as data (ui/ words it). */
  progress: (p: TaskProgress) => void;
  signal?: AbortSignal;
  /**
   * Where an `execute` task's process leaves its pid, exit code and output,
   * and whether an earlier apply started it for the same inputs without
   * recording its end (then its result is taken, not run again).
   */
  journal?: TaskJournal;
}

export interface TaskJournal {
  files: DetachedFiles;
  resume: boolean;
}

export class TaskFailure extends Error {
  /** The exit code of the command that failed, when a command failed. */
  constructor(readonly where: string, message: string, readonly exitCode?: number) {
    super(`${where}: ${message}`);
    this.name = 'TaskFailure';
  }
}

/** A task's arguments as it runs: `run.<key>` substituted, its working folder resolved, its shell chosen. */
export interface TaskInvocation {
  args: Record<string, unknown>;
  cwd: string;
  shell: string;
}

/** How one kind of task runs (tasks/kinds/); throws TaskFailure when it fails. */
export type TaskRunner = (task: TaskSpec, ctx: TaskContext, invocation: TaskInvocation) => Promise<void>;

import type { BatchSpec, TaskPhase } from '../config/types.js';
import type { DesiredFile } from '../render/render-run.js';
import type { RunState } from '../state/run-state.js';

/** One run as the configuration wants it. */
export interface DesiredRun {
  id: string;
  batch: BatchSpec;
  idx: number;
  /** Absolute run directory, `<basedir>/<id>`. */
  dir: string;
  /** The `run` object templates see. */
  vars: Record<string, unknown>;
  /** Canonical JSON per variable, for reasons and state. */
  varsCanonical: Record<string, string>;
  /** Canonical JSON of the scheduler options. */
  options: string;
  files: DesiredFile[];
  inputHash: string;
  /** The input hash the run would have in another directory (a run whose ensemble moved). */
  hashAt(dir: string): string;
  where: string;
}

/** What is on disk (and in the scheduler) for one run directory. */
export interface ObservedRun {
  dir: string;
  /** The run's state; undefined when the directory has none. */
  state?: RunState;
  /** Set when the state file exists but cannot be read. */
  corrupt?: string;
  /** Set when something that is not a folder stands where the run directory must be: the run is left alone. */
  blocked?: string;
  /** The directory exists (with or without state). */
  exists: boolean;
  /** Rendered files changed on disk since they were written, with what changed. */
  drift: string[];
}

/** `moved`: the run's folder moved (the ensemble was renamed or moved) and nothing else changed: its record follows, it is not run again. */
export type PlanAction = 'create' | 'update' | 'replace' | 'retry' | 'resume' | 'moved' | 'remove' | 'inflight' | 'none';

export interface PlanEntry {
  id: string;
  batch: string;
  dir: string;
  action: PlanAction;
  /** Why, in words: what changed, what failed, what is pending. */
  reasons: string[];
  /** Warnings that do not change the action (drift after the job ran, attempts exhausted). */
  notes: string[];
  desired?: DesiredRun;
  observed?: ObservedRun;
  /**
   * Set when the run's record was written in another folder and only its
   * place changed: apply first re-renders the files that use `run.dir`
   * (`rerender`) and carries the record over, then does what `action` says.
   */
  moved?: { from: string; previousHash: string; rerender: string[] };
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  retry: number;
  resume: number;
  moved: number;
  remove: number;
  unchanged: number;
  inflight: number;
  /** Runs whose state file cannot be read: left alone until `mensemble repair`. */
  damaged: number;
  /** Runs whose directory is a file (ObservedRun.blocked): left alone until it is moved away. */
  blocked: number;
  /** Ensemble- and batch-level tasks owed by an unfinished apply session (Plan.tasks). */
  tasks: number;
}

/** An ensemble- or batch-level task that the next apply runs although no run needs work (plan/session-tasks.ts). */
export interface PendingTask {
  /** The batch of a pre_batch or post_batch task; undefined for pre_process and post_process. */
  batch?: string;
  phase: TaskPhase;
  index: number;
  name: string;
  /** `ensemble.batches[0].post_batch[0]`. */
  where: string;
  /** failed: ended with an error; interrupted: its apply was killed; not-run: never started; edited: succeeded, then its definition changed. */
  status: 'failed' | 'interrupted' | 'not-run' | 'edited';
  exitCode?: number;
}

export interface Plan {
  entries: PlanEntry[];
  /** Owed ensemble- and batch-level tasks, in the order apply runs them. */
  tasks: PendingTask[];
  summary: PlanSummary;
  /** Problems observing the world (an unreachable scheduler) that make the plan less certain. */
  warnings: string[];
  /** Each batch's base folder (absolute), so that nobody learns only afterwards where run directories went. */
  batches: Array<{ name: string; basedir: string }>;
  /** Where the configuration's relative paths started (config/paths-from.ts). */
  pathsFrom?: { rule: 'configuration' | 'working-directory'; dir: string };
}

/** Work apply would do: removals count only when they will happen (`--prune`); in-flight jobs are not changes. */
export function changeCount(s: PlanSummary, options: { prune?: boolean } = { prune: true }): number {
  return s.create + s.update + s.replace + s.retry + s.resume + s.moved + (options.prune ? s.remove : 0) + s.tasks;
}

export function hasChanges(plan: Plan, options?: { prune?: boolean }): boolean {
  return changeCount(plan.summary, options) > 0;
}

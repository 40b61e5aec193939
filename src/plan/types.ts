import type { BatchSpec, TaskPhase } from '../config/types.js';
import type { EscalatedResource } from '../config/retry-rules.js';
import type { Escalated } from './retry-policy.js';
import type { PlanCost } from './cost.js';
import type { DesiredFile } from '../render/render-run.js';
import type { JobState, RunOwner, RunState } from '../state/run-state.js';

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
  /** The configuration the run belongs to, recorded in its state. */
  owner: RunOwner;
}

/** What is on disk (and in the scheduler) for one run directory. */
export interface ObservedRun {
  dir: string;
  /** The run's state; undefined when the directory has none. */
  state?: RunState;
  /** Set when the state file exists but cannot be read. */
  corrupt?: string;
  /** Set when something that is not a folder stands where the run directory (or its `.mensemble` folder) must be: the run is left alone. */
  blocked?: Blocked;
  /** The directory exists (with or without state). */
  exists: boolean;
  /** The state is the record kept when the run's post_run removed its folder (state/removed-runs.ts). */
  removedByTask?: boolean;
  /** Rendered files changed on disk since they were written, with what changed. */
  drift: Drift[];
}

/** A file mensemble wrote that no longer matches what it wrote. */
export interface Drift {
  /** Relative to the run directory. */
  path: string;
  change: 'deleted' | 'modified' | 'link-changed';
}

/** A file (or a link to one) at `place`, where a folder must be. */
export interface Blocked {
  place: string;
  what: 'run-directory' | 'state-folder';
  /** Set when a symbolic link stands there: where it points. */
  link?: string;
  /** The link points to nothing. */
  dangling?: boolean;
}

/** How a job ended, as a plan reason or note carries it. */
export interface Outcome {
  state: JobState;
  exitCode?: number | null;
  reason?: string;
}

/**
 * Why a run needs the work its action says, as data: ui/plan-reasons.ts
 * words it, `--json` carries the fields beside the words.
 */
export type PlanReason =
  | { kind: 'new-run' }
  | { kind: 'directory-without-state' }
  | { kind: 'var-added'; key: string; after: string }
  | { kind: 'var-removed'; key: string; before: string }
  /** `before` and `after` are canonical JSON of the value. */
  | { kind: 'var-changed'; key: string; before: string; after: string }
  | { kind: 'file-added'; path: string }
  | { kind: 'file-removed'; path: string }
  /** `template` is set for a rendered file: the template it comes from. */
  | { kind: 'file-changed'; path: string; template?: string }
  /** Modes in octal, as `ls` and `chmod` spell them. */
  | { kind: 'file-mode-changed'; path: string; before: string; after: string }
  | { kind: 'job-file-changed'; before: string; after: string }
  | { kind: 'options-changed'; before: string; after: string }
  /** The input hash differs and nothing that can be named did (variables that only feed rendered files show as file changes). */
  | { kind: 'inputs-changed' }
  /** `--replace-running`: this queued or running job is cancelled first. */
  | { kind: 'will-cancel'; jobId?: string }
  /** Edited by hand since it was rendered, before any job ran: rendered again. */
  | ({ kind: 'drift' } & Drift)
  | { kind: 'submit-unrecorded' }
  | { kind: 'job-active'; jobId?: string; state: JobState }
  | { kind: 'not-submitted' }
  /** `--replace <batch>/<run>`: run again from its templates although nothing changed. */
  | { kind: 'asked' }
  /** A pre_run or post_run task of these inputs failed (`task`: `pre_run[0] execute`); the next apply runs it again. */
  | { kind: 'task-failed'; task: string; failedAt: string; exitCode?: number }
  /**
   * The last attempt failed and the retry rules retry it: `attempt` of
   * `maxAttempts` spent (a `free` retry spends none), with the resources it
   * asks more of, and the failed attempt's figures.
   */
  | ({ kind: 'attempt-failed'; attempt: number; maxAttempts: number; free?: boolean; freeRetry?: { used: number; of: number }; escalations?: Escalated[]; used?: UsedFigures } & Outcome)
  | ({ kind: 'post-run-pending' } & Outcome)
  | { kind: 'moved'; from: string; rerender: string[] }
  | { kind: 'moved-not-rerun' }
  | { kind: 'orphan' };

/** What a failed attempt used, beside the cause (bytes, seconds). */
export interface UsedFigures {
  peakMemoryBytes?: number;
  requestedMemoryBytes?: number;
  elapsedSeconds?: number;
  timeLimitSeconds?: number;
}

/** A warning about a run that does not change its action. */
export type PlanNote =
  | ({ kind: 'blocked' } & Blocked)
  | { kind: 'damaged'; error: string; target: string }
  | { kind: 'changed-in-flight'; changes: PlanReason[]; jobId?: string; state: JobState }
  | { kind: 'drift-after-run'; drift: Drift[] }
  | ({ kind: 'no-attempts-left'; attempt: number; maxAttempts: number } & Outcome)
  /** The attempt ended in a way `retry.when` does not list. */
  | ({ kind: 'not-retried'; when: string[] } & Outcome)
  /** Its cause escalates a resource already at `retry.limits`: another attempt would fail the same way. `value`, `limit`: bytes or seconds. */
  | ({ kind: 'at-limit'; resource: EscalatedResource; value: number; limit: number } & Outcome)
  /** Its cause escalates a resource whose request is not known (no accounting, no option to grow). */
  | ({ kind: 'cannot-escalate'; resource: EscalatedResource } & Outcome)
  | { kind: 'moved-while-submitting'; from: string; attempt: number }
  | { kind: 'orphan-job-active' }
  /** Not in the configuration any more, and kept: only `apply --prune` removes it. */
  | { kind: 'kept' };

/** `moved`: the run's folder moved (the ensemble was renamed or moved) and nothing else changed: its record follows, it is not run again. */
export type PlanAction = 'create' | 'update' | 'replace' | 'retry' | 'resume' | 'moved' | 'remove' | 'inflight' | 'none';

export interface PlanEntry {
  id: string;
  batch: string;
  dir: string;
  action: PlanAction;
  /** Why: what changed, what failed, what is pending. */
  reasons: PlanReason[];
  /** Warnings that do not change the action (drift after the job ran, attempts exhausted). */
  notes: PlanNote[];
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
  /** Runs the configuration no longer has, left in place because the plan is not for `--prune`. */
  kept: number;
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
  /** Where the configuration's relative paths started, and what set that: its dialect or `.mensemblerc` (config/paths-from.ts). */
  pathsFrom?: { rule: 'configuration' | 'working-directory'; dir: string; by: 'dialect' | 'rc' };
  /** The `.mensemblerc` profile in force (`--profile`), and the file it is in. */
  profile?: { name: string; file: string };
  /** How the file is read: what its templates see and, unless `.mensemblerc` says otherwise, where paths start. */
  dialect?: { name: 'model-ensembler' | 'mensemble'; declared: boolean };
  /** The estimated core-hours of the jobs the plan would submit (plan/cost.ts). */
  cost?: PlanCost;
}

/** Work apply would do: removals count only when they will happen (`--prune`); in-flight jobs are not changes. */
export function changeCount(s: PlanSummary, options: { prune?: boolean } = { prune: true }): number {
  return s.create + s.update + s.replace + s.retry + s.resume + s.moved + (options.prune ? s.remove : 0) + s.tasks;
}

export function hasChanges(plan: Plan, options?: { prune?: boolean }): boolean {
  return changeCount(plan.summary, options) > 0;
}

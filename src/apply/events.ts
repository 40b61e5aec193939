import type { TaskPhase } from '../config/types.js';
import type { Escalated } from '../plan/retry-policy.js';
import type { BackendNotice, SchedulerRetry } from '../backends/types.js';
import type { JobState } from '../state/run-state.js';
import type { TaskProgress } from '../tasks/types.js';

/**
 * What apply tells the user as it goes, as data. Only `ui/` turns an event
 * into words (ui/apply-events.ts); `--json` carries the fields as they are.
 */

/** Something the user should know that does not stop the apply. */
export type ApplyWarning =
  /** The scheduler stayed unreachable: the run keeps its recorded intent for the next apply. */
  | { kind: 'scheduler-unreachable'; backend: string; error: string }
  | ({ kind: 'scheduler-retrying' } & SchedulerRetry)
  | { kind: 'query-failing'; backend: string; error: string }
  | { kind: 'query-recovered'; backend: string; afterSeconds: number }
  | { kind: 'submit-failed'; attempt: number; error: string }
  | { kind: 'run-dir-gone'; error: string }
  | { kind: 'arrays-disabled'; backend: string; batch: string; maxjobs: number }
  | { kind: 'not-removing'; dir: string; jobId?: string; state: JobState }
  /** `--max-core-hours`: the jobs that ended have used the budget; nothing more is submitted. */
  | { kind: 'budget-spent'; budgetHours: number; spentHours: number }
  | BackendNotice
  /** The ensemble's lock was held on another host whose heartbeat had stopped: taken over. */
  | { kind: 'stale-lock-taken'; pid: number; host: string; command: string; silentSeconds: number };

/** Where an event happened: a run (batch and runId), a batch, or the ensemble (neither). */
interface Place {
  batch?: string;
  runId?: string;
}

export type ApplyEvent = Place &
  (
    | { kind: 'batch-started'; batch: string; runs: number; maxruns: number; maxjobs: number; arrays: boolean }
    /** A run whose folder moved: its record was carried over and these files rendered again. */
    | { kind: 'moved'; from: string; rerendered: string[] }
    | { kind: 'rendered'; files: number; action: 'create' | 'update' | 'replace' }
    | { kind: 'task-started'; phase: TaskPhase; name: string; resumed: boolean }
    | { kind: 'task-progress'; progress: TaskProgress }
    | { kind: 'task-finished'; phase: TaskPhase; name: string }
    /** A queued or running job cancelled because the run's inputs changed (`--replace-running`). */
    | { kind: 'job-cancelled'; jobId?: string }
    | { kind: 'submitted'; jobId: string; attempt: number; state: JobState }
    /** A job an earlier, interrupted apply submitted, found and followed. */
    | { kind: 'adopted'; jobId: string; attempt: number }
    /** An interrupted apply recorded the intent to submit, but no job exists: it is submitted now. */
    | { kind: 'intent-dropped'; attempt: number }
    /** A job's state changed; `final` once it has ended. */
    | { kind: 'job-state'; jobId?: string; state: JobState; exitCode?: number | null; reason?: string; final: boolean }
    /** Another attempt goes out: `attempt` of `maxAttempts` (a `free` one spends none), asking more of `escalations`. */
    | { kind: 'retrying'; attempt: number; maxAttempts: number; free?: boolean; escalations?: Escalated[] }
    /** The run's life cycle ended: its last job's state, after its post_run tasks. */
    | { kind: 'finished'; state: JobState; exitCode?: number | null; reason?: string; attempts: number }
    /** The run failed outside its job (a task failed, a template could not be written). */
    | { kind: 'run-failed'; error: string }
    | { kind: 'removed'; dir: string }
    | { kind: 'warning'; warning: ApplyWarning }
  );

export type ApplyEventKind = ApplyEvent['kind'];

export type Reporter = (event: ApplyEvent) => void;

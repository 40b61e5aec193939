import type { AttemptRecord, JobState } from '../state/run-state.js';
import type { AttemptUsage } from '../state/usage.js';

/** What a backend needs to start one attempt of one run. */
export interface SubmitRequest {
  /** Identifies the ensemble (a hash of its configuration path), so jobs can be found again. */
  ensembleKey: string;
  batch: string;
  runId: string;
  runDir: string;
  jobFile: string;
  attempt: number;
  /** The batch's options for this backend (its `slurm:` for SLURM; none for local). */
  options: Record<string, string | number | boolean>;
  /** Job ids of this run's earlier attempts: never to be mistaken for this attempt's job. */
  knownJobIds: readonly string[];
  /** Told about retries while the scheduler is unreachable, for progress output. */
  notify?: (retry: SchedulerRetry) => void;
}

/** A scheduler call that failed transiently and is tried again (a per-user job limit is waited out, not counted). */
export interface SchedulerRetry {
  /** What was being done: `submitting`, `finding an earlier submission`... */
  what: string;
  error: string;
  waitSeconds: number;
  jobLimit: boolean;
}

/**
 * The scheduler could not be reached or answered with a transient error
 * (controller down, timeout, per-user limit). It never makes a run fail:
 * the caller waits, or leaves the run for the next apply.
 */
export class BackendUnavailableError extends Error {}

export interface SubmitResult {
  jobId: string;
  state: JobState;
  backendData?: Record<string, unknown>;
  startedAt?: string;
  /** A job found again (adopted) that has already ended: how it ended, as a refresh would tell. */
  exitCode?: number | null;
  endedAt?: string;
  reason?: string;
  usage?: AttemptUsage;
}

export interface JobStatus {
  state: JobState;
  exitCode?: number | null;
  reason?: string;
  startedAt?: string;
  endedAt?: string;
  /** What the attempt used, once it ended (state/usage.ts). */
  usage?: AttemptUsage;
  /**
   * The usage given is what the job's wrapper saw; the scheduler's
   * accounting will tell more (`Backend.usage`) once it has the job's record.
   */
  usageToCome?: boolean;
}

export interface RecoverOptions {
  /**
   * Rebuilding a damaged state (`mensemble repair`): the intent is a guess
   * with no backend data, so the attempt may have gone out as a lone job or
   * as a task of any array of the batch.
   */
  rebuilding?: boolean;
}

/** What a backend with job arrays offers (`Backend.arrays`); the apply's array gate is its one user. */
export interface JobArrays {
  /** Whether this scheduler takes arrays at all (a cluster may disable them). Asked before a batch is submitted as arrays. */
  available(): Promise<boolean>;
  /**
   * Submits many attempts as job arrays, at most `throttle` of their tasks
   * running at once. Before anything reaches the scheduler, `recordIntent`
   * is called for every request with the facts needed to find its task again
   * after a crash; the caller makes them durable. Each request maps to its
   * result, or to the error that kept it from being submitted.
   */
  submit(requests: readonly SubmitRequest[], throttle: number, recordIntent: (request: SubmitRequest, backendData: Record<string, unknown>) => void): Promise<Map<SubmitRequest, SubmitResult | Error>>;
  /**
   * Lets the arrays holding these attempts run `throttle` tasks at once from
   * now on (the apply raises it as other arrays of the batch finish, so that
   * together they never pass maxjobs). Optional: without it throttles stay.
   */
  setThrottle?(attempts: readonly AttemptRecord[], throttle: number): Promise<void>;
}

/** Something about where jobs run that the user should know, as data (ui/ words it). */
export type BackendNotice =
  /** mensemble runs inside a job (an salloc or sbatch allocation); the jobs it submits do not inherit that job's settings. */
  { kind: 'inside-allocation'; backend: string; jobId: string };

/** An attempt the backend is asked about, with where its run lives. */
export interface TrackedJob {
  runDir: string;
  record: AttemptRecord;
}

/**
 * A place jobs run. Everything scheduler-specific lives behind this
 * interface; the rest of mensemble speaks only in these terms.
 */
export interface Backend {
  readonly name: string;
  /** Poll interval (seconds) when neither a flag nor .mensemblerc sets one. */
  readonly defaultPollSeconds: number;
  /** Submissions per second when neither a flag nor .mensemblerc sets one (Infinity: not spaced). */
  readonly defaultSubmitRate: number;
  /**
   * Fails with a UserError, before anything is written, when the backend
   * cannot work here at all; returns what the user should know before jobs
   * are submitted.
   */
  preflight(): Promise<BackendNotice[]>;
  /**
   * Removes what an earlier job with this attempt number left in the run's
   * folder (attempt numbers restart when a run's inputs change), before the
   * new attempt's intent is written: recover must never take the old job's
   * files for the new one's. Nothing has been submitted for the new attempt yet.
   */
  forgetAttempt?(runDir: string, attempt: number): void;
  /** Starts an attempt. Must not return before the job exists in the backend. */
  submit(request: SubmitRequest): Promise<SubmitResult>;
  /**
   * Current status of many jobs in one go (one scheduler query per call, not
   * one per job). Jobs whose status cannot be told right now are left out.
   */
  refresh(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, JobStatus>>;
  /**
   * Finds a job submitted for an attempt whose id was never recorded (the
   * process died between submitting and recording). Undefined: no such job.
   */
  recover(request: SubmitRequest, intent: AttemptRecord, options?: RecoverOptions): Promise<SubmitResult | undefined>;
  /**
   * What the job's own records say (state/attempt-records.ts), read from
   * files without asking the scheduler: a status they settle (started,
   * exited), `'ask-scheduler'` when the job ended in a way only the scheduler
   * can name (it was signalled: cancelled, timed out, out of memory), or
   * undefined when they tell nothing new. The apply reads them when an
   * attempt's notice appears; refresh stays the safety net.
   */
  recorded?(job: TrackedJob): JobStatus | 'ask-scheduler' | undefined;
  /**
   * What ended attempts used, from the scheduler's accounting, for many jobs
   * in one query. Jobs accounting cannot tell about (yet) are left out; no
   * accounting at all: an empty map. Never fails: the figures are not worth
   * an apply's failure.
   */
  usage?(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, AttemptUsage>>;
  cancel(jobs: readonly TrackedJob[]): Promise<void>;
  /** The user's active jobs whose names start with `match` (model-ensembler's `jobs` check). */
  countActiveJobs(match: string): Promise<number>;
  /** Files holding the job's output (stdout, stderr), wherever the backend put them; they may not exist yet. */
  outputFiles(job: { runDir: string; jobFile: string; options: Record<string, unknown>; record: AttemptRecord }): string[];
  /** Job arrays, for a backend whose scheduler has them. */
  readonly arrays?: JobArrays;
  /** Submits an extra script (model-ensembler's `submit` task); returns its job id. */
  submitScript(script: string, cwd: string): Promise<string>;
}

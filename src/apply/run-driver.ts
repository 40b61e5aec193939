import { BackendUnavailableError, type Backend, type JobStatus, type SchedulerRetry, type SubmitRequest, type SubmitResult } from '../backends/types.js';
import { schedulerOptionsFor, type TaskSpec } from '../config/types.js';
import type { DesiredRun, PlanEntry } from '../plan/types.js';
import fs from 'node:fs';
import { movedPath } from '../util/paths.js';
import { forgetRemovedRecord, writeRemovedRecord } from '../state/removed-runs.js';
import { RunDirectoryGone, attemptsFor, flushRunState, nextAttemptNumber, isActive, latestAttempt, rekeyRunState, taskFiles, writeRunState, type AttemptRecord, type RunState } from '../state/run-state.js';
import { runTask, type TaskContext } from '../tasks/index.js';
import { crashPoint } from '../util/test-hooks.js';
import type { BatchCapacity } from './capacity/index.js';
import type { ApplyEvent, Reporter } from './events.js';
import type { JobWatcher } from './job-watcher.js';
import { runTaskLedger } from './tasks/run-ledger.js';
import { runOnce, type TaskLedger } from './tasks/run-once.js';
import type { UsageCollector } from './usage-collector.js';
import type { CoreHourBudget } from './budget.js';
import { writeRun } from './write-run.js';
import { decideRetry, escalatedOptions } from '../plan/retry-policy.js';

export type RunOutcome = 'completed' | 'failed' | 'pending';

/** What every run of a batch shares while it is driven. */
export interface RunDriverContext {
  backend: Backend;
  watcher: JobWatcher;
  capacity: BatchCapacity;
  report: Reporter;
  ensembleKey: string;
  noWait: boolean;
  taskContext: Omit<TaskContext, 'run' | 'progress'>;
  /** The ensemble's lock: lost (deleted or taken by another apply), nothing more is rendered or submitted. */
  lock?: { assertHeld(): void };
  /** Attempts whose figures the scheduler's accounting tells at the end of the apply. */
  usage?: UsageCollector;
  /** `--max-core-hours`: what the attempts that ended here have spent. */
  budget?: CoreHourBudget;
  /** Where the records of runs that removed their own folder go (state/removed-runs.ts). */
  removedRuns: string;
}

/** An event about this run: the run's batch and id are added. */
type RunEvent = DistributiveOmit<ApplyEvent, 'batch' | 'runId'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

const now = () => new Date().toISOString();

/** Takes one run from wherever it stands to the end of its life cycle (RunDriver). */
export function driveRun(entry: PlanEntry, ctx: RunDriverContext): Promise<RunOutcome> {
  return new RunDriver(entry, ctx).drive();
}

/**
 * One run's life cycle: render, pre_run, submit (intent recorded first),
 * wait, retry while attempts remain, post_run. It owns the run's state:
 * every step is saved before the next begins, so a resumed apply picks up
 * at the same step, and it reports every step as an event.
 */
class RunDriver {
  private readonly run: DesiredRun;
  private state: RunState | undefined;
  /** A job this apply watched end as cancelled: someone cancelled it on purpose; not retried now. */
  private cancelledHere: AttemptRecord | undefined;

  constructor(
    private readonly entry: PlanEntry,
    private readonly ctx: RunDriverContext,
  ) {
    this.run = entry.desired!;
    this.state = entry.observed?.state;
  }

  async drive(): Promise<RunOutcome> {
    // Announced before rendering, so that job arrays wait for this run's submission (capacity/arrays.ts).
    this.ctx.capacity.arrive(this.run.id);
    try {
      return await this.lifeCycle();
    } finally {
      this.ctx.capacity.depart(this.run.id);
    }
  }

  private async lifeCycle(): Promise<RunOutcome> {
    const { ctx, entry } = this;
    ctx.lock?.assertHeld();
    if (entry.moved) this.state = rehomeRun(entry);
    if (entry.action === 'create' || entry.action === 'update' || entry.action === 'replace') await this.render(entry.action);
    if (!this.state) throw new Error(`internal: run ${this.run.id} has no state after rendering`);
    const ledger = runTaskLedger(this.state, this.run.inputHash, () => this.save());
    for (const task of this.run.batch.tasks.pre_run) await this.task(task, ledger);
    try {
      if ((await this.converge()) === 'pending') return 'pending';
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      // The scheduler stayed unreachable: the run keeps its recorded intent and
      // the next apply adopts the job or submits it. Never a failure.
      this.say({ kind: 'warning', warning: { kind: 'scheduler-unreachable', backend: ctx.backend.name, error: err.message } });
      return 'pending';
    } finally {
      // Whatever happened, the run holds no job slot through its post_run tasks.
      ctx.capacity.release(this.run.id);
    }
    const mine = this.attempts();
    const final = mine[mine.length - 1]!;
    const completed = { inputHash: this.run.inputHash, at: now(), outcome: final.state };
    let removed = false;
    for (const task of this.run.batch.tasks.post_run) {
      // Tasks after the one that removed the run's folder have no folder to run in.
      if (task.name === 'remove' && (removed = await this.removingTask(task, ledger, completed))) break;
      await this.task(task, ledger);
    }
    this.state.completed = completed;
    if (!removed) await this.flush();
    this.say({ kind: 'finished', state: final.state, exitCode: final.exitCode, reason: final.reason, attempts: mine.length });
    return final.state === 'completed' ? 'completed' : 'failed';
  }

  /** New or changed inputs: a queued or running job of the old inputs is cancelled (--replace-running), then the files are written. */
  private async render(action: 'create' | 'update' | 'replace'): Promise<void> {
    const running = this.state && latestAttempt(this.state);
    if (running && isActive(running.state)) {
      await this.ctx.backend.cancel([{ runDir: this.run.dir, record: running }]);
      Object.assign(running, { state: 'cancelled', endedAt: now(), reason: 'cancelled to replace it with changed inputs' });
      this.say({ kind: 'job-cancelled', jobId: running.jobId });
    }
    this.state = writeRun(this.run, this.state, { replace: this.entry.reasons.some((r) => r.kind === 'asked') });
    forgetRemovedRecord(this.ctx.removedRuns, this.run.dir);
    crashPoint('after-render');
    this.say({ kind: 'rendered', files: this.run.files.filter((f) => f.kind !== 'dir').length, action });
  }

  /** Submits, follows and retries until the run's last attempt has ended for good; `pending` with --no-wait. */
  private async converge(): Promise<'ended' | 'pending'> {
    const { ctx, run } = this;
    for (;;) {
      const mine = this.attempts();
      const current = mine[mine.length - 1];
      if (current?.state === 'submitting') {
        await this.adoptOrForget(current);
        continue;
      }
      if (current && isActive(current.state)) {
        if (ctx.noWait) return 'pending';
        ctx.capacity.occupy(run.id);
        await this.follow(current);
        continue;
      }
      if (current?.state === 'completed') return 'ended';
      // Someone cancelled the job while we watched it: a deliberate act, not retried
      // now. A later apply plans it as a retry while attempts remain.
      if (current?.state === 'cancelled' && current === this.cancelledHere) return 'ended';
      let escalated: Record<string, string> | undefined;
      if (current) {
        let decision = decideRetry(run.batch.retry, mine, schedulerOptionsFor(run.batch, current.backend));
        if (decision.kind === 'cannot-escalate' && (await this.askUsage(current))) decision = decideRetry(run.batch.retry, mine, schedulerOptionsFor(run.batch, current.backend));
        if (decision.kind !== 'retry') return 'ended';
        const { maxAttempts, free, escalations } = decision;
        this.say({ kind: 'retrying', attempt: free ? decision.attempt : decision.attempt + 1, maxAttempts, ...(free ? { free } : {}), ...(escalations.length ? { escalations } : {}) });
        if (Object.keys(decision.options).length > 0) escalated = decision.options;
      }
      await ctx.capacity.admit(run.id);
      // Checked after waiting for a slot: the jobs that ended meanwhile may have spent the budget.
      if (ctx.budget?.exhausted()) {
        const { limitHours, spentHours } = ctx.budget;
        if (ctx.budget.firstRefusal()) this.say({ kind: 'warning', warning: { kind: 'budget-spent', budgetHours: limitHours!, spentHours } });
        return 'pending';
      }
      await this.submit(nextAttemptNumber(this.state!, run.inputHash), escalated);
    }
  }

  /** Waits for the job to end, saving each state it passes through. */
  private async follow(current: AttemptRecord): Promise<void> {
    // A job's states are not flushed to disk: the job id is, and from it the backend tells them again after a
    // power cut. The next durable save (a task's start, the run's end) flushes them with everything else.
    const job = { runDir: this.run.dir, record: current };
    const { usageToCome, ...final } = await this.ctx.watcher.wait(job, (status) => {
      Object.assign(current, recordable(status));
      this.save(NOT_FLUSHED);
      if (isActive(status.state)) this.say({ kind: 'job-state', jobId: current.jobId, state: status.state, final: false });
    });
    Object.assign(current, final);
    this.save(NOT_FLUSHED);
    this.ctx.budget?.spend(final.usage?.coreSeconds);
    if (usageToCome) this.ctx.usage?.want(job, () => this.save());
    this.ctx.capacity.release(this.run.id);
    if (final.state === 'cancelled') this.cancelledHere = current;
    this.say({ kind: 'job-state', jobId: current.jobId, state: current.state, exitCode: current.exitCode, reason: current.reason, final: true });
  }

  private async submit(attempt: number, escalated: Record<string, string> | undefined): Promise<void> {
    const state = this.state!;
    const record: AttemptRecord = { attempt, inputHash: this.run.inputHash, backend: this.ctx.backend.name, state: 'submitting', submittedAt: now(), ...(escalated ? { escalated } : {}) };
    // The intent is on disk before the job exists: a crash from here on is resolved by adoption, never by a second submission.
    this.ctx.lock?.assertHeld();
    // No job exists for this attempt until its intent is written; what lies under its number
    // (an attempt of earlier inputs: numbers restart when inputs change) goes before it does.
    this.ctx.backend.forgetAttempt?.(this.run.dir, attempt);
    state.attempts.push(record);
    await this.flush();
    crashPoint('before-submit');
    try {
      const result = await this.ctx.capacity.submit(this.request(record), record, () => this.save());
      crashPoint('after-submit');
      Object.assign(record, jobFound(result));
      await this.flush();
      this.say({ kind: 'submitted', jobId: result.jobId, attempt, state: result.state });
    } catch (err) {
      // Unreachable scheduler: keep the intent (the job may exist) and let drive() give up for now.
      if (err instanceof BackendUnavailableError) throw err;
      Object.assign(record, { state: 'failed', exitCode: null, endedAt: now(), reason: `could not submit: ${(err as Error).message}` });
      this.save();
      this.say({ kind: 'warning', warning: { kind: 'submit-failed', attempt, error: (err as Error).message } });
    }
  }

  /**
   * An escalation needs the failed attempt's request, and accounting fills a
   * job's record in steps (its state can come before its request): asks for
   * the attempt's figures a few times, this run alone (only a retry that
   * escalates comes here). True once they hold the request and time limit.
   */
  private async askUsage(attempt: AttemptRecord): Promise<boolean> {
    const usage = this.ctx.backend.usage?.bind(this.ctx.backend);
    if (!usage) return false;
    for (const delay of USAGE_RETRY_MS) {
      await new Promise((resolve) => setTimeout(resolve, delay));
      const [found] = (await usage([{ runDir: this.run.dir, record: attempt }])).values();
      if (found && !found.missing?.includes('requestedMemoryBytes')) {
        attempt.usage = found;
        this.save();
        return true;
      }
    }
    return false;
  }

  /** A recorded intent without a job id: find the job the dead process submitted, or forget the intent. */
  private async adoptOrForget(intent: AttemptRecord): Promise<void> {
    const state = this.state!;
    const found = await this.ctx.backend.recover(this.request(intent), intent);
    if (found) {
      Object.assign(intent, jobFound(found), { startedAt: found.startedAt ?? intent.submittedAt });
      this.say({ kind: 'adopted', jobId: found.jobId, attempt: intent.attempt });
    } else {
      state.attempts = state.attempts.filter((a) => a !== intent);
      this.say({ kind: 'intent-dropped', attempt: intent.attempt });
    }
    this.save();
  }

  /**
   * A `remove` in post_run may delete the run's own folder, and its state
   * with it: the run's record, as it will be once complete, is first kept
   * beside the configuration (state/removed-runs.ts). Says whether the folder
   * is gone; if it survived, the record is dropped again.
   */
  private async removingTask(task: TaskSpec, ledger: TaskLedger, completed: NonNullable<RunState['completed']>): Promise<boolean> {
    const folder = this.ctx.removedRuns;
    writeRemovedRecord(folder, this.run.dir, { ...this.state!, completed });
    try {
      await this.task(task, ledger);
    } catch (err) {
      // The task's result could not be saved in a folder it removed.
      if (!(err instanceof RunDirectoryGone) || fs.existsSync(this.run.dir)) throw err;
    }
    if (!fs.existsSync(this.run.dir)) return true;
    forgetRemovedRecord(folder, this.run.dir);
    return false;
  }

  private task(task: TaskSpec, ledger: TaskLedger): Promise<void> {
    const run = this.run;
    const context: TaskContext = {
      ...this.ctx.taskContext,
      run: { id: run.id, dir: run.dir, vars: run.vars },
      progress: (progress) => this.say({ kind: 'task-progress', progress }),
    };
    return runOnce(task, {
      ledger,
      files: taskFiles(run.dir, task.phase, task.index),
      execute: (journal) => runTask(task, { ...context, journal }),
      started: (resumed) => this.say({ kind: 'task-started', phase: task.phase, name: task.name, resumed }),
      finished: () => this.say({ kind: 'task-finished', phase: task.phase, name: task.name }),
    });
  }

  private request(attempt: AttemptRecord): SubmitRequest {
    const knownJobIds = this.state!.attempts.flatMap((a) => (a.jobId === undefined || a === attempt ? [] : [a.jobId]));
    const notify = (retry: SchedulerRetry) => this.say({ kind: 'warning', warning: { kind: 'scheduler-retrying', ...retry } });
    return submitRequest(this.run, attempt.attempt, this.ctx.backend.name, this.ctx.ensembleKey, knownJobIds, notify, attempt.escalated);
  }

  private attempts(): AttemptRecord[] {
    return attemptsFor(this.state!, this.run.inputHash);
  }

  /**
   * Writes the run's state atomically; flushed to disk (fsync) unless told
   * otherwise: what anything outside acts on (the intent to submit, job ids,
   * task results, the run's end) must survive a power cut.
   */
  private save(options?: typeof NOT_FLUSHED): void {
    writeRunState(this.run.dir, this.state!, options);
  }

  /** save(), with the fsyncs off the event loop, so that other runs go on meanwhile; awaited before the next save. */
  private flush(): Promise<void> {
    return flushRunState(this.run.dir, this.state!);
  }

  private say(event: RunEvent): void {
    this.ctx.report({ ...event, batch: this.run.batch.name, runId: this.run.id } as ApplyEvent);
  }
}

const NOT_FLUSHED = { durable: false } as const;
/** Waits before each ask of askUsage: accounting has a job's whole record within seconds of its end. */
const USAGE_RETRY_MS = [500, 1000, 2000, 4000];

/**
 * What an attempt records of a job submitted or found again: its id and
 * state, and, for a job found again that has already ended, how it ended
 * (an attempt that ended with no exit code or end time would read as lost).
 */
function jobFound(result: SubmitResult): Partial<AttemptRecord> {
  const { jobId, state, backendData, startedAt, exitCode, endedAt, reason, usage } = result;
  return Object.fromEntries(Object.entries({ jobId, state, backendData, startedAt, exitCode, endedAt, reason, usage }).filter(([, v]) => v !== undefined));
}

/** A status as the attempt records it: whether more figures are to come is the apply's business, not the record's. */
function recordable(status: JobStatus): Partial<AttemptRecord> {
  const { usageToCome: _, ...rest } = status;
  return rest;
}

/** What the backend is told about one attempt of a run (also to find its job again). */
export function submitRequest(run: DesiredRun, attempt: number, backend: string, ensembleKey: string, knownJobIds: readonly string[], notify?: (retry: SchedulerRetry) => void, escalated?: Record<string, string>): SubmitRequest {
  // A retry's escalations (plan/retry-policy.ts) go to the scheduler as options, which win over the job file's #SBATCH lines.
  const options = escalatedOptions(schedulerOptionsFor(run.batch, backend), escalated);
  return { ensembleKey, batch: run.batch.name, runId: run.id, runDir: run.dir, jobFile: run.batch.jobFile, attempt, options, knownJobIds, notify };
}

/**
 * A run whose folder moved: its files that use `run.dir` are rendered again
 * (each replaced atomically) and its record is carried over to the input
 * hash it has here. Nothing is submitted and no task runs.
 */
export function rehomeRun(entry: PlanEntry): RunState {
  const run = entry.desired!;
  const moved = entry.moved!;
  const state = rekeyRunState(entry.observed!.state!, moved.previousHash, run.inputHash);
  // The output file an attempt recorded (`log`) in the old folder now lies in the new one. Other recorded
  // paths stay as they were: they identify the job to the scheduler (SLURM's working folder, as sacct keeps it).
  state.attempts = state.attempts.map((a) => {
    const log = a.backendData?.log;
    return typeof log === 'string' ? { ...a, backendData: { ...a.backendData, log: movedPath(log, moved.from, run.dir) } } : a;
  });
  return writeRun(run, state);
}

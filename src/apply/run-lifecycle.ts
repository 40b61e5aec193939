import { BackendUnavailableError, type Backend, type SchedulerRetry, type SubmitRequest } from '../backends/types.js';
import type { TaskSpec } from '../config/types.js';
import type { DesiredRun, PlanEntry } from '../plan/types.js';
import { attemptsFor, isActive, latestAttempt, rekeyRunState, taskFiles, taskKey, writeRunState, type AttemptRecord, type RunState } from '../state/run-state.js';
import { runTask, type TaskContext } from '../tasks/index.js';
import { forgetDetached } from '../util/detached.js';
import { crashPoint } from '../util/test-hooks.js';
import { taskDefinitionHash } from '../config/task-identity.js';
import { ledgerDecision, sameTask } from '../state/task-ledger.js';
import type { ArrayGate } from './array-gate.js';
import type { ApplyEvent, Reporter } from './events.js';

/** An event about this run: the run's batch and id are added. */
type Say = (event: DistributiveOmit<ApplyEvent, 'batch' | 'runId'>) => void;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
import type { JobWatcher } from './job-watcher.js';
import type { RateLimiter } from './rate-limit.js';
import type { Slots } from './slots.js';
import { writeRun } from './write-run.js';

export type RunOutcome = 'completed' | 'failed' | 'pending';

export interface RunDriverContext {
  backend: Backend;
  watcher: JobWatcher;
  slots: Slots;
  submitGate: RateLimiter;
  /** Set when the batch is submitted as job arrays: submissions go through it, and it shares maxjobs among the arrays. */
  arrays?: ArrayGate;
  report: Reporter;
  ensembleKey: string;
  noWait: boolean;
  taskContext: Omit<TaskContext, 'run' | 'progress'>;
  /** The ensemble's lock: lost (deleted or taken by another apply), nothing more is rendered or submitted. */
  lock?: { assertHeld(): void };
}

const now = () => new Date().toISOString();

/**
 * Takes one run from wherever it stands to the end of its life cycle:
 * render, pre_run, submit (intent recorded first), wait, retry while
 * attempts remain, post_run. Every step is recorded in the run's state
 * before the next begins, so a resumed apply picks up at the same step.
 */
export async function driveRun(entry: PlanEntry, ctx: RunDriverContext): Promise<RunOutcome> {
  const run = entry.desired!;
  const say: Say = (event) => ctx.report({ ...event, batch: run.batch.name, runId: run.id });
  ctx.lock?.assertHeld();
  let state = entry.observed?.state;
  if (entry.moved) state = rehomeRun(entry);

  if (entry.action === 'create' || entry.action === 'update' || entry.action === 'replace') {
    const running = state && latestAttempt(state);
    if (running && isActive(running.state)) {
      await ctx.backend.cancel([{ runDir: run.dir, record: running }]);
      Object.assign(running, { state: 'cancelled', endedAt: now(), reason: 'cancelled to replace it with changed inputs' });
      say({ kind: 'job-cancelled', jobId: running.jobId });
    }
    state = writeRun(run, state);
    crashPoint('after-render');
    say({ kind: 'rendered', files: run.files.filter((f) => f.kind !== 'dir').length, action: entry.action });
  }
  if (!state) throw new Error(`internal: run ${run.id} has no state after rendering`);
  const save = () => writeRunState(run.dir, state!);
  const taskContext: TaskContext = {
    ...ctx.taskContext,
    run: { id: run.id, dir: run.dir, vars: run.vars },
    progress: (progress) => say({ kind: 'task-progress', progress }),
  };

  for (const task of run.batch.tasks.pre_run) await recordedTask(task, state, run, taskContext, save, say);

  let holdsSlot = false;
  let cancelledHere: AttemptRecord | undefined;
  const releaseSlot = () => {
    if (holdsSlot) {
      ctx.slots.release();
      ctx.arrays?.ended(run.id);
    }
    holdsSlot = false;
  };
  try {
    for (;;) {
      const mine = attemptsFor(state, run.inputHash);
      const current = mine[mine.length - 1];
      if (current?.state === 'submitting') {
        await adoptOrForget(current, state, run, ctx, save, say);
        continue;
      }
      if (current && isActive(current.state)) {
        if (ctx.noWait) return 'pending';
        if (!holdsSlot) {
          ctx.slots.take();
          ctx.arrays?.occupy(run.id);
          holdsSlot = true;
        }
        const final = await ctx.watcher.wait({ runDir: run.dir, record: current }, (status) => {
          Object.assign(current, status);
          save();
          if (isActive(status.state)) say({ kind: 'job-state', jobId: current.jobId, state: status.state, final: false });
        });
        Object.assign(current, final);
        save();
        releaseSlot();
        if (final.state === 'cancelled') cancelledHere = current;
        say({ kind: 'job-state', jobId: current.jobId, state: current.state, exitCode: current.exitCode, reason: current.reason, final: true });
        continue;
      }
      if (current?.state === 'completed') break;
      // Someone cancelled the job while we watched it: a deliberate act, not retried
      // now. A later apply plans it as a retry while attempts remain.
      if (current?.state === 'cancelled' && current === cancelledHere) break;
      if (current && mine.length >= run.batch.maxAttempts) break;
      if (current) say({ kind: 'retrying', attempt: mine.length + 1, maxAttempts: run.batch.maxAttempts });
      await ctx.slots.acquire();
      holdsSlot = true;
      await submit(mine.length + 1, state, run, ctx, save, say);
    }
  } catch (err) {
    if (!(err instanceof BackendUnavailableError)) throw err;
    // The scheduler stayed unreachable: the run keeps its recorded intent and
    // the next apply adopts the job or submits it. Never a failure.
    say({ kind: 'warning', warning: { kind: 'scheduler-unreachable', backend: ctx.backend.name, error: err.message } });
    return 'pending';
  } finally {
    releaseSlot();
  }

  const mine = attemptsFor(state, run.inputHash);
  const final = mine[mine.length - 1]!;
  for (const task of run.batch.tasks.post_run) await recordedTask(task, state, run, taskContext, save, say);
  state.completed = { inputHash: run.inputHash, at: now(), outcome: final.state };
  save();
  say({ kind: 'finished', state: final.state, exitCode: final.exitCode, reason: final.reason, attempts: mine.length });
  return final.state === 'completed' ? 'completed' : 'failed';
}

function request(run: DesiredRun, attempt: number, state: RunState, ctx: RunDriverContext): SubmitRequest {
  const knownJobIds = state.attempts.flatMap((a) => (a.jobId === undefined ? [] : [a.jobId]));
  const notify = (retry: SchedulerRetry) => ctx.report({ kind: 'warning', batch: run.batch.name, runId: run.id, warning: { kind: 'scheduler-retrying', ...retry } });
  return submitRequest(run, attempt, ctx.ensembleKey, knownJobIds, notify);
}

/** What the backend is told about one attempt of a run (also to find its job again). */
export function submitRequest(run: DesiredRun, attempt: number, ensembleKey: string, knownJobIds: readonly string[], notify?: (retry: SchedulerRetry) => void): SubmitRequest {
  return { ensembleKey, batch: run.batch.name, runId: run.id, runDir: run.dir, jobFile: run.batch.jobFile, attempt, options: run.batch.slurm, knownJobIds, notify };
}

async function submit(attempt: number, state: RunState, run: DesiredRun, ctx: RunDriverContext, save: () => void, say: Say): Promise<void> {
  const record: AttemptRecord = { attempt, inputHash: run.inputHash, backend: ctx.backend.name, state: 'submitting', submittedAt: now() };
  // The intent is on disk before the job exists: a crash from here on is resolved by adoption, never by a second submission.
  // Arrays pass the rate limit once per sbatch, in the gate.
  if (!ctx.arrays) await ctx.submitGate.take();
  ctx.lock?.assertHeld();
  state.attempts.push(record);
  save();
  crashPoint('before-submit');
  try {
    const req = request(run, attempt, state, ctx);
    const result = ctx.arrays ? await ctx.arrays.submit(req, record, save) : await ctx.backend.submit(req);
    crashPoint('after-submit');
    Object.assign(record, { jobId: result.jobId, state: result.state, backendData: result.backendData, startedAt: result.startedAt });
    save();
    say({ kind: 'submitted', jobId: result.jobId, attempt, state: result.state });
  } catch (err) {
    // Unreachable scheduler: keep the intent (the job may exist) and let driveRun give up for now.
    if (err instanceof BackendUnavailableError) throw err;
    Object.assign(record, { state: 'failed', exitCode: null, endedAt: now(), reason: `could not submit: ${(err as Error).message}` });
    save();
    say({ kind: 'warning', warning: { kind: 'submit-failed', attempt, error: (err as Error).message } });
  }
}

/**
 * A run whose folder moved: its files that use `run.dir` are rendered again
 * (each replaced atomically) and its record is carried over to the input
 * hash it has here. Nothing is submitted and no task runs.
 */
export function rehomeRun(entry: PlanEntry): RunState {
  const run = entry.desired!;
  const moved = entry.moved!;
  return writeRun(run, rekeyRunState(entry.observed!.state!, moved.previousHash, run.inputHash));
}

/** A recorded intent without a job id: find the job the dead process submitted, or forget the intent. */
async function adoptOrForget(intent: AttemptRecord, state: RunState, run: DesiredRun, ctx: RunDriverContext, save: () => void, say: Say): Promise<void> {
  const found = await ctx.backend.recover(request(run, intent.attempt, state, ctx), intent);
  if (found) {
    Object.assign(intent, { jobId: found.jobId, state: found.state, backendData: found.backendData, startedAt: found.startedAt ?? intent.submittedAt });
    say({ kind: 'adopted', jobId: found.jobId, attempt: intent.attempt });
  } else {
    state.attempts = state.attempts.filter((a) => a !== intent);
    say({ kind: 'intent-dropped', attempt: intent.attempt });
  }
  save();
}

async function recordedTask(task: TaskSpec, state: RunState, run: DesiredRun, ctx: TaskContext, save: () => void, say: Say): Promise<void> {
  const key = taskKey(task.phase, task.index, task.name);
  const record = state.tasks[key];
  const taskHash = taskDefinitionHash(task);
  // The same task for the same inputs.
  const same = record?.inputHash === run.inputHash && sameTask(record, taskHash);
  const decision = ledgerDecision(record, same);
  if (decision === 'done') return;
  const resume = decision === 'resume';
  const files = taskFiles(run.dir, task.phase, task.index);
  if (!resume) {
    // Old results go before the intent is recorded, so a resumed apply never takes them for this one's.
    forgetDetached(files);
    state.tasks[key] = { inputHash: run.inputHash, taskHash, startedAt: now() };
    save();
  }
  say({ kind: 'task-started', phase: task.phase, name: task.name, resumed: resume });
  try {
    await runTask(task, { ...ctx, journal: { files, resume } });
  } catch (err) {
    state.tasks[key] = { ...state.tasks[key]!, failedAt: now() };
    save();
    throw err;
  }
  crashPoint(`after-task-${task.phase}`);
  state.tasks[key] = { ...state.tasks[key]!, finishedAt: now() };
  save();
  say({ kind: 'task-finished', phase: task.phase, name: task.name });
}


import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../backends/types.js';
import type { TaskSpec } from '../config/types.js';
import type { ComputedPlan } from '../plan/compute.js';
import { ensembleKey, sessionFileOf } from '../state/ensemble-folder.js';
import { removedRunsFolder } from '../state/removed-runs.js';
import { runTask, TaskFailure } from '../tasks/index.js';
import { RunDirectoryGone, isActive, latestAttempt, runStatePath, taskFiles } from '../state/run-state.js';
import { LockLost, type Lock } from '../state/lock.js';
import { UserError, errorMessage } from '../util/errors.js';
import type { Reporter } from './events.js';
import { ArrayGate } from './capacity/array-gate.js';
import { ArrayCapacity } from './capacity/arrays.js';
import { PerJobCapacity } from './capacity/per-job.js';
import { RateLimiter } from './capacity/rate-limit.js';
import { JobWatcher } from './job-watcher.js';
import { UsageCollector } from './usage-collector.js';
import { CoreHourBudget } from './budget.js';
import { pool } from './pool.js';
import { driveRun, rehomeRun, type RunOutcome } from './run-driver.js';
import { ApplySession } from './session.js';
import { runOnce } from './tasks/run-once.js';
import { sessionTaskLedger } from './tasks/session-ledger.js';
import type { SessionScope } from '../state/session-file.js';

export interface ApplyOptions {
  noWait: boolean;
  prune: boolean;
  noChecks: boolean;
  /** Seconds between backend queries. */
  pollInterval: number;
  /** Seconds between tries of a failing check. */
  checkInterval: number;
  /** Most submissions per second. */
  submitRate: number;
  /** Submit batches as job arrays unless a batch says otherwise (`array:`). */
  array: boolean;
  shell: string;
  signal?: AbortSignal;
  /** The ensemble's lock, checked before each run is rendered and each job submitted. */
  lock?: Pick<Lock, 'assertHeld'>;
  /** `--max-core-hours`: no job is submitted once the attempts that ended here have used this many. */
  maxCoreHours?: number;
}

export interface ApplyResult {
  completed: string[];
  failed: string[];
  pending: string[];
  removed: string[];
  /** Runs whose folder moved: their record was carried over, nothing ran. */
  moved: string[];
  /** Filled in by the library's apply (api/apply.ts): how long it took, what its jobs used, and why each failed run failed. */
  durationSeconds?: number;
  /** Core-hours of the attempts this apply submitted whose usage is known. */
  coreHours?: number;
  failures?: RunFailure[];
}

/** Why a run failed: its last attempt's end, or the task that failed; and the command that shows its logs. */
export interface RunFailure {
  run: string;
  state: string;
  exitCode: number | null;
  reason: string | null;
  /** `pre_run[0] execute`, when a task failed rather than the job. */
  task: string | null;
  logs: string;
}

/**
 * actions -> executor: carries out a computed plan with model-ensembler's
 * life cycle: pre_process; per batch (in order) pre_batch, its runs with at
 * most `maxruns` in flight and `maxjobs` jobs in the backend, post_batch;
 * post_process.
 */
export async function executePlan(computed: ComputedPlan, backend: Backend, options: ApplyOptions, report: Reporter): Promise<ApplyResult> {
  const { spec, plan } = computed;
  const result: ApplyResult = { completed: [], failed: [], pending: [], removed: [], moved: [] };
  // A run that only moved gets its record carried over here, outside the life cycle: no task runs for it.
  const moved = plan.entries.filter((e) => e.action === 'moved');
  const work = plan.entries.filter((e) => e.action !== 'none' && e.action !== 'remove' && e.action !== 'moved');
  const removals = options.prune ? plan.entries.filter((e) => e.action === 'remove') : [];
  for (const entry of moved) {
    // Rehoming writes into the run directory: only while the lock is still this apply's.
    options.lock?.assertHeld();
    rehomeRun(entry);
    report({ kind: 'moved', batch: entry.batch, runId: entry.id, from: entry.moved!.from, rerendered: entry.moved!.rerender });
    result.moved.push(`${entry.batch}/${entry.id}`);
  }
  if (work.length === 0 && removals.length === 0 && plan.tasks.length === 0) return result;

  const session = ApplySession.open(sessionFileOf(spec));
  const watcher = new JobWatcher(backend, options.pollInterval * 1000, (warning) => report({ kind: 'warning', warning }));
  const submitGate = new RateLimiter(options.submitRate);
  const usage = new UsageCollector();
  const budget = new CoreHourBudget(options.maxCoreHours);
  const taskContext = { ensembleDir: spec.root, shell: options.shell, checkInterval: options.checkInterval, noChecks: options.noChecks, backend, signal: options.signal };
  /**
   * An ensemble or batch task, once per session (a failed one runs again); `filePrefix` names its files (batch names need not be safe file names).
   * Batch tasks run in the batch's basedir, created when missing, as model-ensembler runs them; ensemble tasks in spec.root.
   */
  const ensembleTask = async (task: TaskSpec, scope: SessionScope, filePrefix: string, workDir = spec.root) => {
    const batch = scope === 'ensemble' ? undefined : scope.slice('batch:'.length);
    try {
      await runOnce(task, {
        ledger: sessionTaskLedger(session, scope),
        files: taskFiles(spec.dir, task.phase, task.index, filePrefix),
        execute: async (journal) => {
          fs.mkdirSync(workDir, { recursive: true });
          await runTask(task, { ...taskContext, workDir, journal, progress: (progress) => report({ kind: 'task-progress', batch, progress }) });
        },
        started: (resumed) => report({ kind: 'task-started', batch, phase: task.phase, name: task.name, resumed }),
        finished: () => report({ kind: 'task-finished', batch, phase: task.phase, name: task.name }),
      });
    } catch (err) {
      if (err instanceof TaskFailure) throw new UserError(`${err.message}. A ${task.phase} task failed, so the ensemble stops here; finished work is recorded and the next apply runs this task again.`);
      throw err;
    }
  };

  try {
    if (work.length > 0) session.enterEnsemble();
    for (const task of spec.preProcess) await ensembleTask(task, 'ensemble', 'ensemble.');
    let allSettled = true;
    for (const batch of spec.batches) {
      const scope: SessionScope = `batch:${batch.name}`;
      const entries = work.filter((e) => e.batch === batch.name);
      if (entries.length === 0) {
        // A batch worked on earlier in this session may still owe its post_batch (it failed, or the apply stopped first).
        if (!session.hasEntered(batch.name)) continue;
        if (!session.owesAny(scope, batch.tasks.post_batch)) continue;
        // The plan offers owed tasks only when it saw the whole ensemble (no --target); until then the session stays open.
        if (!plan.tasks.some((t) => t.batch === batch.name)) {
          allSettled = false;
          continue;
        }
        for (const task of batch.tasks.post_batch) await ensembleTask(task, scope, `batch${batch.index}.`, batch.basedir);
        continue;
      }
      session.enterBatch(batch.name);
      const jobArrays = (batch.array ?? options.array) ? backend.arrays : undefined;
      const asArrays = jobArrays !== undefined && (await jobArrays.available());
      if (jobArrays && !asArrays) report({ kind: 'warning', batch: batch.name, warning: { kind: 'arrays-disabled', backend: backend.name, batch: batch.name, maxjobs: batch.maxjobs } });
      const arrays = asArrays ? new ArrayGate(jobArrays, batch.maxjobs, submitGate, !options.noWait) : undefined;
      report({ kind: 'batch-started', batch: batch.name, runs: entries.length, maxruns: batch.maxruns, maxjobs: batch.maxjobs, arrays: arrays !== undefined });
      for (const task of batch.tasks.pre_batch) await ensembleTask(task, scope, `batch${batch.index}.`, batch.basedir);
      const capacity = arrays ? new ArrayCapacity(arrays) : new PerJobCapacity(backend, batch.maxjobs, submitGate);
      const ctx = { backend, watcher, capacity, report, ensembleKey: ensembleKey(spec), noWait: options.noWait, taskContext, lock: options.lock, usage, budget, removedRuns: removedRunsFolder(spec.dir) };
      let pendingHere = 0;
      await pool(entries, batch.maxruns, async (entry) => {
        let outcome: RunOutcome;
        try {
          outcome = await driveRun(entry, ctx);
        } catch (err) {
          if (err instanceof RunDirectoryGone) {
            report({ kind: 'warning', batch: batch.name, runId: entry.id, warning: { kind: 'run-dir-gone', error: err.message } });
            outcome = 'pending';
          } else {
            if (err instanceof LockLost || !(err instanceof TaskFailure || err instanceof UserError)) throw err;
            report({ kind: 'run-failed', batch: batch.name, runId: entry.id, error: errorMessage(err) });
            outcome = 'failed';
          }
        }
        const list = outcome === 'completed' ? result.completed : outcome === 'failed' ? result.failed : result.pending;
        list.push(`${batch.name}/${entry.id}`);
        if (outcome === 'pending') pendingHere++;
      });
      if (pendingHere > 0) {
        allSettled = false;
        continue; // post_batch waits until every run of the batch has finished
      }
      for (const task of batch.tasks.post_batch) await ensembleTask(task, scope, `batch${batch.index}.`, batch.basedir);
    }
    for (const entry of removals) {
      const last = entry.observed?.state && latestAttempt(entry.observed.state);
      if (last && isActive(last.state)) {
        report({ kind: 'warning', runId: entry.id, warning: { kind: 'not-removing', dir: entry.dir, jobId: last.jobId, state: last.state } });
        continue;
      }
      // findOrphans only offers directories that carry mensemble state; check again before deleting.
      if (!fs.existsSync(runStatePath(entry.dir))) continue;
      fs.rmSync(entry.dir, { recursive: true, force: true });
      result.removed.push(entry.batch ? `${entry.batch}/${entry.id}` : entry.id);
      report({ kind: 'removed', runId: entry.id, dir: entry.dir });
    }
    if (allSettled) {
      for (const task of spec.postProcess) await ensembleTask(task, 'ensemble', 'ensemble.');
      session.finish();
    }
    // What the runs used, from the scheduler's accounting: one query for every job that ended here.
    await usage.collect(backend);
  } finally {
    watcher.stop();
  }
  return result;
}

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../util/errors.js';
import { BackendUnavailableError, type Backend, type JobStatus, type SubmitRequest, type SubmitResult, type TrackedJob } from '../types.js';
import type { AttemptRecord } from '../../state/run-state.js';
import { hasIdentity, jobIdentity } from './identity.js';
import { AccountingDisabled, accountedJobs, controllerJobs, queuedJobs, type SlurmJobInfo } from './queries.js';
import { SlurmCommandError, commandMissing, runSlurm, withRetry } from './run-command.js';
import { slurmOutputFiles } from './output-files.js';
import { sbatchArgs } from './sbatch-args.js';
import { mapSlurmState } from './states.js';
import { crashPoint } from '../../util/test-hooks.js';

/** How long sbatch and recovery keep retrying while the controller is unreachable. */
const RETRY_BUDGET_MS = 10 * 60_000;
/** A job missing from the queue, accounting and the controller for this long is taken as lost. */
const LOST_AFTER_MS = 10 * 60_000;
/** Allowed clock difference between this machine and the controller when matching submit times. */
const CLOCK_SLACK_MS = 60_000;

/**
 * The SLURM backend. Every scheduler call goes through `runSlurm` (an
 * argument array, a time limit). Polling costs one `squeue` per cycle for
 * the whole ensemble, plus one `sacct` (or `scontrol` without accounting)
 * for the jobs that left the queue since the last cycle.
 */
export class SlurmBackend implements Backend {
  readonly name = 'slurm';
  readonly defaultPollSeconds = 5;
  /** Unknown until sacct first answers; false on clusters without accounting storage. */
  private accounting: boolean | undefined;
  private readonly missingSince = new Map<string, number>();

  async preflight(): Promise<void> {
    // Only a look along PATH: no process, no call to the controller.
    for (const command of ['sbatch', 'squeue', 'scontrol', 'scancel'] as const) {
      if (!onPath(command)) throw commandMissing(command);
    }
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const identity = jobIdentity(request);
    const since = new Date();
    let tries = 0;
    return this.retrying('sbatch', request.notify, async () => {
      // A transient failure may have hidden a job that was in fact created: look before submitting again.
      if (tries++ > 0) {
        const found = await this.find(request.runDir, identity, since, new Set(request.knownJobIds));
        if (found) return found;
      }
      const out = await runSlurm('sbatch', sbatchArgs(request), { cwd: request.runDir });
      crashPoint('after-sbatch');
      const jobId = out.trim().split(/\s+/).pop()?.split(';')[0] ?? '';
      if (!/^\d+(_\d+)?$/.test(jobId)) throw new SlurmCommandError(`sbatch printed no job id (it printed ${JSON.stringify(out.trim().slice(0, 200))})`, false);
      return { jobId, state: 'queued', backendData: { comment: identity, workDir: request.runDir } };
    });
  }

  async recover(request: SubmitRequest, intent: AttemptRecord): Promise<SubmitResult | undefined> {
    return this.retrying('finding an earlier submission', request.notify, () => this.find(request.runDir, jobIdentity(request), new Date(intent.submittedAt), new Set(request.knownJobIds)));
  }

  async refresh(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, JobStatus>> {
    const out = new Map<TrackedJob, JobStatus>();
    const tracked = jobs.filter((j) => j.record.jobId !== undefined);
    if (tracked.length === 0) return out;
    const queue = await this.query(queuedJobs);
    const left: TrackedJob[] = [];
    for (const job of tracked) {
      const info = queue.get(job.record.jobId!);
      const state = info && isOurs(info, job) ? mapSlurmState(info.state) : undefined;
      if (info && state) {
        this.missingSince.delete(job.record.jobId!);
        // For a pending job squeue's start time is only the scheduler's guess: record it once it runs.
        out.set(job, { state, reason: info.reason, startedAt: state === 'running' ? (info.startTime ?? job.record.startedAt) : undefined });
      } else left.push(job);
    }
    if (left.length > 0) await this.resolveLeft(left, out);
    return out;
  }

  /** Jobs no longer in the queue: their final state from accounting, or from the controller without it. */
  private async resolveLeft(left: TrackedJob[], out: Map<TrackedJob, JobStatus>): Promise<void> {
    let accounted: SlurmJobInfo[] = [];
    if (this.accounting !== false) {
      try {
        accounted = await this.query(() => accountedJobs({ jobIds: left.map((j) => j.record.jobId!) }));
        this.accounting = true;
      } catch (err) {
        if (err instanceof AccountingDisabled) this.accounting = false;
        // Any other sacct trouble (database down, no permission): the controller answers this cycle.
      }
    }
    let controller: Map<string, SlurmJobInfo> | undefined;
    for (const job of left) {
      let info = pickAccounted(accounted, job);
      if (!info) {
        // sacct lags behind the controller, and some clusters have no accounting at all.
        controller ??= await this.query(controllerJobs);
        const c = controller.get(job.record.jobId!);
        if (c && isOurs(c, job)) info = c;
      }
      const state = info && mapSlurmState(info.state);
      if (info && state) {
        this.missingSince.delete(job.record.jobId!);
        out.set(job, statusOf(info, state));
        continue;
      }
      const key = job.record.jobId!;
      const first = this.missingSince.get(key) ?? Date.now();
      this.missingSince.set(key, first);
      if (Date.now() - first >= LOST_AFTER_MS) {
        out.set(job, { state: 'lost', exitCode: null, endedAt: new Date().toISOString(), reason: `job ${key} left the queue and neither accounting nor the controller knows how it ended` });
      }
    }
  }

  /** The job submitted with this identity, wherever the scheduler still shows it. */
  private async find(runDir: string, identity: string, since: Date, knownJobIds: ReadonlySet<string>): Promise<SubmitResult | undefined> {
    const adopt = (info: SlurmJobInfo): SubmitResult => ({
      jobId: info.jobId,
      state: mapSlurmState(info.state) ?? 'queued',
      startedAt: info.startTime,
      backendData: { comment: identity, workDir: runDir },
    });
    const fresh = (info: SlurmJobInfo) => !knownJobIds.has(info.jobId);
    for (const info of (await queuedJobs()).values()) if (hasIdentity(info, identity) && fresh(info)) return adopt(info);
    for (const info of (await controllerJobs()).values()) if (hasIdentity(info, identity) && fresh(info)) return adopt(info);
    if (this.accounting === false) return undefined;
    try {
      const rows = await accountedJobs({ since: slurmLocalTime(new Date(since.getTime() - CLOCK_SLACK_MS)) });
      this.accounting = true;
      const match = rows
        .filter((r) => fresh(r) && r.workDir === runDir && r.submitTime !== undefined && Date.parse(r.submitTime) >= since.getTime() - CLOCK_SLACK_MS)
        .sort((a, b) => Date.parse(b.submitTime!) - Date.parse(a.submitTime!))[0];
      return match ? adopt(match) : undefined;
    } catch (err) {
      if (!(err instanceof AccountingDisabled)) throw err;
      this.accounting = false;
      return undefined;
    }
  }

  async cancel(jobs: readonly TrackedJob[]): Promise<void> {
    const ids = jobs.map((j) => j.record.jobId).filter((id): id is string => id !== undefined);
    if (ids.length === 0) return;
    // Only ids that are still ours: a reused id may belong to another job by now.
    const queue = await this.query(queuedJobs);
    const mine = jobs.filter((j) => {
      const info = j.record.jobId === undefined ? undefined : queue.get(j.record.jobId);
      return info !== undefined && isOurs(info, j);
    });
    for (let i = 0; i < mine.length; i += 1000) {
      const batch = mine.slice(i, i + 1000).map((j) => j.record.jobId!);
      await this.query(() => runSlurm('scancel', batch, { accept: (stderr) => stderr.split('\n').every((l) => l.trim() === '' || /invalid job id|already completing or completed/i.test(l)) }));
    }
  }

  async countActiveJobs(match: string): Promise<number> {
    const out = await this.query(() => runSlurm('squeue', ['--me', '--all', '--noheader', '--format=%j']));
    return out.split('\n').filter((name) => name !== '' && name.startsWith(match)).length;
  }

  outputFiles(job: { runDir: string; jobFile: string; options: Record<string, unknown>; record: AttemptRecord }): string[] {
    return job.record.jobId === undefined ? [] : slurmOutputFiles(job.runDir, job.jobFile, job.options, job.record.jobId);
  }

  async submitScript(script: string, cwd: string): Promise<string> {
    const out = await this.query(() => runSlurm('sbatch', ['--parsable', script], { cwd }));
    return out.trim().split(';')[0]!;
  }

  private async retrying<T>(what: string, notify: ((message: string) => void) | undefined, fn: () => Promise<T>): Promise<T> {
    return this.query(() => withRetry(what, fn, RETRY_BUDGET_MS, notify));
  }

  /**
   * Runs a scheduler call. A transient failure becomes BackendUnavailableError,
   * which never fails a run; any other failure of a SLURM command is the
   * user's to see, as one paragraph (a UserError), not an internal error.
   */
  private async query<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof SlurmCommandError) {
        if (err.transient) throw new BackendUnavailableError(err.message);
        throw new UserError(`SLURM refused a request: ${err.message}`);
      }
      throw err;
    }
  }
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(path.delimiter).some((dir) => {
    try {
      fs.accessSync(path.join(dir || '.', command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** The scheduler's job is this attempt's (and not another job that reuses its id). */
function isOurs(info: SlurmJobInfo, job: TrackedJob): boolean {
  const identity = job.record.backendData?.comment;
  return typeof identity !== 'string' || hasIdentity(info, identity);
}

/** sacct may hold several records for one id (ids are reused): the one in this run's directory, submitted for this attempt. */
function pickAccounted(rows: readonly SlurmJobInfo[], job: TrackedJob): SlurmJobInfo | undefined {
  const workDir = (job.record.backendData?.workDir as string | undefined) ?? job.runDir;
  const after = Date.parse(job.record.submittedAt) - CLOCK_SLACK_MS;
  return rows
    .filter((r) => r.jobId === job.record.jobId && (r.workDir === undefined || r.workDir === workDir) && (r.submitTime === undefined || Date.parse(r.submitTime) >= after))
    .sort((a, b) => Date.parse(b.submitTime ?? '') - Date.parse(a.submitTime ?? ''))[0];
}

function statusOf(info: SlurmJobInfo, state: NonNullable<ReturnType<typeof mapSlurmState>>): JobStatus {
  const status: JobStatus = { state, startedAt: info.startTime, endedAt: info.endTime };
  if (state === 'queued') return { state, reason: info.reason };
  if (state === 'running') return { state, startedAt: info.startTime, reason: info.reason };
  status.exitCode = info.exitCode ?? null;
  const reasons: string[] = [];
  if (info.signal) reasons.push(`killed by signal ${info.signal}`);
  if (info.state.includes(' by ')) reasons.push(info.state.toLowerCase());
  if (info.reason && state !== 'completed') reasons.push(info.reason);
  if (reasons.length > 0) status.reason = reasons.join('; ');
  return status;
}

/** A time as SLURM reads it on the command line: local, without a zone. */
function slurmLocalTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

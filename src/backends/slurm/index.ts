import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../util/errors.js';
import { BackendUnavailableError, type Backend, type JobStatus, type BackendNotice, type JobArrays, type RecoverOptions, type SchedulerRetry, type SubmitRequest, type SubmitResult, type TrackedJob } from '../types.js';
import { isArrayTaskData, slurmDataOf, type SlurmArrayTaskData, type SlurmJobData } from './job-data.js';
import { readAttemptRecords, wrapperUsage } from '../../state/attempt-records.js';
import type { AttemptUsage } from '../../state/usage.js';
import { isActive, type AttemptRecord } from '../../state/run-state.js';
import { arrayTasksOf, groupForArrays, newArrayKey, prepareArray, splitArrayId, type ArrayGroup } from './array.js';
import { arrayIdentity, hasIdentity, jobIdentity } from './identity.js';
import { AccountingDisabled, accountedJobs, controllerJobs, maxArraySize, queuedJobs, type SlurmJobInfo } from './queries.js';
import { SlurmCommandError, commandMissing, runSlurm, withRetry } from './run-command.js';
import { prepareJobWrapper } from './job-wrapper.js';
import { slurmOutputFiles } from './output-files.js';
import { arraySbatchArgs, printedJobId, sbatchArgs } from './sbatch-args.js';
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
  /**
   * The safety net's pace: jobs tell their own start and end through their
   * records within a second, so the scheduler is asked only for what they
   * cannot tell (a job killed before its wrapper could record, a node that
   * died, pending reasons) once a minute, as Nextflow asks its queue.
   */
  readonly defaultPollSeconds = 60;
  /** SLURM takes about 8 ms an sbatch: 10 a second leaves the controller room for everyone else. */
  readonly defaultSubmitRate = 10;
  /** Unknown until sacct first answers; false on clusters without accounting storage. */
  private accounting: boolean | undefined;
  private readonly missingSince = new Map<string, number>();
  /** MaxArraySize, asked of the controller once per process. */
  private arraySize: number | undefined;

  /** SLURM job arrays (`sbatch --array`, throttled with `%n`, raised with `scontrol update`). */
  readonly arrays: JobArrays = {
    available: () => this.arraysAvailable(),
    submit: (requests, throttle, recordIntent) => this.submitArray(requests, throttle, recordIntent),
    setThrottle: (attempts, throttle) => this.setArrayThrottle(attempts, throttle),
  };

  async preflight(): Promise<BackendNotice[]> {
    // Only a look along PATH: no process, no call to the controller.
    for (const command of ['sbatch', 'squeue', 'scontrol', 'scancel'] as const) {
      if (!onPath(command)) throw commandMissing(command);
    }
    const allocation = process.env.SLURM_JOB_ID;
    return allocation ? [{ kind: 'inside-allocation', backend: this.name, jobId: allocation }] : [];
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const identity = jobIdentity(request);
    const since = new Date();
    const backendData: SlurmJobData = { comment: identity, workDir: request.runDir };
    const script = prepareJobWrapper(request);
    return this.sbatchLookingFirst(
      'sbatch',
      request.notify,
      async () => {
        const found = await this.find(identity, request.runDir, since, new Set(request.knownJobIds));
        return found && adopted(found, backendData, request);
      },
      async () => {
        // The job sees which run and attempt it is (sbatch exports its environment), as local jobs do.
        const env = { MENSEMBLE_RUN_ID: request.runId, MENSEMBLE_RUN_DIR: request.runDir, MENSEMBLE_ATTEMPT: String(request.attempt) };
        const out = await runSlurm('sbatch', sbatchArgs(request, script), { cwd: request.runDir, env });
        crashPoint('after-sbatch');
        return { jobId: printedJobId(out, /^\d+(_\d+)?$/), state: 'queued', backendData };
      },
    );
  }

  async recover(request: SubmitRequest, intent: AttemptRecord, options: RecoverOptions = {}): Promise<SubmitResult | undefined> {
    const data = slurmDataOf(intent);
    const known = new Set(request.knownJobIds);
    // An intent time from the future (clock skew between login nodes, a clock stepped back) would hide the job
    // it stands for; an unreadable one hides nothing recent.
    const recorded = Date.parse(intent.submittedAt);
    const since = new Date(Number.isFinite(recorded) ? Math.min(recorded, Date.now()) : Date.now() - 7 * 24 * 3600 * 1000);
    if (isArrayTaskData(data)) return this.findArrayTask(data, since, known, request.notify, { runDir: request.runDir, attempt: intent.attempt });
    const identity = jobIdentity(request);
    const found = await this.retrying('finding an earlier submission', request.notify, () => this.find(identity, request.runDir, since, known));
    if (found || !options.rebuilding) return found && adopted(found, { comment: identity, workDir: request.runDir }, { runDir: request.runDir, attempt: intent.attempt });
    // Rebuilding a damaged state: the run may have gone out as a task of an array, which the arrays' task lists tell.
    for (const candidate of arrayTasksOf(request.runDir)) {
      const task = await this.findArrayTask({ comment: arrayIdentity(request.ensembleKey, candidate.key), workDir: candidate.workDir, array: candidate.key, task: candidate.task }, since, known, request.notify, { runDir: request.runDir, attempt: intent.attempt });
      if (task) return task;
    }
    return undefined;
  }

  /** One task of an array: the array found by its identity, the task by its index; adopted with `data` (what its intent records). */
  private async findArrayTask(
    data: SlurmArrayTaskData,
    since: Date,
    known: ReadonlySet<string>,
    notify: ((retry: SchedulerRetry) => void) | undefined,
    attempt: AttemptOf,
  ): Promise<SubmitResult | undefined> {
    const found = await this.retrying('finding an earlier array submission', notify, () =>
      this.find(data.comment, data.workDir, since, known, (info) => splitArrayId(info.jobId)?.task === data.task),
    );
    return found && adopted(found, { ...data, arrayJobId: splitArrayId(found.jobId)?.arrayJobId }, attempt);
  }

  /**
   * Job arrays: the requests are grouped by what their tasks must share
   * (job file, options, `#SBATCH` lines), each group split at the cluster's
   * MaxArraySize, and each part submitted with one sbatch after its intent
   * (array key and task index) is recorded. All the arrays of one call run
   * one after another (`--dependency=afterany`), parts and groups alike, so
   * `throttle` holds across them.
   */
  private async submitArray(requests: readonly SubmitRequest[], throttle: number, recordIntent: (request: SubmitRequest, backendData: Record<string, unknown>) => void): Promise<Map<SubmitRequest, SubmitResult | Error>> {
    const out = new Map<SubmitRequest, SubmitResult | Error>();
    const arraySize = await this.maxArraySize();
    if (arraySize < 1) throw new Error('internal: job arrays are disabled on this cluster (MaxArraySize=0); arrays.available() says so before any array is submitted');
    let previous: string | undefined;
    for (const group of groupForArrays(requests)) {
      for (let start = 0, part = 0; start < group.requests.length; start += arraySize, part++) {
        const members = group.requests.slice(start, start + arraySize);
        try {
          previous = await this.submitArrayPart(group, members, part, throttle, previous, recordIntent, out);
        } catch (err) {
          for (const request of members) out.set(request, err as Error);
        }
      }
    }
    return out;
  }

  /** MaxArraySize=0 disables arrays: the apply then submits one job per run and counts maxjobs itself. */
  private async arraysAvailable(): Promise<boolean> {
    return (await this.maxArraySize()) >= 1;
  }

  /** MaxArraySize, asked of the controller once per process (1001, SLURM's default, if it cannot be asked). */
  private async maxArraySize(): Promise<number> {
    this.arraySize ??= await this.query(maxArraySize).catch(() => 1001);
    return this.arraySize;
  }

  private async submitArrayPart(
    group: ArrayGroup,
    members: SubmitRequest[],
    part: number,
    throttle: number,
    after: string | undefined,
    recordIntent: (request: SubmitRequest, backendData: Record<string, unknown>) => void,
    out: Map<SubmitRequest, SubmitResult | Error>,
  ): Promise<string> {
    const first = members[0]!;
    const key = newArrayKey(members, part);
    const identity = arrayIdentity(first.ensembleKey, key);
    const prepared = prepareArray(group, members, key);
    const dataOf = (task: number): SlurmArrayTaskData => ({ comment: identity, workDir: prepared.dir, array: key, task });
    // Durable before sbatch: after a crash from here on, each run finds its task again by key and index.
    members.forEach((request, task) => recordIntent(request, dataOf(task)));
    const since = new Date();
    const arrayJobId = await this.sbatchLookingFirst(
      'sbatch (job array)',
      first.notify,
      async () => {
        const found = await this.find(identity, prepared.dir, since, new Set());
        return found && (splitArrayId(found.jobId)?.arrayJobId ?? found.jobId);
      },
      async () => {
        const printed = await runSlurm('sbatch', arraySbatchArgs(first, prepared, identity, group.jobName, throttle, after), { cwd: prepared.dir });
        crashPoint('after-sbatch');
        return printedJobId(printed, /^\d+$/);
      },
    );
    members.forEach((request, task) => out.set(request, { jobId: `${arrayJobId}_${task}`, state: 'queued', backendData: { ...dataOf(task), arrayJobId } }));
    return arrayJobId;
  }

  /** `scontrol update JobId=<array> ArrayTaskThrottle=<n>` for each array holding these tasks. */
  async setArrayThrottle(attempts: readonly AttemptRecord[], throttle: number): Promise<void> {
    const arrays = new Set<string>();
    for (const attempt of attempts) {
      const task = attempt.jobId === undefined ? undefined : splitArrayId(attempt.jobId);
      if (task) arrays.add(task.arrayJobId);
    }
    for (const arrayJobId of arrays) {
      // An array whose tasks have all started or ended has nothing left to throttle: SLURM may refuse, and that is fine.
      await runSlurm('scontrol', ['update', `JobId=${arrayJobId}`, `ArrayTaskThrottle=${Math.max(1, throttle)}`], { accept: (stderr) => /invalid job id|already (completed|finished)|no longer pending|not an array/i.test(stderr) });
    }
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
      // squeue may still list a job that has ended (within MinJobAge, or a site's squeue shows all states), but
      // never with its exit code or signal: final states are read where those are, like a job that left the queue.
      if (info && state && isActive(state)) {
        this.missingSince.delete(job.record.jobId!);
        // For a pending job squeue's start time is only the scheduler's guess: record it once it runs.
        out.set(job, { state, reason: info.reason, startedAt: state === 'running' ? (info.startTime ?? job.record.startedAt) : undefined });
      } else left.push(job);
    }
    if (left.length > 0) await this.resolveLeft(left, out);
    return out;
  }

  /**
   * What the job's wrapper recorded (job-wrapper.ts), for this job id only:
   * an exit it chose is final (0 completed, else failed, as SLURM would
   * record it); a signalled end (scancel, a time limit, an OOM kill) is
   * the scheduler's to name.
   */
  recorded(job: TrackedJob): JobStatus | 'ask-scheduler' | undefined {
    const id = job.record.jobId;
    if (id === undefined) return undefined;
    const { started, ended } = readAttemptRecords(job.runDir, job.record.attempt);
    const startedAt = started?.job === id ? started.at : job.record.startedAt;
    if (ended?.job === id) {
      if (ended.signalled) return 'ask-scheduler';
      const usage = wrapperUsage(startedAt, ended.at, ended.cpuSeconds, started?.job === id ? started.cpus : undefined);
      return { state: ended.exitCode === 0 ? 'completed' : 'failed', exitCode: ended.exitCode, startedAt, endedAt: ended.at, usage, usageToCome: this.accounting !== false };
    }
    if (started?.job === id && job.record.state === 'queued') return { state: 'running', startedAt };
    return undefined;
  }

  /** sacct for all of them at once (1,000 ids a call); only jobs whose accounting record is final. */
  async usage(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, AttemptUsage>> {
    const out = new Map<TrackedJob, AttemptUsage>();
    const tracked = jobs.filter((j) => j.record.jobId !== undefined);
    if (tracked.length === 0 || this.accounting === false) return out;
    let rows: SlurmJobInfo[];
    try {
      rows = await this.query(() => accountedJobs({ jobIds: tracked.map((j) => j.record.jobId!) }));
      this.accounting = true;
    } catch (err) {
      if (err instanceof AccountingDisabled) this.accounting = false;
      return out;
    }
    for (const job of tracked) {
      const info = pickAccounted(rows, job);
      const state = info && mapSlurmState(info.state);
      if (info?.usage && state && !isActive(state)) out.set(job, info.usage);
    }
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
        out.set(job, withRecordedTimes({ runDir: job.runDir, attempt: job.record.attempt }, job.record.jobId, statusOf(info, state)));
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

  /**
   * The job submitted with this identity (and passing `accept`), wherever
   * the scheduler still shows it: the queue, the controller, or accounting
   * (which keeps no comments: there the working directory and submit time tell).
   */
  private async find(identity: string, workDir: string, since: Date, knownJobIds: ReadonlySet<string>, accept: (info: SlurmJobInfo) => boolean = () => true): Promise<SlurmJobInfo | undefined> {
    const wanted = (info: SlurmJobInfo) => !knownJobIds.has(info.jobId) && accept(info);
    for (const info of (await queuedJobs()).values()) if (hasIdentity(info, identity) && wanted(info)) return info;
    for (const info of (await controllerJobs()).values()) if (hasIdentity(info, identity) && wanted(info)) return info;
    if (this.accounting === false) return undefined;
    try {
      const rows = await accountedJobs({ since: slurmLocalTime(new Date(since.getTime() - CLOCK_SLACK_MS)) });
      this.accounting = true;
      return rows
        .filter((r) => wanted(r) && r.workDir === workDir && r.submitTime !== undefined && Date.parse(r.submitTime) >= since.getTime() - CLOCK_SLACK_MS)
        .sort((a, b) => Date.parse(b.submitTime!) - Date.parse(a.submitTime!))[0];
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
    const out = await this.query(() => runSlurm('squeue', ['--me', '--all', '--array', '--noheader', '--format=%j']));
    return out.split('\n').filter((name) => name !== '' && name.startsWith(match)).length;
  }

  outputFiles(job: { runDir: string; jobFile: string; options: Record<string, unknown>; record: AttemptRecord }): string[] {
    return job.record.jobId === undefined ? [] : slurmOutputFiles(job.runDir, job.jobFile, job.options, job.record.jobId);
  }

  async submitScript(script: string, cwd: string): Promise<string> {
    const out = await this.query(() => runSlurm('sbatch', ['--parsable', script], { cwd }));
    return out.trim().split(';')[0]!;
  }

  /**
   * One submission, retried while the scheduler is unreachable. A transient
   * failure may hide a job that was in fact created, so before each retry
   * `look` searches for it; what it finds is adopted, not submitted again.
   */
  private async sbatchLookingFirst<T>(what: string, notify: ((retry: SchedulerRetry) => void) | undefined, look: () => Promise<T | undefined>, sbatch: () => Promise<T>): Promise<T> {
    let tries = 0;
    return this.retrying(what, notify, async () => {
      if (tries++ > 0) {
        const found = await look();
        if (found !== undefined) return found;
      }
      return sbatch();
    });
  }

  private async retrying<T>(what: string, notify: ((retry: SchedulerRetry) => void) | undefined, fn: () => Promise<T>): Promise<T> {
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

/** Which attempt of which run a job found again stands for (where its records are). */
interface AttemptOf {
  runDir: string;
  attempt: number;
}

/**
 * A job found again. It may have ended while no mensemble watched it (it
 * ran between a crash and this apply): then how it ended (exit code, end,
 * reason) comes with it, as a refresh would give it, with the job's own times.
 */
function adopted(info: SlurmJobInfo, backendData: SlurmJobData | SlurmArrayTaskData, where: AttemptOf): SubmitResult {
  const state = mapSlurmState(info.state);
  const status: JobStatus = state ? statusOf(info, state) : { state: 'queued' };
  const timed = isActive(status.state) ? status : withRecordedTimes(where, info.jobId, status);
  return { ...timed, jobId: info.jobId, startedAt: timed.startedAt ?? info.startTime, backendData: { ...backendData } };
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
  const identity = slurmDataOf(job.record).comment;
  return identity === undefined || hasIdentity(info, identity);
}

/** sacct may hold several records for one id (ids are reused): the one in this run's directory, submitted for this attempt. */
function pickAccounted(rows: readonly SlurmJobInfo[], job: TrackedJob): SlurmJobInfo | undefined {
  const workDir = slurmDataOf(job.record).workDir ?? job.runDir;
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
  if (info.usage) status.usage = info.usage;
  const reasons: string[] = [];
  if (info.signal) reasons.push(`killed by signal ${info.signal}`);
  if (info.state.includes(' by ')) reasons.push(info.state.toLowerCase());
  if (info.reason && state !== 'completed') reasons.push(info.reason);
  if (reasons.length > 0) status.reason = reasons.join('; ');
  return status;
}

/**
 * A job's start and end as the job itself recorded them (to the millisecond,
 * on the node's clock), over the scheduler's whole seconds; the scheduler's
 * where the job left none (it never started, or died without its trap).
 */
function withRecordedTimes(where: AttemptOf, id: string | undefined, status: JobStatus): JobStatus {
  const { started, ended } = readAttemptRecords(where.runDir, where.attempt);
  const startedAt = started && started.job === id ? started.at : status.startedAt;
  const endedAt = ended && ended.job === id ? ended.at : status.endedAt;
  // Without accounting (the controller told the state), what the wrapper saw is all there is.
  const usage = status.usage ?? (ended && ended.job === id ? wrapperUsage(startedAt, endedAt, ended.cpuSeconds, started && started.job === id ? started.cpus : undefined) : undefined);
  return { ...status, startedAt, endedAt, ...(usage ? { usage } : {}) };
}

/** A time as SLURM reads it on the command line: local, without a zone. */
function slurmLocalTime(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}T${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

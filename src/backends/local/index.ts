import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { attemptRecordFiles, preparedNotice, wrapperUsage } from '../../state/attempt-records.js';
import type { AttemptRecord } from '../../state/run-state.js';
import { START_GRACE_MS, detachedState, forgetDetached, readPidFile, signalDetached, waitFor } from '../../util/detached.js';
import { Launcher } from '../../util/launcher.js';
import { isProcessAlive, isUsablePid, processStartTime } from '../../util/process.js';
import type { Backend, BackendNotice, JobStatus, SubmitRequest, SubmitResult, TrackedJob } from '../types.js';
import { localLogOf, localProcessOf, type LocalJobData } from './job-data.js';
import { jobCommand, localJobFiles } from './job-files.js';

export class LocalBackend implements Backend {
  readonly name = 'local';
  readonly defaultPollSeconds = 1;
  /** No scheduler to spare: maxjobs alone bounds what runs at once. */
  readonly defaultSubmitRate = Number.POSITIVE_INFINITY;
  /** Jobs are started from a small process of their own: forks from a large apply are slow. */
  private readonly launcher = new Launcher();

  async preflight(): Promise<BackendNotice[]> {
    return [];
  }

  forgetAttempt(runDir: string, attempt: number): void {
    forgetDetached(localJobFiles(runDir, attempt));
    for (const file of Object.values(attemptRecordFiles(runDir, attempt))) fs.rmSync(file, { force: true });
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const files = localJobFiles(request.runDir, request.attempt);
    const jobPath = path.join(request.runDir, request.jobFile);
    const { pid, processStart } = await this.launcher.start(files, jobCommand(jobPath), {
      cwd: request.runDir,
      name: 'mensemble-job',
      notice: preparedNotice(request.runDir, request.attempt),
      measure: true,
      env: { ...process.env, MENSEMBLE_RUN_ID: request.runId, MENSEMBLE_RUN_DIR: request.runDir, MENSEMBLE_ATTEMPT: String(request.attempt) },
    });
    const data: LocalJobData = { pid, processStart, log: files.out };
    return { jobId: String(pid), state: 'running', startedAt: startedAt(files.pid) ?? new Date().toISOString(), backendData: data };
  }

  async refresh(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, JobStatus>> {
    const out = new Map<TrackedJob, JobStatus>();
    for (const job of jobs) out.set(job, this.status(job.runDir, job.record));
    return out;
  }

  /** The job's own files settle it once it has exited (its pid and exit files are its records); the rest is refresh's. */
  recorded(job: TrackedJob): JobStatus | undefined {
    const status = this.status(job.runDir, job.record);
    return status.state === 'completed' || (status.state === 'failed' && status.exitCode !== null) ? status : undefined;
  }

  private status(runDir: string, record: AttemptRecord): JobStatus {
    const now = detachedState(localJobFiles(runDir, record.attempt), localProcessOf(record));
    switch (now.state) {
      case 'exited': {
        // A local job is given no CPUs of its own: its core time counts one core for its wall time.
        const usage = wrapperUsage(record.startedAt ?? startedAt(localJobFiles(runDir, record.attempt).pid), now.endedAt, now.cpuSeconds, 1, false);
        // Sampled every second from the first: a job that ended sooner has no peak (missing, not zero).
        if (now.peakKB !== undefined) {
          usage.peakMemoryBytes = now.peakKB * 1024;
          usage.missing = usage.missing?.filter((f) => f !== 'peakMemoryBytes');
          if (usage.missing?.length === 0) delete usage.missing;
        }
        if (now.code === 0) return { state: 'completed', exitCode: 0, endedAt: now.endedAt, usage };
        return { state: 'failed', exitCode: now.code, endedAt: now.endedAt, reason: now.code > 128 ? `killed by signal ${now.code - 128}` : undefined, usage };
      }
      case 'running':
        return { state: 'running' };
      default:
        return { state: 'lost', exitCode: null, endedAt: new Date().toISOString(), reason: 'the process ended without recording an exit code (killed, or the machine restarted)' };
    }
  }

  async recover(request: SubmitRequest, intent: AttemptRecord): Promise<SubmitResult | undefined> {
    const files = localJobFiles(request.runDir, request.attempt);
    // An intent from the future (clocks of two login nodes disagree, or the clock stepped back) is as young as can be:
    // wait the grace period at most, never until that time.
    const age = Math.max(0, Date.now() - Date.parse(intent.submittedAt));
    if (age < START_GRACE_MS) await waitFor(() => fs.existsSync(files.pid), START_GRACE_MS - age);
    const written = readPidFile(files.pid);
    if (written === undefined) return undefined;
    const { pid } = written;
    // The start the job wrote of itself; a process now holding its pid with another start (a reboot
    // reused the pid) is not the job. Only a pid file from an older wrapper lacks it: then the pid is trusted.
    const processStart = written.processStart ?? (isUsablePid(pid) && isProcessAlive(pid) ? processStartTime(pid) : undefined);
    const data: LocalJobData = { pid, processStart, log: files.out };
    return { jobId: String(pid), state: 'running', startedAt: startedAt(files.pid), backendData: data };
  }

  async cancel(jobs: readonly TrackedJob[]): Promise<void> {
    for (const job of jobs) {
      const { pid, processStart } = localProcessOf(job.record);
      // The wrapper leads its own process group: signal the whole job.
      if (pid !== undefined) signalDetached(pid, processStart);
    }
  }

  async countActiveJobs(): Promise<number> {
    // Local jobs are not shared with other users; model-ensembler's `jobs` check never waits here.
    return 0;
  }

  outputFiles(job: { runDir: string; record: AttemptRecord }): string[] {
    return [localLogOf(job.record) ?? localJobFiles(job.runDir, job.record.attempt).out];
  }

  async submitScript(script: string, cwd: string): Promise<string> {
    // The local "scheduler" starts it at once, detached, its output beside it.
    const log = fs.openSync(path.resolve(cwd, `${path.basename(script)}.log`), 'a');
    try {
      const child = spawn('/bin/sh', [path.resolve(cwd, script)], { cwd, detached: true, stdio: ['ignore', log, log] });
      child.unref();
      if (child.pid === undefined) throw new Error(`could not start ${script}`);
      return String(child.pid);
    } finally {
      fs.closeSync(log);
    }
  }
}

/**
 * When the job started, as the job itself recorded it: its wrapper writes the
 * pid file first thing (and the exit file last, whose time is the end). A
 * job that ends before mensemble looks again must not show a start after its end.
 */
function startedAt(pidFile: string): string | undefined {
  return fs.statSync(pidFile, { throwIfNoEntry: false })?.mtime.toISOString();
}

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { AttemptRecord } from '../../state/run-state.js';
import { isProcessAlive, processStartTime } from '../../util/process.js';
import type { Backend, JobStatus, SubmitRequest, SubmitResult, TrackedJob } from '../types.js';
import { interpreterOf, localJobFiles, readNumber } from './job-files.js';

/**
 * The job runs under this fixed wrapper script; paths and the command reach
 * it only as positional arguments, never spliced into the script. It records
 * its pid first and the exit code last, each with write-then-rename, so a
 * later mensemble can tell running, finished and lost jobs apart.
 */
const WRAPPER = [
  'pidf=$1; exitf=$2; log=$3; shift 3',
  'echo $$ > "$pidf.tmp" && mv -f "$pidf.tmp" "$pidf"',
  '"$@" > "$log" 2>&1 < /dev/null',
  'code=$?',
  'echo $code > "$exitf.tmp" && mv -f "$exitf.tmp" "$exitf"',
].join('\n');

/** How long a submission may take to show its pid file before it is taken as never started. */
const START_GRACE_MS = 3000;

export class LocalBackend implements Backend {
  readonly name = 'local';
  readonly defaultPollSeconds = 1;
  /** No scheduler to spare: maxjobs alone bounds what runs at once. */
  readonly defaultSubmitRate = Number.POSITIVE_INFINITY;

  async preflight(): Promise<void> {}

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const files = localJobFiles(request.runDir, request.attempt);
    for (const f of [files.pid, files.exit]) fs.rmSync(f, { force: true });
    const jobPath = path.join(request.runDir, request.jobFile);
    const child = spawn('/bin/sh', ['-c', WRAPPER, 'mensemble-job', files.pid, files.exit, files.log, ...interpreterOf(jobPath), jobPath], {
      cwd: request.runDir,
      // Its own session: the job outlives mensemble (Ctrl-C, SIGKILL, logout).
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, MENSEMBLE_RUN_ID: request.runId, MENSEMBLE_RUN_DIR: request.runDir, MENSEMBLE_ATTEMPT: String(request.attempt) },
    });
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new Error(`could not start /bin/sh for ${request.runId}`);
    await waitFor(() => fs.existsSync(files.pid) || fs.existsSync(files.exit), START_GRACE_MS);
    return {
      jobId: String(pid),
      state: 'running',
      startedAt: new Date().toISOString(),
      backendData: { pid, processStart: processStartTime(pid), log: files.log },
    };
  }

  async refresh(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, JobStatus>> {
    const out = new Map<TrackedJob, JobStatus>();
    for (const job of jobs) out.set(job, this.status(job.runDir, job.record));
    return out;
  }

  private status(runDir: string, record: AttemptRecord): JobStatus {
    const files = localJobFiles(runDir, record.attempt);
    const finished = (): JobStatus | undefined => {
      const code = readNumber(files.exit);
      if (code === undefined) return undefined;
      const endedAt = fs.statSync(files.exit).mtime.toISOString();
      if (code === 0) return { state: 'completed', exitCode: 0, endedAt };
      return { state: 'failed', exitCode: code, endedAt, reason: code > 128 ? `killed by signal ${code - 128}` : undefined };
    };
    const done = finished();
    if (done) return done;
    const pid = Number(record.backendData?.pid ?? record.jobId);
    const started = record.backendData?.processStart as string | undefined;
    const alive = Number.isInteger(pid) && isProcessAlive(pid) && (started === undefined || processStartTime(pid) === started);
    if (alive) return { state: 'running' };
    // It may have finished between the two looks.
    return finished() ?? { state: 'lost', exitCode: null, endedAt: new Date().toISOString(), reason: 'the process ended without recording an exit code (killed, or the machine restarted)' };
  }

  async recover(request: SubmitRequest, intent: AttemptRecord): Promise<SubmitResult | undefined> {
    const files = localJobFiles(request.runDir, request.attempt);
    const age = Date.now() - Date.parse(intent.submittedAt);
    if (age < START_GRACE_MS) await waitFor(() => fs.existsSync(files.pid), START_GRACE_MS - age);
    const pid = readNumber(files.pid);
    if (pid === undefined) return undefined;
    const alive = isProcessAlive(pid);
    return {
      jobId: String(pid),
      state: 'running',
      backendData: { pid, processStart: alive ? processStartTime(pid) : undefined, log: files.log },
    };
  }

  async cancel(jobs: readonly TrackedJob[]): Promise<void> {
    for (const job of jobs) {
      const pid = Number(job.record.backendData?.pid ?? job.record.jobId);
      const started = job.record.backendData?.processStart as string | undefined;
      if (!Number.isInteger(pid) || !isProcessAlive(pid)) continue;
      if (started !== undefined && processStartTime(pid) !== started) continue;
      try {
        // The wrapper leads its own process group: signal the whole job.
        process.kill(-pid, 'SIGTERM');
      } catch {
        // Already gone.
      }
    }
  }

  async countActiveJobs(): Promise<number> {
    // Local jobs are not shared with other users; model-ensembler's `jobs` check never waits here.
    return 0;
  }

  outputFiles(job: { runDir: string; record: AttemptRecord }): string[] {
    return [(job.record.backendData?.log as string | undefined) ?? localJobFiles(job.runDir, job.record.attempt).log];
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

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

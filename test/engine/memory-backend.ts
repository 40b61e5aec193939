// An in-memory backend: a test double for engine unit tests (test/engine/).
// It lives beside the real-cluster tests, never instead of them: what SLURM
// and the local backend do is tested against them (test/slurm*.test.ts,
// test/local*.test.ts). Jobs move on by refreshes, not by time: each job is
// queued for one refresh, runs for `runFor` refreshes, then ends as its
// script says. Array tasks beyond an array's throttle stay queued.
import type { Backend, BackendNotice, JobArrays, JobStatus, SubmitRequest, SubmitResult, TrackedJob } from '../../src/backends/types.js';
import type { AttemptRecord, JobState } from '../../src/state/run-state.js';
import type { AttemptUsage } from '../../src/state/usage.js';

export interface JobOutcome {
  state: JobState;
  exitCode?: number | null;
  /** What the attempt used, as a scheduler's accounting would tell it once the job ended. */
  usage?: AttemptUsage;
}

interface Job {
  id: string;
  request: SubmitRequest;
  state: JobState;
  /** Refreshes left in the current state. */
  left: number;
  outcome: JobOutcome;
  array?: ArrayJob;
}

interface ArrayJob {
  throttle: number;
  tasks: Job[];
}

export interface MemoryBackendOptions {
  /** How each attempt ends (default: completed, exit code 0). */
  outcome?: (request: SubmitRequest) => JobOutcome;
  /** Refreshes a job runs for (default 2). */
  runFor?: number;
  /** Offer job arrays (default false). */
  arrays?: boolean;
  /** Makes a submission fail as the scheduler being unreachable would, or with any error. */
  failSubmit?: (request: SubmitRequest) => Error | undefined;
}

export class MemoryBackend implements Backend {
  readonly name = 'memory';
  readonly defaultPollSeconds = 0.01;
  readonly defaultSubmitRate = Number.POSITIVE_INFINITY;
  readonly jobs = new Map<string, Job>();
  /** Every sbatch-like call: the run ids it carried. */
  readonly submissions: string[][] = [];
  /** The most jobs running at once, seen at any refresh. */
  maxRunning = 0;
  refreshes = 0;
  private nextId = 1;
  arrays?: JobArrays;

  constructor(private readonly options: MemoryBackendOptions = {}) {
    if (options.arrays) {
      this.arrays = { available: async () => true, submit: async (requests, throttle, recordIntent) => {
        const array: ArrayJob = { throttle, tasks: [] };
        const results = new Map<SubmitRequest, SubmitResult | Error>();
        for (const request of requests) recordIntent(request, { array: `a${this.nextId}` });
        this.submissions.push(requests.map((r) => r.runId));
        for (const request of requests) {
          const job = this.create(request, array);
          array.tasks.push(job);
          results.set(request, { jobId: job.id, state: 'queued' });
        }
        return results;
      }, setThrottle: async (attempts: readonly AttemptRecord[], throttle: number) => {
        const job = this.jobs.get(attempts[0]!.jobId!);
        if (job?.array) job.array.throttle = throttle;
      } };
    }
  }

  async preflight(): Promise<BackendNotice[]> {
    return [];
  }

  async submit(request: SubmitRequest): Promise<SubmitResult> {
    const error = this.options.failSubmit?.(request);
    if (error) throw error;
    this.submissions.push([request.runId]);
    const job = this.create(request);
    return { jobId: job.id, state: 'queued' };
  }

  async refresh(jobs: readonly TrackedJob[]): Promise<Map<TrackedJob, JobStatus>> {
    this.refreshes++;
    this.advance();
    const out = new Map<TrackedJob, JobStatus>();
    for (const tracked of jobs) {
      const job = this.jobs.get(tracked.record.jobId ?? '');
      if (!job) continue;
      const ended: JobStatus = { state: job.state, exitCode: job.outcome.exitCode !== undefined ? job.outcome.exitCode : job.state === 'completed' ? 0 : 1, ...(job.outcome.usage ? { usage: job.outcome.usage } : {}) };
      out.set(tracked, job.state === 'queued' || job.state === 'running' ? { state: job.state } : ended);
    }
    return out;
  }

  async recover(request: SubmitRequest): Promise<SubmitResult | undefined> {
    const job = [...this.jobs.values()].find((j) => j.request.runId === request.runId && j.request.attempt === request.attempt && j.request.ensembleKey === request.ensembleKey);
    return job && { jobId: job.id, state: job.state };
  }

  async cancel(jobs: readonly TrackedJob[]): Promise<void> {
    for (const tracked of jobs) {
      const job = this.jobs.get(tracked.record.jobId ?? '');
      if (job && (job.state === 'queued' || job.state === 'running')) job.state = 'cancelled';
    }
  }

  async countActiveJobs(): Promise<number> {
    return this.running().length + [...this.jobs.values()].filter((j) => j.state === 'queued').length;
  }

  outputFiles(): string[] {
    return [];
  }

  async submitScript(): Promise<string> {
    return String(this.nextId++);
  }

  /** The requests that reached the scheduler for a run, in order. */
  requestsOf(runId: string): SubmitRequest[] {
    return [...this.jobs.values()].filter((j) => j.request.runId === runId).map((j) => j.request);
  }

  /** Jobs started so far per run id (attempts that reached the scheduler). */
  startsOf(runId: string): number {
    return [...this.jobs.values()].filter((j) => j.request.runId === runId).length;
  }

  private create(request: SubmitRequest, array?: ArrayJob): Job {
    const job: Job = { id: String(this.nextId++), request, state: 'queued', left: 1, outcome: this.options.outcome?.(request) ?? { state: 'completed', exitCode: 0 }, array };
    this.jobs.set(job.id, job);
    return job;
  }

  private running(): Job[] {
    return [...this.jobs.values()].filter((j) => j.state === 'running');
  }

  /** One step of the world: running jobs count down and end; queued jobs start where their array's throttle lets them. */
  private advance(): void {
    for (const job of this.running()) {
      if (--job.left <= 0) job.state = job.outcome.state;
    }
    for (const job of this.jobs.values()) {
      if (job.state !== 'queued') continue;
      if (job.array && job.array.tasks.filter((t) => t.state === 'running').length >= job.array.throttle) continue;
      if (--job.left > 0) continue;
      job.state = 'running';
      job.left = this.options.runFor ?? 2;
    }
    this.maxRunning = Math.max(this.maxRunning, this.running().length);
  }
}

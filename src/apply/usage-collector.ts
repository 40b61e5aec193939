import type { Backend, TrackedJob } from '../backends/types.js';

/** Waits before each ask: sacct has a job's record a moment after the job ends. */
const ASK_AFTER_MS = [300, 1000, 2000, 4000];

/**
 * Attempts that ended during this apply whose figures the scheduler's
 * accounting will tell better than their wrappers did (peak memory,
 * allocated CPUs, the request). They are asked for together once the runs
 * are done (`Backend.usage`: one query for all of them, a few times while
 * accounting catches up), never one query per job, and each answer is saved
 * into its run's state. What accounting never tells stays as the wrapper saw it.
 */
export class UsageCollector {
  private readonly wanted = new Map<TrackedJob, () => void>();

  /** `save` writes the run's state once the attempt's record holds the figures. */
  want(job: TrackedJob, save: () => void): void {
    this.wanted.set(job, save);
  }

  get size(): number {
    return this.wanted.size;
  }

  async collect(backend: Backend): Promise<void> {
    if (!backend.usage) return;
    for (const [i, delay] of ASK_AFTER_MS.entries()) {
      if (this.wanted.size === 0) return;
      await new Promise((resolve) => setTimeout(resolve, delay));
      const found = await backend.usage([...this.wanted.keys()]);
      const last = i === ASK_AFTER_MS.length - 1;
      for (const [job, usage] of found) {
        // Accounting fills a job's record in more than one step (seen: the state before the request): ask again.
        if (!last && usage.missing?.includes('requestedMemoryBytes')) continue;
        job.record.usage = usage;
        this.wanted.get(job)!();
        this.wanted.delete(job);
      }
    }
  }
}

import type { Backend, JobStatus, TrackedJob } from '../backends/types.js';
import { isActive } from '../state/run-state.js';
import { errorMessage } from '../util/errors.js';
import type { ApplyWarning } from './events.js';

interface Waiter {
  job: TrackedJob;
  resolve: (status: JobStatus) => void;
  reject: (err: unknown) => void;
  onChange: (status: JobStatus) => void;
}

/**
 * Waits for many jobs with one backend query per cycle for all of them, so
 * scheduler load does not grow with the ensemble. The interval starts at
 * `pollInterval` and stays there while jobs keep changing state; once
 * nothing has changed for `BACKOFF_AFTER` intervals (long jobs) it backs off,
 * up to 8x. Short jobs are so seen to end within one interval, and long ones
 * cost few queries. A failed query is retried next cycle; it never turns a
 * job into a failure.
 */
const BACKOFF_AFTER = 6;

export class JobWatcher {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private interval: number;
  private polling = false;
  private lastChangeAt = Date.now();
  /** Set while queries fail, so an outage is reported once, and its end once. */
  private failingSince: number | undefined;

  constructor(
    private readonly backend: Backend,
    private readonly pollIntervalMs: number,
    private readonly warn: (warning: ApplyWarning) => void,
  ) {
    this.interval = pollIntervalMs;
  }

  /** Resolves with the job's final status; `onChange` sees every status on the way. */
  wait(job: TrackedJob, onChange: (status: JobStatus) => void): Promise<JobStatus> {
    return new Promise((resolve, reject) => {
      this.waiters.add({ job, resolve, reject, onChange });
      this.interval = this.pollIntervalMs;
      this.lastChangeAt = Date.now();
      this.schedule(Math.min(this.interval, 200));
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    if (this.timer || this.polling) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll();
    }, delay);
  }

  private async poll(): Promise<void> {
    if (this.waiters.size === 0) return;
    this.polling = true;
    let changed = false;
    try {
      const waiters = [...this.waiters];
      const statuses = await this.backend.refresh(waiters.map((w) => w.job));
      if (this.failingSince !== undefined) {
        this.warn({ kind: 'query-recovered', backend: this.backend.name, afterSeconds: Math.round((Date.now() - this.failingSince) / 1000) });
        this.failingSince = undefined;
      }
      for (const w of waiters) {
        const status = statuses.get(w.job);
        if (!status) continue;
        if (status.state !== w.job.record.state) {
          changed = true;
          try {
            w.onChange(status);
          } catch (err) {
            // The waiter's own failure (its run directory deleted...), not the backend's: it alone stops.
            this.waiters.delete(w);
            w.reject(err);
            continue;
          }
        }
        if (!isActive(status.state)) {
          this.waiters.delete(w);
          w.resolve(status);
        }
      }
    } catch (err) {
      if (this.failingSince === undefined) {
        this.failingSince = Date.now();
        this.warn({ kind: 'query-failing', backend: this.backend.name, error: errorMessage(err) });
      }
    } finally {
      this.polling = false;
    }
    if (changed) this.lastChangeAt = Date.now();
    const quietFor = Date.now() - this.lastChangeAt;
    this.interval = quietFor < BACKOFF_AFTER * this.pollIntervalMs ? this.pollIntervalMs : Math.min(this.interval * 1.5, this.pollIntervalMs * 8);
    if (this.waiters.size > 0) this.schedule(this.interval);
  }
}

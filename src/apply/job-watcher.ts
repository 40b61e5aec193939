import type { Backend, JobStatus, TrackedJob } from '../backends/types.js';
import { noticeFolder, noticeName } from '../state/attempt-records.js';
import { isActive } from '../state/run-state.js';
import { AttemptNotices } from './attempt-notices.js';
import { errorMessage } from '../util/errors.js';
import type { ApplyWarning } from './events.js';

interface Waiter {
  job: TrackedJob;
  resolve: (status: JobStatus) => void;
  reject: (err: unknown) => void;
  onChange: (status: JobStatus) => void;
  /** Its attempt's notice name (state/attempt-records.ts), where the backend has records. */
  notice?: string;
}

/**
 * Waits for many jobs. Jobs tell their own start and end: their wrappers
 * leave a notice (apply/attempt-notices.ts) and the backend reads the
 * attempt's records (`Backend.recorded`), so a job is seen to end within
 * about a second without a scheduler query. The scheduler is the safety
 * net, with one query per cycle for all jobs so load does not grow with the
 * ensemble: every `pollInterval` (the backend's default is slow where
 * records exist), backing off up to 8x (at most 4 minutes) once nothing has
 * changed for `BACKOFF_AFTER` intervals; and, for jobs whose records say they were
 * signalled (a cancel, a time limit, an OOM kill: only the scheduler can
 * name it), every second or so until the scheduler gives their end. A
 * failed query is retried next cycle; it never turns a job into a failure.
 */
const BACKOFF_AFTER = 6;
/** The first query for a job whose records say only the scheduler can tell how it ended. */
const URGENT_FIRST_MS = 1000;
const URGENT_MAX_MS = 10_000;

export class JobWatcher {
  private readonly waiters = new Set<Waiter>();
  /** Waiters by their attempt's notice name. */
  private readonly byNotice = new Map<string, Set<Waiter>>();
  /** Waiters whose records say they ended in a way only the scheduler can name. */
  private readonly urgent = new Set<Waiter>();
  private readonly notices: AttemptNotices | undefined;
  private timer: NodeJS.Timeout | undefined;
  private urgentTimer: NodeJS.Timeout | undefined;
  private urgentInterval = URGENT_FIRST_MS;
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
    if (backend.recorded) this.notices = new AttemptNotices((name) => this.noticed(name));
  }

  /** Resolves with the job's final status; `onChange` sees every status on the way. */
  wait(job: TrackedJob, onChange: (status: JobStatus) => void): Promise<JobStatus> {
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { job, resolve, reject, onChange, notice: this.notices && noticeName(job.runDir, job.record.attempt) };
      this.waiters.add(waiter);
      this.interval = this.pollIntervalMs;
      this.lastChangeAt = Date.now();
      if (this.notices && waiter.notice !== undefined) {
        const same = this.byNotice.get(waiter.notice) ?? new Set();
        same.add(waiter);
        this.byNotice.set(waiter.notice, same);
        this.notices.listen(noticeFolder(job.runDir));
        // What the job recorded before this wait began (it ran while mensemble was down, or it is that quick).
        this.consult(waiter);
      }
      // Without records the scheduler is the only source: ask soon. With them, at the safety net's pace.
      if (this.waiters.has(waiter)) this.schedule(this.notices ? this.interval : Math.min(this.interval, 200));
    });
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.urgentTimer) clearTimeout(this.urgentTimer);
    this.timer = this.urgentTimer = undefined;
    this.notices?.close();
  }

  private noticed(name: string): void {
    for (const waiter of this.byNotice.get(name) ?? []) this.consult(waiter);
  }

  /** Reads the waiter's records and acts on what they say. */
  private consult(waiter: Waiter): void {
    let said: ReturnType<NonNullable<Backend['recorded']>>;
    try {
      said = this.backend.recorded!(waiter.job);
    } catch {
      return; // unreadable records: the scheduler will tell
    }
    if (said === undefined) return;
    if (said === 'ask-scheduler') {
      this.urgent.add(waiter);
      this.scheduleUrgent();
      return;
    }
    this.lastChangeAt = Date.now();
    this.settle(waiter, said);
  }

  /** Hands a status to its waiter: every change to `onChange`, the final one to the wait. */
  private settle(w: Waiter, status: JobStatus): boolean {
    let changed = false;
    if (status.state !== w.job.record.state) {
      changed = true;
      try {
        w.onChange(status);
      } catch (err) {
        // The waiter's own failure (its run directory deleted...), not the backend's: it alone stops.
        this.forget(w);
        w.reject(err);
        return changed;
      }
    }
    if (!isActive(status.state)) {
      this.forget(w);
      w.resolve(status);
    }
    return changed;
  }

  private forget(w: Waiter): void {
    this.waiters.delete(w);
    this.urgent.delete(w);
    if (w.notice === undefined) return;
    const same = this.byNotice.get(w.notice);
    same?.delete(w);
    if (same?.size === 0) this.byNotice.delete(w.notice);
  }

  private schedule(delay: number): void {
    if (this.timer || this.polling) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.poll([...this.waiters]).then((changed) => {
        if (changed) this.lastChangeAt = Date.now();
        const quietFor = Date.now() - this.lastChangeAt;
        this.interval = quietFor < BACKOFF_AFTER * this.pollIntervalMs ? this.pollIntervalMs : Math.min(this.interval * 1.5, this.longestInterval());
        if (this.waiters.size > 0) this.schedule(this.interval);
      });
    }, delay);
  }

  /**
   * Backed off, 8x the base, but not past 4 minutes unless the base is
   * longer: a controller without accounting forgets a finished job after
   * MinJobAge (5 minutes by default), and a job that died without its
   * records is then known to nobody.
   */
  private longestInterval(): number {
    return Math.max(this.pollIntervalMs, Math.min(this.pollIntervalMs * 8, 240_000));
  }

  private scheduleUrgent(): void {
    if (this.urgentTimer) return;
    this.urgentTimer = setTimeout(() => {
      this.urgentTimer = undefined;
      void this.poll([...this.urgent]).then(() => {
        if (this.urgent.size === 0) {
          this.urgentInterval = URGENT_FIRST_MS;
          return;
        }
        this.urgentInterval = Math.min(this.urgentInterval * 1.5, URGENT_MAX_MS);
        this.scheduleUrgent();
      });
    }, this.urgentInterval);
  }

  /** One scheduler query for these waiters; whether any changed state. */
  private async poll(waiters: Waiter[]): Promise<boolean> {
    if (waiters.length === 0 || this.polling) return false;
    this.polling = true;
    let changed = false;
    try {
      const statuses = await this.backend.refresh(waiters.map((w) => w.job));
      if (this.failingSince !== undefined) {
        this.warn({ kind: 'query-recovered', backend: this.backend.name, afterSeconds: Math.round((Date.now() - this.failingSince) / 1000) });
        this.failingSince = undefined;
      }
      for (const w of waiters) {
        const status = statuses.get(w.job);
        // Settled meanwhile by its records, or not told this cycle.
        if (!status || !this.waiters.has(w)) continue;
        if (this.settle(w, status)) changed = true;
      }
    } catch (err) {
      if (this.failingSince === undefined) {
        this.failingSince = Date.now();
        this.warn({ kind: 'query-failing', backend: this.backend.name, error: errorMessage(err) });
      }
    } finally {
      this.polling = false;
    }
    return changed;
  }
}

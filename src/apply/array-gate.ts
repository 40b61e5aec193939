import type { Backend, SubmitRequest, SubmitResult } from '../backends/types.js';
import type { AttemptRecord } from '../state/run-state.js';
import type { RateLimiter } from './rate-limit.js';

interface Waiting {
  request: SubmitRequest;
  record: AttemptRecord;
  save: () => void;
  resolve: (result: SubmitResult) => void;
  reject: (err: unknown) => void;
}

/**
 * Quiet time after the last run arrives before its array is submitted, and
 * the longest any run waits. Both only apply while some run of the batch is
 * still on its way to the submit step: once every run in flight has arrived,
 * the array goes out at once.
 */
const QUIET_MS = 150;
const MOST_MS = 2000;

/**
 * Collects the submissions of one batch's runs as they reach the submit
 * step, and hands them to the backend as job arrays: one sbatch for every
 * run that arrived within a short quiet window, rather than one per run.
 * Each run's intent is already on disk (state `submitting`); the backend
 * adds where its task will be before calling the scheduler, and the gate
 * saves that too.
 */
export class ArrayGate {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  /** Runs in flight that have not reached the submit step yet. */
  private readonly approaching = new Set<string>();

  constructor(
    private readonly backend: Required<Pick<Backend, 'submitArray'>>,
    /** Tasks of one array running at once: the batch's maxjobs. */
    private readonly throttle: number,
    private readonly submitGate: RateLimiter,
  ) {}

  static supported(backend: Backend): backend is Backend & Required<Pick<Backend, 'submitArray'>> {
    return typeof backend.submitArray === 'function';
  }

  /** A run of the batch has started and may come to the submit step. */
  approach(runId: string): void {
    this.approaching.add(runId);
  }

  /** The run is done with this apply (submitted, adopted, failed or finished): nothing more to wait for from it. */
  leave(runId: string): void {
    if (this.approaching.delete(runId)) this.reschedule();
  }

  submit(request: SubmitRequest, record: AttemptRecord, save: () => void): Promise<SubmitResult> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.firstAt = Date.now();
      this.waiting.push({ request, record, save, resolve, reject });
      this.approaching.delete(request.runId);
      this.reschedule();
    });
  }

  private reschedule(): void {
    if (this.waiting.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = this.approaching.size === 0 ? 0 : Math.max(0, Math.min(QUIET_MS, this.firstAt + MOST_MS - Date.now()));
    this.timer = setTimeout(() => void this.flush(), delay);
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const batch = this.waiting.splice(0);
    if (batch.length === 0) return;
    const byRequest = new Map(batch.map((w) => [w.request, w]));
    try {
      await this.submitGate.take();
      const results = await this.backend.submitArray(
        batch.map((w) => w.request),
        this.throttle,
        (request, backendData) => {
          const w = byRequest.get(request)!;
          w.record.backendData = backendData;
          w.save();
        },
      );
      for (const w of batch) {
        const result = results.get(w.request);
        if (result instanceof Error || result === undefined) w.reject(result ?? new Error('internal: the backend returned no result for an array task'));
        else w.resolve(result);
      }
    } catch (err) {
      for (const w of batch) w.reject(err);
    }
  }
}

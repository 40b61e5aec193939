import type { JobArrays, SubmitRequest, SubmitResult } from '../../backends/types.js';
import type { AttemptRecord } from '../../state/run-state.js';
import type { RateLimiter } from './rate-limit.js';

interface Waiting {
  request: SubmitRequest;
  record: AttemptRecord;
  save: () => void;
  resolve: (result: SubmitResult) => void;
  reject: (err: unknown) => void;
}

/** The arrays of one submission (they run one after another): at most `throttle` of their tasks run at once. */
interface Chain {
  throttle: number;
  /** Runs whose task in these arrays has not ended, with the attempt that records the task. */
  unfinished: Map<string, AttemptRecord>;
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
 *
 * It also keeps the batch's `maxjobs` across arrays. The scheduler throttles
 * each array on its own (`%n`), so when a second array of the batch goes out
 * while the first still runs (runs that reached submit later, retries) the
 * gate gives it only the slots the others leave free, holds it back while
 * none are, and raises throttles again as tasks end. A slot is a task that
 * may run: min(throttle, tasks not ended) per array, and one per active job
 * an earlier apply submitted that this apply follows.
 */
export class ArrayGate {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  /** Runs in flight that have not reached the submit step yet. */
  private readonly approaching = new Set<string>();
  private readonly chains: Chain[] = [];
  /** Runs whose job an earlier apply submitted and this apply now follows. */
  private readonly adopted = new Set<string>();
  /** Submissions and throttle changes, one at a time, so that each sees the slots the one before took. */
  private work: Promise<void> = Promise.resolve();

  constructor(
    private readonly arrays: JobArrays,
    /** Tasks of the batch running at once: its maxjobs. */
    private readonly maxjobs: number,
    private readonly submitGate: RateLimiter,
    /**
     * False with `--no-wait`: nothing then reports tasks ending, so holding
     * an array back could wait forever; each array gets the whole maxjobs.
     */
    private readonly limitAcrossArrays = true,
  ) {}

  /** A run of the batch has started and may come to the submit step. */
  approach(runId: string): void {
    this.approaching.add(runId);
  }

  /** The run is done with this apply (submitted, adopted, failed or finished): nothing more to wait for from it. */
  leave(runId: string): void {
    if (this.approaching.delete(runId)) this.reschedule();
  }

  /** The run's job, submitted before this apply, is queued or running: it takes a slot until `ended`. */
  occupy(runId: string): void {
    if (!this.chains.some((c) => c.unfinished.has(runId))) this.adopted.add(runId);
  }

  /** The run's job or task has ended: its slot goes to a held-back array or to runs waiting here. */
  ended(runId: string): void {
    let freed = this.adopted.delete(runId);
    for (const chain of this.chains) freed = chain.unfinished.delete(runId) || freed;
    if (freed && this.limitAcrossArrays) this.enqueue(() => this.rebalance());
  }

  submit(request: SubmitRequest, record: AttemptRecord, save: () => void): Promise<SubmitResult> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) this.firstAt = Date.now();
      this.waiting.push({ request, record, save, resolve, reject });
      this.approaching.delete(request.runId);
      this.reschedule();
    });
  }

  /** Tasks of the batch that may still start without passing maxjobs. */
  private free(): number {
    if (!this.limitAcrossArrays) return this.maxjobs;
    let used = this.adopted.size;
    for (const chain of this.chains) used += Math.min(chain.throttle, chain.unfinished.size);
    return this.maxjobs - used;
  }

  private enqueue(step: () => Promise<void>): void {
    // Each step catches its own errors, so the queue never stops.
    this.work = this.work.then(step);
  }

  private reschedule(): void {
    if (this.waiting.length === 0) return;
    if (this.timer) clearTimeout(this.timer);
    const delay = this.approaching.size === 0 ? 0 : Math.max(0, Math.min(QUIET_MS, this.firstAt + MOST_MS - Date.now()));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue(() => this.submitWaiting());
    }, delay);
  }

  /** Sends every waiting run as one submission, throttled to the free slots; with none free they wait for `ended`. */
  private async submitWaiting(): Promise<void> {
    const free = this.free();
    if (this.waiting.length === 0 || free < 1) return;
    const batch = this.waiting.splice(0);
    const chain: Chain = { throttle: free, unfinished: new Map(batch.map((w) => [w.request.runId, w.record])) };
    // Counted before sbatch returns, so that nothing else takes these slots meanwhile.
    this.chains.push(chain);
    const byRequest = new Map(batch.map((w) => [w.request, w]));
    try {
      await this.submitGate.take();
      const results = await this.arrays.submit(
        batch.map((w) => w.request),
        chain.throttle,
        (request, backendData) => {
          const w = byRequest.get(request)!;
          w.record.backendData = backendData;
          w.save();
        },
      );
      for (const w of batch) {
        const result = results.get(w.request);
        if (result instanceof Error || result === undefined) {
          chain.unfinished.delete(w.request.runId);
          w.reject(result ?? new Error('internal: the backend returned no result for an array task'));
        } else w.resolve(result);
      }
    } catch (err) {
      chain.unfinished.clear();
      for (const w of batch) w.reject(err);
    }
    this.dropEnded();
  }

  /** Slots freed by ended tasks: first to arrays whose throttle holds tasks back (oldest first), then to runs waiting here. */
  private async rebalance(): Promise<void> {
    this.dropEnded();
    if (this.arrays.setThrottle) {
      for (const chain of this.chains) {
        const free = this.free();
        if (free < 1) break;
        const heldBack = chain.unfinished.size - chain.throttle;
        if (heldBack < 1) continue;
        const raised = chain.throttle + Math.min(free, heldBack);
        try {
          await this.arrays.setThrottle([...chain.unfinished.values()], raised);
          chain.throttle = raised;
        } catch {
          // The scheduler did not take it (unreachable, busy): the array keeps its throttle,
          // which costs only speed, and the next task to end tries again.
          break;
        }
      }
    }
    this.reschedule();
  }

  private dropEnded(): void {
    for (let i = this.chains.length - 1; i >= 0; i--) if (this.chains[i]!.unfinished.size === 0) this.chains.splice(i, 1);
  }
}

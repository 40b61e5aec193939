import type { Backend, SubmitRequest, SubmitResult } from '../../backends/types.js';
import type { AttemptRecord } from '../../state/run-state.js';
import type { BatchCapacity } from './index.js';
import type { RateLimiter } from './rate-limit.js';
import { Slots } from './slots.js';

/** One job per run: a slot per job in the backend (at most `maxjobs`), submissions spaced by the rate limit. */
export class PerJobCapacity implements BatchCapacity {
  private readonly slots: Slots;
  private readonly holding = new Set<string>();

  constructor(
    private readonly backend: Backend,
    maxjobs: number,
    private readonly submitRate: RateLimiter,
  ) {
    this.slots = new Slots(maxjobs);
  }

  arrive(): void {}

  async admit(runId: string): Promise<void> {
    if (!this.holding.has(runId)) {
      await this.slots.acquire();
      this.holding.add(runId);
    }
    await this.submitRate.take();
  }

  submit(request: SubmitRequest): Promise<SubmitResult> {
    return this.backend.submit(request);
  }

  occupy(runId: string): void {
    // A job already in the backend takes its slot whether or not it fits.
    if (this.holding.has(runId)) return;
    this.slots.take();
    this.holding.add(runId);
  }

  release(runId: string): void {
    if (this.holding.delete(runId)) this.slots.release();
  }

  depart(runId: string): void {
    this.release(runId);
  }
}

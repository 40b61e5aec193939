import type { SubmitRequest, SubmitResult } from '../../backends/types.js';
import type { AttemptRecord } from '../../state/run-state.js';

/**
 * How one batch's runs share its `maxjobs` and reach the scheduler. The run
 * driver speaks only this; one implementation holds a slot per job
 * (./per-job.ts), the other hands submissions to job arrays, whose throttles
 * it shares out (./arrays.ts). A run calls, in order: `arrive` when its life
 * cycle starts; `admit` then `submit` for each new attempt (its intent is on
 * disk in between); `occupy` when it follows a job submitted before this
 * apply; `release` when its job ends; `depart` when it is done with this apply.
 */
export interface BatchCapacity {
  arrive(runId: string): void;
  /** Waits until a new attempt of the run may be submitted. */
  admit(runId: string): Promise<void>;
  /** Submits it; `save` makes what the backend records about it durable before the scheduler is called. */
  submit(request: SubmitRequest, record: AttemptRecord, save: () => void): Promise<SubmitResult>;
  /** A job of the run, submitted before this apply, is queued or running: it counts until `release`. */
  occupy(runId: string): void;
  release(runId: string): void;
  depart(runId: string): void;
}

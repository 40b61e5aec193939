import type { SubmitRequest, SubmitResult } from '../../backends/types.js';
import type { AttemptRecord } from '../../state/run-state.js';
import type { ArrayGate } from './array-gate.js';
import type { BatchCapacity } from './index.js';

/**
 * Job arrays: the scheduler holds tasks back (each array's `%n`) and the gate
 * shares `maxjobs` among the batch's arrays; submissions are collected into
 * arrays and pass the rate limit once per sbatch, in the gate.
 */
export class ArrayCapacity implements BatchCapacity {
  /** Runs whose job (an array task, or one this apply follows) counts against maxjobs. */
  private readonly holding = new Set<string>();

  constructor(private readonly gate: ArrayGate) {}

  arrive(runId: string): void {
    this.gate.approach(runId);
  }

  async admit(runId: string): Promise<void> {
    this.holding.add(runId);
  }

  submit(request: SubmitRequest, record: AttemptRecord, save: () => void): Promise<SubmitResult> {
    return this.gate.submit(request, record, save);
  }

  occupy(runId: string): void {
    if (this.holding.has(runId)) return;
    this.holding.add(runId);
    this.gate.occupy(runId);
  }

  release(runId: string): void {
    if (this.holding.delete(runId)) this.gate.ended(runId);
  }

  depart(runId: string): void {
    this.release(runId);
    this.gate.leave(runId);
  }
}

import type { EnsembleSpec } from '../config/types.js';
import type { Plan } from './types.js';

/** What `apply --no-wait` may do and still keep every limit: why it cannot, or undefined when it can. */
export type WaitNeeded = { kind: 'batches'; batches: string[] } | { kind: 'capacity'; batch: string; runs: number; limit: number };

/**
 * `apply --no-wait` submits and returns; nothing then holds back what it did
 * not submit. It may return at once only when that leaves no limit to keep:
 * one batch with work (batches run one after another), whose runs with a job
 * to submit or follow fit in `maxjobs` and `maxruns` together, unless the
 * scheduler itself holds the rest (the batch goes out as job arrays,
 * throttled to `maxjobs`). Otherwise a process must wait: the apply goes on
 * in the background (cli/commands/apply). Pure: the plan and settings decide.
 */
export function whyNoWaitMustWait(plan: Plan, spec: EnsembleSpec, arraysHoldLimit: (batch: string) => boolean): WaitNeeded | undefined {
  const byBatch = new Map<string, number>();
  for (const entry of plan.entries) {
    if (entry.action === 'none' || entry.action === 'moved' || entry.action === 'remove') continue;
    byBatch.set(entry.batch, (byBatch.get(entry.batch) ?? 0) + 1);
  }
  const withWork = spec.batches.filter((b) => byBatch.has(b.name));
  if (withWork.length > 1) return { kind: 'batches', batches: withWork.map((b) => b.name) };
  const batch = withWork[0];
  if (!batch) return undefined;
  const runs = byBatch.get(batch.name)!;
  const limit = Math.min(batch.maxjobs, batch.maxruns);
  if (runs > limit && !arraysHoldLimit(batch.name)) return { kind: 'capacity', batch: batch.name, runs, limit };
  return undefined;
}

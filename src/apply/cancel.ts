import type { Backends } from '../backends/registry.js';
import type { TrackedJob } from '../backends/types.js';
import type { PlanEntry } from '../plan/types.js';
import { isActive, latestAttempt, writeRunState, type RunState } from '../state/run-state.js';

export interface CancelResult {
  /** `batch/run` of every run whose job was cancelled, with the job id. */
  cancelled: Array<{ run: string; jobId: string }>;
}

/**
 * Cancels the queued and running jobs of the given runs (one scheduler call
 * per backend for all of them) and records each attempt as cancelled. Runs
 * whose intent to submit has no job id yet are left alone: the next apply
 * resolves them.
 */
export async function cancelRuns(entries: readonly PlanEntry[], backends: Backends): Promise<CancelResult> {
  const targets: Array<{ entry: PlanEntry; state: RunState; job: TrackedJob }> = [];
  for (const entry of entries) {
    const state = entry.observed?.state;
    const last = state && latestAttempt(state);
    if (!state || !last || !isActive(last.state) || last.jobId === undefined) continue;
    targets.push({ entry, state, job: { runDir: entry.dir, record: last } });
  }
  const names = [...new Set(targets.map((t) => t.job.record.backend))];
  for (const name of names) {
    await backends.get(name).cancel(targets.filter((t) => t.job.record.backend === name).map((t) => t.job));
  }
  const at = new Date().toISOString();
  const result: CancelResult = { cancelled: [] };
  for (const t of targets) {
    Object.assign(t.job.record, { state: 'cancelled', endedAt: at, reason: 'cancelled with mensemble cancel' });
    writeRunState(t.entry.dir, t.state);
    result.cancelled.push({ run: `${t.entry.batch}/${t.entry.id}`, jobId: t.job.record.jobId! });
  }
  return result;
}

import { latestAttempt } from '../state/run-state.js';
import type { PlanAction, PlanEntry } from './types.js';

/** What one batch's proposed work is estimated to cost, and on what. */
export interface BatchCost {
  batch: string;
  /** Runs the plan would submit a job for. */
  runs: number;
  /** Completed runs of the batch whose last attempt's core time is known; null: no basis yet. */
  basis: { runs: number; coreHoursPerRun: number } | null;
  /** runs x basis.coreHoursPerRun; null without a basis. */
  coreHours: number | null;
}

/** The estimated core-hours of the work a plan proposes (plan.cost). */
export interface PlanCost {
  /** The sum over batches with a basis; null when no run to submit has one. */
  coreHours: number | null;
  /** Runs the plan would submit a job for. */
  runs: number;
  /** Of those, runs in batches with no basis yet (not in coreHours). */
  unestimatedRuns: number;
  batches: BatchCost[];
}

/** Actions that submit a job (a resume only when no job was submitted, or its submission is unknown). */
function submits(entry: PlanEntry): boolean {
  const direct: PlanAction[] = ['create', 'update', 'replace', 'retry'];
  if (direct.includes(entry.action)) return true;
  return entry.action === 'resume' && entry.reasons.some((r) => r.kind === 'not-submitted' || r.kind === 'submit-unrecorded');
}

/**
 * Each run to submit is estimated at the mean core-hours of the batch's
 * completed runs' successful attempts (what a run that works costs; the
 * attempts that failed before it are not in the basis). A batch with no
 * completed run has no basis, and the estimate says so instead of guessing.
 */
export function estimateCost(entries: readonly PlanEntry[]): PlanCost {
  const byBatch = new Map<string, { runs: number; basisRuns: number; basisSeconds: number }>();
  const of = (batch: string) => {
    let b = byBatch.get(batch);
    if (!b) byBatch.set(batch, (b = { runs: 0, basisRuns: 0, basisSeconds: 0 }));
    return b;
  };
  for (const entry of entries) {
    if (entry.desired === undefined) continue;
    const b = of(entry.batch);
    if (submits(entry)) b.runs++;
    const last = entry.observed?.state && latestAttempt(entry.observed.state);
    if (last?.state === 'completed' && last.usage?.coreSeconds !== undefined) {
      b.basisRuns++;
      b.basisSeconds += last.usage.coreSeconds;
    }
  }
  const batches: BatchCost[] = [...byBatch].map(([batch, b]) => {
    const basis = b.basisRuns > 0 ? { runs: b.basisRuns, coreHoursPerRun: b.basisSeconds / 3600 / b.basisRuns } : null;
    return { batch, runs: b.runs, basis, coreHours: basis ? b.runs * basis.coreHoursPerRun : null };
  });
  const estimated = batches.filter((b) => b.runs > 0 && b.coreHours !== null);
  const runs = batches.reduce((n, b) => n + b.runs, 0);
  return {
    coreHours: estimated.length > 0 ? estimated.reduce((n, b) => n + b.coreHours!, 0) : null,
    runs,
    unestimatedRuns: batches.filter((b) => b.basis === null).reduce((n, b) => n + b.runs, 0),
    batches,
  };
}

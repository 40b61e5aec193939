import { computePlan } from '../plan/compute.js';
import { currentHolder, type LockHolder } from '../state/lock.js';
import { statusRows, type StatusRow } from '../ui/views/status.js';
import type { Ensemble } from './ensemble.js';

/** Where every run stands (`mensemble status`). */
export interface EnsembleStatus {
  /** One row per run of the configuration: its state, job, attempts and what it used. */
  runs: StatusRow[];
  /** What could not be read or told (a damaged state file, an unreachable scheduler...). */
  warnings: string[];
  /** The apply holding the ensemble's lock now, if one does. */
  apply: LockHolder | null;
}

/** Reads the runs' records and asks the scheduler about jobs in flight. Reads only. */
export async function status(ensemble: Ensemble): Promise<EnsembleStatus> {
  const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
  return { runs: statusRows(plan), warnings: plan.warnings, apply: currentHolder(ensemble.stateDir) ?? null };
}

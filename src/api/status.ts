import { computePlan } from '../plan/compute.js';
import { currentHolder } from '../state/lock.js';
import { configLockFile } from '../state/ensemble-folder.js';
import { statusRows, type EnsembleStatus } from '../ui/views/status.js';
import type { Ensemble } from './ensemble.js';

export type { EnsembleStatus } from '../ui/views/status.js';

/** Reads the runs' records and asks the scheduler about jobs in flight. Reads only. */
export async function status(ensemble: Ensemble): Promise<EnsembleStatus> {
  const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
  return { runs: statusRows(plan), warnings: plan.warnings, apply: currentHolder(configLockFile(ensemble.stateDir, ensemble.file)) ?? null };
}

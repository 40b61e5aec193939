import path from 'node:path';
import type { Backend } from '../backends/types.js';
import type { EnsembleSpec } from '../config/types.js';
import { HashCache } from '../state/hash-cache.js';
import { STATE_DIR } from '../state/run-state.js';
import { initHashing } from '../util/hash.js';
import { buildDesiredState, type DesiredState } from './desired.js';
import { diff } from './diff.js';
import { findOrphans, observeRuns, refreshJobs } from './observe.js';
import { batchFullyTargeted, type Target } from './targets.js';
import type { Plan } from './types.js';

export interface PlanOptions {
  targets: readonly Target[];
  replaceRunning?: boolean;
}

export interface ComputedPlan {
  spec: EnsembleSpec;
  desired: DesiredState;
  plan: Plan;
}

export function ensembleStateDir(spec: EnsembleSpec): string {
  return path.join(spec.dir, STATE_DIR);
}

/** config -> desired -> observed (refreshed from the backend) -> plan. Writes nothing but the hash cache. */
export async function computePlan(spec: EnsembleSpec, backend: Backend, options: PlanOptions): Promise<ComputedPlan> {
  await initHashing();
  const cache = new HashCache(path.join(ensembleStateDir(spec), 'hash-cache.json'));
  const desired = buildDesiredState(spec, options.targets, cache);
  const observed = observeRuns(desired.runs);
  const pruneBatches = spec.batches.filter((b) => batchFullyTargeted(options.targets, b.name));
  const orphans = findOrphans(
    pruneBatches.map((b) => b.basedir),
    new Set(pruneBatches.map((b) => b.name)),
    desired.allDirs,
  );
  await refreshJobs(backend, [...observed.values(), ...orphans]);
  cache.save();
  return { spec, desired, plan: diff(desired.runs, observed, orphans, { replaceRunning: options.replaceRunning }) };
}

import { computePlan } from '../plan/compute.js';
import type { Plan } from '../plan/types.js';
import type { Ensemble } from './ensemble.js';

export interface PlanOptions {
  /** Replace runs whose inputs changed while their job runs (`--replace-running`): their jobs are cancelled. */
  replaceRunning?: boolean;
  /** Run moved runs again instead of carrying their records over (`--replace-moved`). */
  replaceMoved?: boolean;
  /** Plan the removal of runs the configuration no longer has, as `apply --prune` would (`--prune`); without it they are kept, with a note. */
  prune?: boolean;
  /** Plan these runs as replaced although nothing changed (`--replace <batch>/<run>`). */
  replace?: readonly string[];
}

/**
 * What `apply` would do, and why, as data (`mensemble plan`): every run's
 * action with its typed reasons, the summary, and the estimated cost. Reads
 * only: renders in memory, reads the run directories, asks the scheduler.
 */
export async function plan(ensemble: Ensemble, options: PlanOptions = {}): Promise<Plan> {
  const computed = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets, replaceRunning: options.replaceRunning, replaceMoved: options.replaceMoved, prune: options.prune, replace: options.replace });
  if (ensemble.rc.profile && ensemble.rc.file) computed.plan.profile = { name: ensemble.rc.profile, file: ensemble.rc.file };
  return computed.plan;
}

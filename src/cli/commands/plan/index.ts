import { plan } from '../../../api/plan.js';
import { hasChanges } from '../../../plan/types.js';
import { planView } from '../../../ui/views/plan.js';
import { openEnsemble } from '../../open-ensemble.js';
import { asList, type CommonFlags } from '../../options.js';
import { EXIT } from '../../exit-codes.js';

export interface PlanFlags extends CommonFlags {
  detailedExitcode?: boolean;
  replaceRunning?: boolean;
  replaceMoved?: boolean;
  prune?: boolean;
  replace?: string | string[];
}

/** `mensemble plan`: what apply would do, and why. Reads only. */
export async function planCommand(config: string | undefined, flags: PlanFlags): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  const proposed = await plan(ensemble, { ...flags, replace: asList(flags.replace) });
  planView(ensemble.output).plan(proposed);
  return flags.detailedExitcode && hasChanges(proposed) ? EXIT.changes : EXIT.ok;
}

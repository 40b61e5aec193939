import { desiredState } from '../../../plan/compute.js';
import { validateView } from '../../../ui/views/validate.js';
import { openEnsemble } from '../../open-ensemble.js';
import type { CommonFlags } from '../../options.js';

/** `mensemble validate`: the configuration, its templates and run ids, checked without touching any run. */
export async function validateCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  const desired = await desiredState(ensemble.spec, ensemble.targets, { renderAll: true });
  validateView(ensemble.output).valid(ensemble.spec.configFile, { batches: ensemble.spec.batches.length, runs: desired.runs.length });
  return 0;
}

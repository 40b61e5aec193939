import { repairRuns } from '../../../apply/repair.js';
import { computePlan } from '../../../plan/compute.js';
import { repairView } from '../../../ui/views/repair.js';
import { openEnsemble } from '../../open-ensemble.js';
import { commandLine, type CommonFlags } from '../../options.js';

/** `mensemble repair`: rebuild the state of runs whose state file is damaged. */
export async function repairCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  // An apply must not work on these runs meanwhile.
  const lock = ensemble.lock(commandLine('repair'));
  try {
    const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
    repairView(ensemble.output).repaired(await repairRuns(plan.entries, ensemble.backend, ensemble.key));
    return 0;
  } finally {
    lock.release();
  }
}

import { cancelRuns } from '../../../apply/cancel.js';
import { computePlan } from '../../../plan/compute.js';
import { cancelView } from '../../../ui/views/cancel.js';
import { openEnsemble } from '../../open-ensemble.js';
import { commandLine, type CommonFlags } from '../../options.js';

/** `mensemble cancel`: cancel the ensemble's (or the targets') queued and running jobs. */
export async function cancelCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  // An apply following these jobs would resubmit them; cancel waits for no one and refuses instead.
  const lock = ensemble.lock(commandLine('cancel'));
  try {
    const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
    cancelView(ensemble.output).cancelled(await cancelRuns(plan.entries, ensemble.backends), plan.warnings);
    return 0;
  } finally {
    lock.release();
  }
}

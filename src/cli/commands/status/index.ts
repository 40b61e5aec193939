import { computePlan } from '../../../plan/compute.js';
import { currentHolder } from '../../../state/lock.js';
import { statusView } from '../../../ui/views/status.js';
import { openEnsemble } from '../../open-ensemble.js';
import type { CommonFlags } from '../../options.js';

/** `mensemble status`: where every run stands, asked of the scheduler now. Reads only. */
export async function statusCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
  statusView(ensemble.output).status(plan, currentHolder(ensemble.stateDir), flags.all === true);
  return 0;
}

import { status } from '../../../api/status.js';
import { statusView } from '../../../ui/views/status.js';
import { openEnsemble } from '../../open-ensemble.js';
import type { CommonFlags } from '../../options.js';

/** `mensemble status`: where every run stands, asked of the scheduler now. Reads only. */
export async function statusCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  statusView(ensemble.output).status(await status(ensemble), flags.all === true);
  return 0;
}

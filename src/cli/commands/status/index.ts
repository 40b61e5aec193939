import { computePlan } from '../../../plan/compute.js';
import { renderStatus, statusJson, statusRows } from '../../../ui/status-view.js';
import { commandContext, type CommonFlags } from '../../options.js';

/** `mensemble status`: where every run stands, asked of the scheduler now. Reads only. */
export async function statusCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ctx = commandContext(config, flags);
  const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: ctx.targets });
  const rows = statusRows(plan);
  if (flags.json) process.stdout.write(`${JSON.stringify(statusJson(rows, plan.warnings), null, 2)}\n`);
  else process.stdout.write(`${renderStatus(rows, plan.warnings, ctx.colors)}\n`);
  return 0;
}

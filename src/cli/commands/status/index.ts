import { computePlan, ensembleStateDir } from '../../../plan/compute.js';
import { currentHolder } from '../../../state/lock.js';
import { displayPath } from '../../../util/paths.js';
import { renderStatus, statusJson, statusRows } from '../../../ui/status-view.js';
import { commandContext, type CommonFlags } from '../../options.js';

/** `mensemble status`: where every run stands, asked of the scheduler now. Reads only. */
export async function statusCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ctx = commandContext(config, flags);
  const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: ctx.targets });
  const rows = statusRows(plan);
  const apply = currentHolder(ensembleStateDir(ctx.spec));
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(statusJson(rows, plan.warnings, apply ?? null), null, 2)}\n`);
  } else {
    if (apply) process.stdout.write(`An apply is running: pid ${apply.pid} on ${apply.host} since ${apply.startedAt} (\`${apply.command}\`)${apply.log ? `, log ${displayPath(apply.log)}` : ''}.\n\n`);
    process.stdout.write(`${renderStatus(rows, plan.warnings, ctx.colors)}\n`);
  }
  return 0;
}

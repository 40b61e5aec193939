import { computePlan } from '../../../plan/compute.js';
import { hasChanges } from '../../../plan/types.js';
import { planJson, renderPlan } from '../../../ui/plan-view.js';
import { commandContext, type CommonFlags } from '../../options.js';

export interface PlanFlags extends CommonFlags {
  detailedExitcode?: boolean;
  replaceRunning?: boolean;
  replaceMoved?: boolean;
}

/** `mensemble plan`: what apply would do, and why. Reads only. */
export async function planCommand(config: string | undefined, flags: PlanFlags): Promise<number> {
  const ctx = commandContext(config, flags);
  const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: ctx.targets, replaceRunning: flags.replaceRunning, replaceMoved: flags.replaceMoved });
  if (flags.json) process.stdout.write(`${JSON.stringify(planJson(plan), null, 2)}\n`);
  else process.stdout.write(`${renderPlan(plan, ctx.colors)}\n`);
  return flags.detailedExitcode && hasChanges(plan) ? 2 : 0;
}

import { isActive, latestAttempt } from '../state/run-state.js';
import type { Plan } from '../plan/types.js';
import { preciseHours } from '../ui/usage-words.js';
import { UserError } from '../util/errors.js';

/** The answer to the confirmation was not yes: nothing was changed. */
export class ApplyCancelled extends UserError {
  constructor() {
    super('Apply cancelled; nothing was changed.');
  }
}

/** Jobs submitted through another backend can only be followed by that backend. */
export function refuseForeignJobs(plan: Plan, backend: string): void {
  const foreign = plan.entries.flatMap((e) => {
    const last = e.observed?.state && latestAttempt(e.observed.state);
    return last && isActive(last.state) && last.backend !== backend ? [{ id: `${e.batch}/${e.id}`, backend: last.backend }] : [];
  });
  if (foreign.length === 0) return;
  const other = foreign[0]!.backend;
  throw new UserError(`${foreign.length} run${foreign.length > 1 ? 's have' : ' has'} a job in flight on the ${other} backend (${foreign[0]!.id}${foreign.length > 1 ? ', ...' : ''}), but this apply uses the ${backend} backend. Run it with \`--backend ${other}\` (or set \`backend: ${other}\` in .mensemblerc), or \`mensemble cancel --backend ${other}\` first.`);
}

/**
 * `--max-core-hours`: a plan whose estimate is above the budget is refused
 * before anything is submitted. Without an estimate (no completed run to go
 * by) the budget is kept as the jobs spend it (apply/budget.ts).
 */
export function refuseOverBudget(plan: Plan, budget: number | undefined): void {
  const estimate = plan.cost?.coreHours;
  if (budget === undefined || estimate === null || estimate === undefined || estimate <= budget) return;
  throw new UserError(`the plan's estimated cost, ${preciseHours(estimate)} core-hours, is above the budget of ${preciseHours(budget)} (--max-core-hours or max_core_hours in .mensemblerc). Nothing was submitted. Raise the budget, or apply part of the plan with --target.`);
}

import type { PlanCost } from '../plan/cost.js';
import type { UsageTotals } from '../state/usage.js';

/** Core-hours as people compare them: 1,234 / 12.5 / 0.42 / <0.01. */
export function hoursText(hours: number): string {
  if (hours === 0) return '0';
  if (hours < 0.01) return '<0.01';
  if (hours < 10) return hours.toFixed(2);
  if (hours < 100) return hours.toFixed(1);
  return Math.round(hours).toLocaleString('en-US');
}

/** Core-hours with three significant digits however small, where two figures are compared (a budget and an estimate). */
export function preciseHours(hours: number): string {
  return hours >= 100 ? hoursText(hours) : String(Number(hours.toPrecision(3)));
}

export function percentText(fraction: number | undefined): string {
  return fraction === undefined ? '-' : `${Math.round(fraction * 100)}%`;
}

/** `12.5 core-hours, CPU 87%, memory 41%` (seff's efficiencies), or what is missing. */
export function totalsText(t: UsageTotals): string {
  if (t.measured === 0) return t.attempts === 0 ? 'nothing used yet' : 'usage not known yet';
  const unmeasured = t.attempts - t.measured;
  return `${hoursText(t.coreHours)} core-hours, CPU efficiency ${percentText(t.cpuEfficiency)}, memory efficiency ${percentText(t.memoryEfficiency)}${unmeasured > 0 ? ` (${unmeasured} attempt${unmeasured === 1 ? '' : 's'} not measured)` : ''}`;
}

/** The plan's cost line: the estimate and what it rests on, or why there is none. */
export function costText(cost: PlanCost): string | undefined {
  if (cost.runs === 0) return undefined;
  const pending = cost.batches.filter((b) => b.runs > 0);
  const bases = pending
    .filter((b) => b.basis)
    .map((b) => `${b.batch}: ${hoursText(b.basis!.coreHoursPerRun)} a run, from ${b.basis!.runs} completed run${b.basis!.runs === 1 ? '' : 's'}`);
  const without = pending.filter((b) => !b.basis).map((b) => b.batch);
  const unestimated = without.length > 0 ? `${cost.unestimatedRuns} run${cost.unestimatedRuns === 1 ? '' : 's'} of ${without.join(', ')} not estimated: no completed run to go by yet` : '';
  if (cost.coreHours === null) return `Estimated cost: unknown (${unestimated}).`;
  const estimatedRuns = cost.runs - cost.unestimatedRuns;
  return `Estimated cost: ${hoursText(cost.coreHours)} core-hours for ${estimatedRuns} run${estimatedRuns === 1 ? '' : 's'} (${bases.join('; ')})${unestimated ? `; ${unestimated}` : ''}.`;
}

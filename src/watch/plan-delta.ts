import type { Plan, PlanAction, PlanReason } from '../plan/types.js';

/** One run whose pending action or reasons differ between two plans. */
export interface PlanChange {
  run: string;
  before: PlanAction | 'absent';
  after: PlanAction | 'absent';
  reasons: PlanReason[];
}

const key = (batch: string, id: string) => `${batch}/${id}`;

/**
 * What changed between the previous plan and this one, run by run: a run
 * that now needs work (and why), a run whose reasons changed, a run that is
 * back to matching what was applied, a run that appeared or went away.
 * Pure: both plans are values.
 */
export function planDelta(previous: Plan | undefined, next: Plan): PlanChange[] {
  const before = new Map((previous?.entries ?? []).map((e) => [key(e.batch, e.id), e]));
  const changes: PlanChange[] = [];
  const seen = new Set<string>();
  for (const e of next.entries) {
    const k = key(e.batch, e.id);
    seen.add(k);
    const old = before.get(k);
    const same = old !== undefined && old.action === e.action && JSON.stringify(old.reasons) === JSON.stringify(e.reasons);
    if (same || (old === undefined && previous === undefined)) continue;
    changes.push({ run: k, before: old?.action ?? 'absent', after: e.action, reasons: e.reasons });
  }
  for (const [k, old] of before) if (!seen.has(k)) changes.push({ run: k, before: old.action, after: 'absent', reasons: [] });
  return changes;
}

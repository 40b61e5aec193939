/**
 * `apply --max-core-hours`: what the attempts that ended during this apply
 * have used, against the budget. Once they have spent it, no further job is
 * submitted (jobs already running are left to finish: their time was
 * granted when they started); the runs not submitted stay pending for a
 * later apply. Unlimited without a budget.
 */
export class CoreHourBudget {
  private spentSeconds = 0;
  private told = false;

  constructor(readonly limitHours: number | undefined) {}

  spend(coreSeconds: number | undefined): void {
    if (coreSeconds !== undefined) this.spentSeconds += coreSeconds;
  }

  get spentHours(): number {
    return this.spentSeconds / 3600;
  }

  exhausted(): boolean {
    return this.limitHours !== undefined && this.spentHours >= this.limitHours;
  }

  /** True the first time it is asked after the budget ran out: the warning is given once. */
  firstRefusal(): boolean {
    if (this.told) return false;
    this.told = true;
    return true;
  }
}

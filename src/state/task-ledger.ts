/**
 * The rule every durable task record follows (run tasks in a run's state,
 * ensemble and batch tasks in the apply session): only a success is final.
 */
export interface LedgerRecord {
  startedAt?: string;
  finishedAt?: string;
  failedAt?: string;
}

/**
 * `done`: succeeded for the same definition (and inputs), skip it.
 * `resume`: started by an apply that was killed; its detached process left its result (or still runs).
 * `run`: never started, failed (its cause may have been fixed), or a different task now: run it afresh.
 */
export type LedgerDecision = 'done' | 'resume' | 'run';

/** Whether a record is for this task definition; a record from before task hashes were kept counts as the same. */
export function sameTask(record: { taskHash?: string } | undefined, taskHash: string): boolean {
  return (record?.taskHash ?? taskHash) === taskHash;
}

export function ledgerDecision(record: LedgerRecord | undefined, same: boolean): LedgerDecision {
  if (!record || !same || record.failedAt !== undefined) return 'run';
  return record.finishedAt !== undefined ? 'done' : 'resume';
}

import type { TaskSpec } from '../../config/types.js';
import { taskDefinitionHash } from '../../config/task-identity.js';
import type { LedgerDecision } from '../../state/task-ledger.js';
import { TaskFailure, type TaskJournal } from '../../tasks/types.js';
import { forgetDetached, type DetachedFiles } from '../../util/detached.js';
import { crashPoint } from '../../util/test-hooks.js';

/**
 * Where a task's record lives: a run's state file for run tasks
 * (./run-ledger.ts), the apply session for ensemble and batch tasks
 * (./session-ledger.ts). Every write is durable before it returns.
 */
export interface TaskLedger {
  decision(task: TaskSpec, taskHash: string): LedgerDecision;
  started(task: TaskSpec, taskHash: string): void;
  failed(task: TaskSpec, exitCode: number | undefined): void;
  finished(task: TaskSpec): void;
}

export interface TaskRun {
  ledger: TaskLedger;
  /** Where the task's detached process leaves its pid, exit code and output. */
  files: DetachedFiles;
  /** Carries the task out; resumes the process an earlier apply started when the journal says so. */
  execute(journal: TaskJournal): Promise<void>;
  started(resumed: boolean): void;
  finished(): void;
}

/**
 * Runs a task once across crashes: skipped when it succeeded for the same
 * definition (and inputs); resumed from its process's result when an apply
 * was killed while it ran; run afresh otherwise. The intent is on disk before
 * the task starts and the outcome after it ends, so no instant of a crash
 * runs it twice or loses its result. Failures are recorded and rethrown.
 */
export async function runOnce(task: TaskSpec, run: TaskRun): Promise<void> {
  const taskHash = taskDefinitionHash(task);
  const decision = run.ledger.decision(task, taskHash);
  if (decision === 'done') return;
  const resume = decision === 'resume';
  if (!resume) {
    // Old results go before the intent is recorded, so a resumed apply never takes them for this one's.
    forgetDetached(run.files);
    run.ledger.started(task, taskHash);
  }
  run.started(resume);
  try {
    await run.execute({ files: run.files, resume });
  } catch (err) {
    run.ledger.failed(task, err instanceof TaskFailure ? err.exitCode : undefined);
    throw err;
  }
  crashPoint(`after-task-${task.phase}`);
  run.ledger.finished(task);
  run.finished();
}

import type { EnsembleSpec, TaskSpec } from '../config/types.js';
import { taskDefinitionHash } from '../config/task-identity.js';
import { sessionTaskKey, type SessionFile, type SessionScope } from '../state/session-file.js';
import { ledgerDecision, sameTask } from '../state/task-ledger.js';
import type { PendingTask, PlanEntry } from './types.js';

/**
 * Ensemble- and batch-level tasks an unfinished apply session still owes,
 * where nothing else will bring them about: the post_batch of a batch whose
 * runs have all settled, the post_process once every batch has. (A batch
 * with runs to work on runs its own tasks as part of that work.) Failed and
 * interrupted tasks are owed as much as ones never started.
 */
/** Why a session still owes this task (undefined: it succeeded for its current definition). The executor asks the same. */
export function owedStatus(session: SessionFile, scope: SessionScope, task: TaskSpec): PendingTask['status'] | undefined {
  const record = session.tasks[sessionTaskKey(scope, task.phase, task.index)];
  const same = sameTask(record, taskDefinitionHash(task));
  if (ledgerDecision(record, same) === 'done') return undefined;
  return !record ? 'not-run' : !same ? 'edited' : record.failedAt !== undefined ? 'failed' : 'interrupted';
}

export function pendingSessionTasks(spec: EnsembleSpec, session: SessionFile | undefined, entries: readonly PlanEntry[]): PendingTask[] {
  if (!session || session.finishedAt) return [];
  const busy = new Set(entries.filter((e) => e.action !== 'none' && e.action !== 'remove').map((e) => e.batch));
  const owed: PendingTask[] = [];
  const check = (task: TaskSpec, scope: SessionScope, batch?: string) => {
    const status = owedStatus(session, scope, task);
    if (!status) return;
    const record = session.tasks[sessionTaskKey(scope, task.phase, task.index)];
    owed.push({ batch, phase: task.phase, index: task.index, name: task.name, where: task.where, status, ...(record?.exitCode !== undefined && status === 'failed' ? { exitCode: record.exitCode } : {}) });
  };
  let worked = false;
  for (const batch of spec.batches) {
    if (!session.batches[batch.name]) continue;
    worked = true;
    if (!busy.has(batch.name)) for (const task of batch.tasks.post_batch) check(task, `batch:${batch.name}`, batch.name);
  }
  if (worked && busy.size === 0) for (const task of spec.postProcess) check(task, 'ensemble');
  return owed;
}

import type { SessionScope } from '../../state/session-file.js';
import type { ApplySession } from '../session.js';
import type { TaskLedger } from './run-once.js';

/** Ensemble and batch tasks, recorded in the apply session under their scope. */
export function sessionTaskLedger(session: ApplySession, scope: SessionScope): TaskLedger {
  return {
    decision: (task, taskHash) => session.decision(scope, task.phase, task.index, taskHash),
    started: (task, taskHash) => session.markStarted(scope, task.phase, task.index, taskHash),
    failed: (task, exitCode) => session.markEnded(scope, task.phase, task.index, { failed: true, exitCode }),
    finished: (task) => session.markEnded(scope, task.phase, task.index, { failed: false }),
  };
}

import type { TaskSpec } from '../../config/types.js';
import { taskKey, type RunState } from '../../state/run-state.js';
import { ledgerDecision, sameTask } from '../../state/task-ledger.js';
import type { TaskLedger } from './run-once.js';

const now = () => new Date().toISOString();

/** A run's pre_run and post_run tasks, recorded in its state for its current inputs; `save` writes the state atomically. */
export function runTaskLedger(state: RunState, inputHash: string, save: () => void): TaskLedger {
  const key = (task: TaskSpec) => taskKey(task.phase, task.index, task.name);
  return {
    decision(task, taskHash) {
      const record = state.tasks[key(task)];
      return ledgerDecision(record, record?.inputHash === inputHash && sameTask(record, taskHash));
    },
    started(task, taskHash) {
      state.tasks[key(task)] = { inputHash, taskHash, startedAt: now() };
      save();
    },
    failed(task, exitCode) {
      state.tasks[key(task)] = { ...state.tasks[key(task)]!, failedAt: now(), ...(exitCode !== undefined ? { exitCode } : {}) };
      save();
    },
    finished(task) {
      state.tasks[key(task)] = { ...state.tasks[key(task)]!, finishedAt: now() };
      save();
    },
  };
}

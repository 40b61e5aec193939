import fs from 'node:fs';
import path from 'node:path';
import { substituteArgs } from '../config/task-args.js';
import { logName, taskKind } from '../config/task-kinds.js';
import type { TaskSpec } from '../config/types.js';
import type { TaskContext } from './types.js';
import { defaultDir, resolvePath, stayInside } from './where.js';

type Place = Pick<TaskContext, 'run' | 'workDir' | 'ensembleDir'>;

/**
 * The file a task's `log:` names, for a task of a kind that writes one:
 * relative to the folder it works in (its `cwd`, with `run.<key>` arguments
 * substituted), inside the ensemble. The task writes it here, and `mensemble
 * logs` looks for it here. Undefined when the task keeps no log; throws
 * TaskFailure for a path that leaves the ensemble.
 */
export function taskLogFile(task: TaskSpec, place: Place, args = substituteArgs(task.args, place.run?.vars)): string | undefined {
  if (!taskKind(task.name).log) return undefined;
  const name = logName(task, args.log);
  if (!name) return undefined;
  const cwd = args.cwd !== undefined ? resolvePath(place, String(args.cwd), `${task.where}.args.cwd`) : defaultDir(place);
  return resolvePath(place, name, `${task.where}.args.log`, cwd);
}

/** Writes a shell task's output where its `log:` says. */
export function saveLog(task: TaskSpec, ctx: TaskContext, args: Record<string, unknown>, output: string): void {
  const file = taskLogFile(task, ctx, args);
  if (!file) return;
  // `log: logs/pre.log` names a folder that need not exist yet (it is inside the ensemble: resolvePath checked).
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!path.isAbsolute(logName(task, args.log)!)) stayInside(ctx, task, path.dirname(file), 'log');
  // A log that is a symbolic link (planted in a shared run directory) is replaced, never written through.
  if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(file);
  fs.writeFileSync(file, output);
}

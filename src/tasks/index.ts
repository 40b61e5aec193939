import fs from 'node:fs';
import { substituteArgs } from '../config/task-args.js';
import { taskKind } from '../config/task-kinds.js';
import type { TaskSpec } from '../config/types.js';
import { RunDirectoryGone } from '../state/run-state.js';
import { TASK_RUNNERS } from './registry.js';
import { TaskFailure, type TaskContext } from './types.js';
import { defaultDir, resolvePath } from './where.js';

export { TaskFailure, type TaskContext } from './types.js';

/** Runs one task to completion; throws TaskFailure when it fails. Checks wait until they pass; `--no-checks` skips them. */
export async function runTask(task: TaskSpec, ctx: TaskContext): Promise<void> {
  if (ctx.run && !fs.existsSync(ctx.run.dir)) throw new RunDirectoryGone(ctx.run.dir);
  if (ctx.noChecks && taskKind(task.name).check) return;
  const args = substituteArgs(task.args, ctx.run?.vars);
  const cwd = args.cwd !== undefined ? resolvePath(ctx, String(args.cwd), `${task.where}.args.cwd`) : defaultDir(ctx);
  const shell = args.shell !== undefined ? String(args.shell) : ctx.shell;
  if (!fs.statSync(cwd, { throwIfNoEntry: false })?.isDirectory()) {
    throw new TaskFailure(args.cwd !== undefined ? `${task.where}.args.cwd` : task.where, `the folder ${cwd} the task would work in does not exist`);
  }
  return TASK_RUNNERS[task.name](task, ctx, { args, cwd, shell });
}

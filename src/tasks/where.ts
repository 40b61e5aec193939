import fs from 'node:fs';
import path from 'node:path';
import type { TaskSpec } from '../config/types.js';
import { isInside, placeInside } from '../util/paths.js';
import { TaskFailure, type TaskContext } from './types.js';

/** Where a task works unless it says `cwd`: its run's directory, else its batch's basedir, else the ensemble's root. */
export function defaultDir(ctx: Pick<TaskContext, 'run' | 'workDir' | 'ensembleDir'>): string {
  return ctx.run?.dir ?? ctx.workDir ?? ctx.ensembleDir;
}

/** A path argument, resolved inside the ensemble (relative to `base`); one that leaves it fails the task. */
export function resolvePath(ctx: Pick<TaskContext, 'run' | 'workDir' | 'ensembleDir'>, written: string, where: string, base = defaultDir(ctx)): string {
  const resolved = placeInside(ctx.ensembleDir, written, base);
  if ('problem' in resolved) throw new TaskFailure(where, resolved.problem);
  return resolved.path;
}

/** Refuses a relative path whose folder, with symbolic links followed, lies outside the ensemble's root. */
export function stayInside(ctx: TaskContext, task: TaskSpec, folder: string, key: string): void {
  let existing = folder;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  // Inside the ensemble's root, or inside the run directory or basedir the task works in (an absolute basedir may be elsewhere).
  const roots = [ctx.ensembleDir, ctx.run?.dir, ctx.workDir].filter((d): d is string => d !== undefined && fs.existsSync(d)).map((d) => fs.realpathSync(d));
  if (!roots.some((root) => isInside(root, real))) {
    throw new TaskFailure(`${task.where}.args.${key}`, `${folder} leads through a symbolic link to ${real}, outside the ensemble's folder; refusing to write or delete there.`);
  }
}

import fs from 'node:fs';
import path from 'node:path';
import type { TaskRunner } from '../types.js';
import { TaskFailure } from '../types.js';
import { resolvePath, stayInside } from '../where.js';

/** model-ensembler's `remove`: deletes `directory` (default: the run's directory). */
export const remove: TaskRunner = async (task, ctx, { args }) => {
  const target = args.directory !== undefined ? resolvePath(ctx, String(args.directory), `${task.where}.args.directory`) : ctx.run?.dir;
  if (!target) throw new TaskFailure(task.where, '`remove` outside a run needs `args.directory`.');
  if (target === ctx.ensembleDir || target === path.parse(target).root) {
    throw new TaskFailure(task.where, `refusing to remove ${target}: it is the ensemble's folder or a file system root.`);
  }
  // A folder reached through a symbolic link (`data/old` with `data` a link) is not inside the ensemble, whatever its path says.
  if (args.directory === undefined || !path.isAbsolute(String(args.directory))) stayInside(ctx, task, path.dirname(target), 'directory');
  fs.rmSync(target, { recursive: true, force: true });
};

import fs from 'node:fs';
import { errorMessage } from '../../util/errors.js';
import type { TaskRunner } from '../types.js';
import { TaskFailure } from '../types.js';
import { defaultDir, resolvePath } from '../where.js';

/** model-ensembler's `submit`: hands an extra script to the scheduler, from the run directory. */
export const submit: TaskRunner = async (task, ctx, { args }) => {
  const script = resolvePath(ctx, String(args.script), task.where);
  if (!fs.existsSync(script)) throw new TaskFailure(task.where, `submit: the script ${script} does not exist`);
  try {
    const jobId = await ctx.backend.submitScript(script, defaultDir(ctx));
    ctx.progress({ kind: 'script-submitted', script, jobId });
  } catch (err) {
    throw new TaskFailure(task.where, `submit ${script}: ${errorMessage(err)}`);
  }
};

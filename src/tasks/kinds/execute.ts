import { saveLog } from '../log.js';
import { runShell, runShellDurably } from '../shell.js';
import { tail } from '../sleep.js';
import type { TaskRunner } from '../types.js';
import { TaskFailure } from '../types.js';

/** model-ensembler's `execute`: a shell command; with a journal it runs detached and once across crashes. */
export const execute: TaskRunner = async (task, ctx, { args, cwd, shell }) => {
  const cmd = String(args.cmd);
  const result = ctx.journal ? await runShellDurably({ shell, cmd, cwd, signal: ctx.signal }, ctx.journal, ctx.progress) : await runShell({ shell, cmd, cwd, signal: ctx.signal });
  saveLog(task, ctx, args, result.output);
  if (result.exitCode !== 0) throw new TaskFailure(task.where, `\`${cmd}\` exited with code ${result.exitCode}${tail(result.output)}`, result.exitCode);
};

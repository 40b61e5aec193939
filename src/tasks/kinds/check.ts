import { saveLog } from '../log.js';
import { runShell } from '../shell.js';
import { sleep, tail } from '../sleep.js';
import type { TaskRunner } from '../types.js';
import { TaskFailure } from '../types.js';

/** model-ensembler's `check`: runs a command until it succeeds (every `interval` s, up to `timeout`), or fails at once with `fail: true`. */
export const check: TaskRunner = async (task, ctx, { args, cwd, shell }) => {
  const cmd = String(args.cmd);
  const interval = Number(args.interval ?? ctx.checkInterval) * 1000;
  const deadline = args.timeout !== undefined ? Date.now() + Number(args.timeout) * 1000 : Infinity;
  let said = false;
  for (;;) {
    const result = await runShell({ shell, cmd, cwd, signal: ctx.signal });
    saveLog(task, ctx, args, result.output);
    if (result.exitCode === 0) return;
    if (args.fail === true) throw new TaskFailure(task.where, `check \`${cmd}\` failed with code ${result.exitCode}${tail(result.output)}`, result.exitCode);
    if (Date.now() + interval > deadline) throw new TaskFailure(task.where, `check \`${cmd}\` still failing after ${args.timeout} s`);
    if (!said) {
      ctx.progress({ kind: 'check-waiting', command: cmd, exitCode: result.exitCode, intervalSeconds: interval / 1000 });
      said = true;
    }
    await sleep(interval, ctx.signal);
  }
};

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Tells the background apply where its output goes, so its lock can name the log for `status`. */
export const DETACHED_LOG_ENV = 'MENSEMBLE_DETACHED_LOG';

export interface Detached {
  pid: number;
  log: string;
  /** It was quick: already done (successfully) when we looked. */
  finished: boolean;
}

/**
 * Starts `mensemble <args>` in the background, in its own session (it
 * survives logout and Ctrl-C), its output appended to a log in the
 * ensemble's `.mensemble/` folder (model-ensembler's `-d`). Resolves once
 * the child has had a moment to start; a child that died at once is
 * reported with the end of its log.
 */
export async function detachApply(cliScript: string, args: readonly string[], ensembleStateDir: string, cwd: string): Promise<Detached> {
  fs.mkdirSync(ensembleStateDir, { recursive: true });
  const log = path.join(ensembleStateDir, `apply-${new Date().toISOString().replace(/[:.]/g, '-')}.log`);
  const fd = fs.openSync(log, 'a', 0o644);
  try {
    const child = spawn(process.execPath, [cliScript, ...args], {
      cwd,
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, [DETACHED_LOG_ENV]: log, NO_COLOR: '1' },
    });
    child.unref();
    if (child.pid === undefined) throw new Error('could not start the background apply');
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const code = await Promise.race([exited, sleep(500).then(() => 'running' as const)]);
    if (code !== 'running' && code !== 0) {
      const tail = fs.readFileSync(log, 'utf8').trim().split('\n').slice(-5).join('\n');
      throw new DetachFailed(`The background apply stopped at once (exit code ${code}). The end of ${log}:\n${tail}`);
    }
    return { pid: child.pid, log, finished: code === 0 };
  } finally {
    fs.closeSync(fd);
  }
}

export class DetachFailed extends Error {}

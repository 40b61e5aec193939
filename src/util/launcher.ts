import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startDetached, type DetachedFiles, type DetachedOptions } from './detached.js';
import { embedded } from './embedded.js';

export interface LaunchRequest {
  id: number;
  files: DetachedFiles;
  argv: string[];
  options: DetachedOptions;
}

export type LaunchReply = { id: number; pid: number; processStart?: string } | { id: number; error: string };

/**
 * Starts detached processes (util/detached.ts's startDetached) from a small
 * child process of its own (launcher-child.ts) instead of from mensemble's:
 * a fork costs in proportion to the forking process's memory, and an apply
 * of 10,000 local runs holds a few hundred MB, so starting its jobs from
 * itself cost it 4 to 6 ms each on the event loop. What is started, and the
 * files it leaves, are exactly startDetached's; a launcher that cannot be
 * started, or that dies, leaves mensemble to start the processes itself.
 * The child keeps mensemble alive only while a request is open.
 */
export class Launcher {
  private child: ChildProcess | undefined | null;
  private next = 0;
  private readonly open = new Map<number, { resolve: (r: { pid: number; processStart?: string }) => void; reject: (err: Error) => void }>();

  start(files: DetachedFiles, argv: readonly string[], options: DetachedOptions): Promise<{ pid: number; processStart?: string }> {
    const child = this.ensureChild();
    if (!child) return startDetached(files, argv, options);
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.open.set(id, { resolve, reject });
      if (this.open.size === 1) child.channel?.ref();
      child.send({ id, files, argv: [...argv], options } satisfies LaunchRequest);
    });
  }

  private ensureChild(): ChildProcess | null {
    if (this.child !== undefined) return this.child;
    const start = childStart();
    if (!start) return (this.child = null);
    try {
      const child = start();
      child.on('message', (reply: LaunchReply) => this.answered(reply));
      child.on('exit', () => this.lost(child));
      child.on('error', () => this.lost(child));
      child.unref();
      child.channel?.unref();
      this.child = child;
    } catch {
      this.child = null;
    }
    return this.child;
  }

  private answered(reply: LaunchReply): void {
    const waiting = this.open.get(reply.id);
    if (!waiting) return;
    this.open.delete(reply.id);
    if (this.open.size === 0) (this.child as ChildProcess | undefined)?.channel?.unref();
    if ('error' in reply) waiting.reject(new Error(reply.error));
    else waiting.resolve({ pid: reply.pid, processStart: reply.processStart });
  }

  /**
   * The child died (killed by hand, out of memory). Its open requests may or
   * may not have started their process: each fails, as a failed start does,
   * and what callers recorded before asking (an intent to submit) lets the
   * next apply find a process that did start. Later requests are started here.
   */
  private lost(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = null;
    for (const [id, waiting] of this.open) {
      this.open.delete(id);
      waiting.reject(new Error('the process that starts local jobs (mensemble-launcher) ended'));
    }
  }
}

/**
 * How to start the child: its compiled script beside this module, or the
 * code the single file carries (run with `node -e`); none when running from
 * the TypeScript sources.
 */
function childStart(): (() => ChildProcess) | undefined {
  const options = { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] as StdioOptions, serialization: 'json' as const };
  const code = embedded()?.launcherChildCode;
  if (code) return () => spawn(process.execPath, ['-e', code], options);
  const file = fileURLToPath(new URL('./launcher-child.js', import.meta.url));
  return fs.existsSync(file) ? () => fork(file, [], { ...options, execArgv: [] }) : undefined;
}

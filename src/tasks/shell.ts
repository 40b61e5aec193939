import fs from 'node:fs';
import { loadExeca } from '../util/lazy-deps.js';
import { detachedState, signalDetached, startDetached, waitFor, type DetachedFiles } from '../util/detached.js';
import type { TaskProgress } from './types.js';

/** One user command: what runs, through which shell, where. */
export interface ShellCommand {
  shell: string;
  cmd: string;
  cwd: string;
  signal?: AbortSignal;
}

export interface ShellResult {
  exitCode: number;
  output: string;
}

/**
 * Runs a user's command through the user's shell, on purpose: task commands
 * are shell code the user wrote. Data never reaches this as part of a shell
 * string built by mensemble.
 */
export async function runShell({ shell, cmd, cwd, signal }: ShellCommand): Promise<ShellResult> {
  // The output as printed, final newline included (as the durable runner's file has it).
  const execa = await loadExeca();
  const result = await execa(shell, ['-c', cmd], { cwd, reject: false, all: true, stdin: 'ignore', cancelSignal: signal, stripFinalNewline: false });
  return { exitCode: result.exitCode ?? (result.signal ? 128 : 1), output: result.all ?? '' };
}

/** The default shell: bash if the machine has it (model-ensembler users write bash), else sh. */
export function defaultShell(): string {
  for (const candidate of ['/bin/bash', '/usr/bin/bash']) if (fs.existsSync(candidate)) return candidate;
  return '/bin/sh';
}


/**
 * Runs a user's command like runShell, but as a detached process whose pid,
 * exit code and output are files. Killed, mensemble leaves the command
 * running; the next apply (with `resume`) waits for it or takes the exit code
 * it left, rather than running it a second time. Only a command that was
 * itself killed (or a machine restart) is run again.
 */
export async function runShellDurably(
  { shell, cmd, cwd, signal }: ShellCommand,
  journal: { files: DetachedFiles; resume: boolean },
  progress?: (p: TaskProgress) => void,
): Promise<ShellResult> {
  const { files, resume } = journal;
  let pid: number | undefined;
  let processStart: string | undefined;
  if (resume) {
    const found = detachedState(files);
    if (found.state === 'exited') return { exitCode: found.code, output: readOutput(files) };
    if (found.state === 'running') {
      progress?.({ kind: 'command-still-running', command: cmd, pid: found.pid });
      pid = found.pid;
    } else if (found.state === 'lost') {
      progress?.({ kind: 'command-interrupted', command: cmd });
    }
  }
  if (pid === undefined) ({ pid, processStart } = await startDetached(files, [shell, '-c', cmd], { cwd, name: 'mensemble-task' }));
  const onAbort = () => signalDetached(pid!, processStart);
  signal?.addEventListener('abort', onAbort, { once: true });
  let end = detachedState(files, { pid, processStart });
  try {
    await waitFor(() => (end = detachedState(files, { pid, processStart })).state !== 'running', Number.POSITIVE_INFINITY);
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  return { exitCode: end.state === 'exited' ? end.code : 128 + 9, output: readOutput(files) };
}

function readOutput(files: DetachedFiles): string {
  try {
    return fs.readFileSync(files.out, 'utf8');
  } catch {
    return '';
  }
}

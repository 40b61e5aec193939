import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';

export interface ShellResult {
  exitCode: number;
  output: string;
}

/**
 * Runs a user's command through the user's shell, on purpose: task commands
 * are shell code the user wrote. Data never reaches this as part of a shell
 * string built by mensemble.
 */
export async function runShell(shell: string, cmd: string, cwd: string, signal?: AbortSignal): Promise<ShellResult> {
  const result = await execa(shell, ['-c', cmd], { cwd, reject: false, all: true, stdin: 'ignore', cancelSignal: signal });
  return { exitCode: result.exitCode ?? (result.signal ? 128 : 1), output: result.all ?? '' };
}

/** The default shell: bash if the machine has it (model-ensembler users write bash), else sh. */
export function defaultShell(): string {
  for (const candidate of ['/bin/bash', '/usr/bin/bash']) if (fs.existsSync(candidate)) return candidate;
  return '/bin/sh';
}


import fs from 'node:fs';
import path from 'node:path';
import type { SubmitRequest } from '../types.js';
import { commentFor } from './identity.js';

/**
 * The sbatch argument list for one attempt: mensemble's own flags, then the
 * batch's `slurm:` options as flags (`partition: debug` -> `--partition=debug`,
 * a one-letter key -> `-p debug`, `true` -> a bare flag, `false` -> left out),
 * then the job file. The job file's own `#SBATCH` lines are left alone; SLURM
 * lets command-line flags override them, so mensemble only adds what it must.
 */
export function sbatchArgs(request: SubmitRequest): string[] {
  const args = ['--parsable', `--comment=${commentFor(request)}`];
  const options = request.options;
  // A requeued job would run a second time under the same record; model-ensembler passed it too.
  if (options.requeue === undefined) args.push('--no-requeue');
  // Name the job after its run unless the user names it (in slurm: or in the job file).
  const named = options['job-name'] !== undefined || options.J !== undefined || jobFileSetsName(path.join(request.runDir, request.jobFile));
  if (!named) args.push(`--job-name=${request.runId}`);
  for (const [key, value] of Object.entries(options)) {
    if (key === 'comment' || value === false) continue;
    if (key.length === 1) args.push(`-${key}`, ...(value === true ? [] : [String(value)]));
    else args.push(value === true ? `--${key}` : `--${key}=${String(value)}`);
  }
  args.push(request.jobFile);
  return args;
}

function jobFileSetsName(file: string): boolean {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  // sbatch stops reading #SBATCH lines at the first command; a name anywhere in that header counts.
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || (trimmed.startsWith('#') && !trimmed.startsWith('#SBATCH'))) continue;
    if (!trimmed.startsWith('#SBATCH')) break;
    if (/^#SBATCH\s+(--job-name[=\s]|-J)/.test(trimmed)) return true;
  }
  return false;
}

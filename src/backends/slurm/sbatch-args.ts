import path from 'node:path';
import type { SubmitRequest } from '../types.js';
import { commentFor } from './identity.js';
import { sbatchHeader } from './job-file-header.js';

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
  const header = sbatchHeader(path.join(request.runDir, request.jobFile));
  const named = options['job-name'] !== undefined || options.J !== undefined || header.has('job-name') || header.has('J');
  if (!named) args.push(`--job-name=${request.runId}`);
  for (const [key, value] of Object.entries(options)) {
    if (key === 'comment' || value === false) continue;
    if (key.length === 1) args.push(`-${key}`, ...(value === true ? [] : [String(value)]));
    else args.push(value === true ? `--${key}` : `--${key}=${String(value)}`);
  }
  args.push(request.jobFile);
  return args;
}

import path from 'node:path';
import type { SubmitRequest } from '../types.js';
import type { PreparedArray } from './array.js';
import { commentFor, withOwnComment } from './identity.js';
import { sbatchHeader } from './job-file-header.js';
import { SlurmCommandError } from './run-command.js';

/**
 * The sbatch argument list for one attempt: mensemble's own flags, then the
 * batch's `slurm:` options as flags (`partition: debug` -> `--partition=debug`,
 * a one-letter key -> `-p debug`, `true` -> a bare flag, `false` -> left out),
 * then `script`: the job's wrapper (job-wrapper.ts, which carries the job
 * file's `#SBATCH` lines) and its arguments. The `#SBATCH` lines are left as
 * they are; SLURM lets command-line flags override them, so mensemble only
 * adds what it must.
 */
export function sbatchArgs(request: SubmitRequest, script: readonly string[]): string[] {
  const args = ['--parsable', `--comment=${commentFor(request)}`];
  const options = request.options;
  // A requeued job would run a second time under the same record; model-ensembler passed it too.
  if (options.requeue === undefined) args.push('--no-requeue');
  // Name the job after its run unless the user names it (in slurm: or in the job file).
  const header = sbatchHeader(path.join(request.runDir, request.jobFile));
  const named = options['job-name'] !== undefined || options.J !== undefined || header.has('job-name') || header.has('J');
  if (!named) args.push(`--job-name=${request.runId}`);
  args.push(...optionFlags(options, new Set(['comment'])), ...script);
  return args;
}

/**
 * The sbatch arguments for a job array of `prepared.size` tasks running the
 * wrapper: `--array=0-N%throttle`; the wrapper's own output (only its
 * complaints, the jobs' output goes to the run directories) appended to one
 * log per array; optionally after an earlier array of the same batch, so
 * that arrays split at MaxArraySize never run more than `throttle` tasks together.
 */
export function arraySbatchArgs(first: SubmitRequest, prepared: PreparedArray, identity: string, jobName: string, throttle: number, after?: string): string[] {
  const args = ['--parsable', `--comment=${withOwnComment(identity, first.options)}`];
  if (first.options.requeue === undefined) args.push('--no-requeue');
  args.push(`--job-name=${jobName}`, `--array=0-${prepared.size - 1}%${Math.max(1, throttle)}`, `--output=${path.join(prepared.dir, 'slurm-%A.log')}`, '--open-mode=append');
  if (after) args.push(`--dependency=afterany:${after}`);
  // Per-run options are applied by each task (output, error) or shared (job name) above.
  args.push(...optionFlags(first.options, new Set(['comment', 'job-name', 'J', 'output', 'o', 'error', 'e'])));
  args.push(prepared.script, prepared.list);
  return args;
}

function optionFlags(options: SubmitRequest['options'], skip: ReadonlySet<string>): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (skip.has(key) || value === false) continue;
    if (key.length === 1) args.push(`-${key}`, ...(value === true ? [] : [String(value)]));
    else args.push(value === true ? `--${key}` : `--${key}=${String(value)}`);
  }
  return args;
}

/** The job id `sbatch --parsable` printed (`<id>` or `<id>;<cluster>`), checked against `pattern`. */
export function printedJobId(printed: string, pattern: RegExp): string {
  const id = printed.trim().split(/\s+/).pop()?.split(';')[0] ?? '';
  if (!pattern.test(id)) throw new SlurmCommandError(`sbatch printed no job id (it printed ${JSON.stringify(printed.trim().slice(0, 200))})`, false);
  return id;
}

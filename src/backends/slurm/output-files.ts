import os from 'node:os';
import path from 'node:path';
import { fastGlob } from '../../util/lazy-deps.js';
import { splitArrayId } from './array.js';
import { jobOption, sbatchHeader } from './job-file-header.js';

/**
 * Where SLURM wrote a job's output: `--output`/`--error` from the batch's
 * `slurm:` options (they win), else from the job file's `#SBATCH` lines,
 * else `slurm-%j.out` in the working directory (`slurm-%A_%a.out` for an array task). Patterns are expanded as
 * sbatch does (%j %A job id, %x job name, %u user, %% a percent sign); a
 * pattern with other fields (%N node, %a task...) is matched as a glob.
 */
export function slurmOutputFiles(runDir: string, jobFile: string, options: Record<string, unknown>, jobId: string): string[] {
  const header = sbatchHeader(path.join(runDir, jobFile));
  const pick = (long: string, short: string) => jobOption(options, header, long, short);
  const jobName = (typeof options['job-name'] === 'string' ? options['job-name'] : undefined) ?? header.get('job-name') ?? header.get('J') ?? path.basename(runDir);
  const patterns = [pick('output', 'o') ?? (splitArrayId(jobId) ? 'slurm-%A_%a.out' : 'slurm-%j.out'), pick('error', 'e')].filter((p): p is string => p !== undefined);
  const files: string[] = [];
  for (const pattern of patterns) {
    const expanded = expand(pattern, jobId, jobName);
    const absolute = path.resolve(runDir, expanded);
    if (!expanded.includes('*')) files.push(absolute);
    else {
      const fg = fastGlob();
      files.push(...fg.sync(fg.convertPathToPattern(path.dirname(absolute)) + '/' + path.basename(absolute), { onlyFiles: true }));
    }
  }
  return [...new Set(files)];
}

function expand(pattern: string, jobId: string, jobName: string): string {
  // An array task (`12_7`): %A is the array's id and %a the task; its own job number (%j) is not recorded.
  const task = splitArrayId(jobId);
  return pattern.replace(/%(\d*)([%AjxuaNnstJ])/g, (_m, _width: string, field: string) => {
    switch (field) {
      case '%':
        return '%';
      case 'A':
        return task ? task.arrayJobId : jobId;
      case 'a':
        return task ? String(task.task) : '*';
      case 'j':
        return task ? '*' : jobId;
      case 'x':
        return jobName;
      case 'u':
        return os.userInfo().username;
      default:
        return '*';
    }
  });
}

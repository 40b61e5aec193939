import { parseExitCode, parseSlurmTime } from './states.js';
import { withMissing, type AttemptUsage, type UsageFigure } from '../../state/usage.js';
import { parseCpuTime, parseMemory } from '../../util/units.js';
import { runSlurm } from './run-command.js';
import { expandArrayId } from './array.js';

/** One job as the scheduler describes it, whichever command told us. */
export interface SlurmJobInfo {
  jobId: string;
  state: string;
  comment?: string;
  workDir?: string;
  reason?: string;
  exitCode?: number | null;
  signal?: number;
  submitTime?: string;
  startTime?: string;
  endTime?: string;
  /** scontrol's whole line, for identity checks that must not depend on how values were split. */
  raw?: string;
  /** What the job used, as accounting tells it (sacct only). */
  usage?: AttemptUsage;
}

// Fields are separated by ASCII unit separators: paths and comments may hold spaces, commas or `|`.
const SEP = '\x1f';

/**
 * The user's jobs in the queue (pending, running, completing), in one call
 * whatever the ensemble's size: `squeue --me` costs the controller the same
 * for one job as for thousands, unlike one call per job. `--array` lists
 * every task of a job array on its own line (`12_7`), pending ones too.
 */
export async function queuedJobs(): Promise<Map<string, SlurmJobInfo>> {
  const format = ['%i', '%T', '%r', '%V', '%S', '%Z', '%k'].join(SEP);
  const out = await runSlurm('squeue', ['--me', '--all', '--array', '--noheader', `--format=${format}`]);
  const jobs = new Map<string, SlurmJobInfo>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [jobId, state, reason, submit, start, workDir, ...comment] = line.split(SEP);
    if (!jobId || !state) continue;
    for (const id of expandArrayId(jobId)) {
      jobs.set(id, {
        jobId: id,
        state,
        reason: reason && reason !== 'None' ? reason : undefined,
        submitTime: parseSlurmTime(submit),
        startTime: parseSlurmTime(start),
        workDir,
        comment: nullable(comment.join(SEP)),
      });
    }
  }
  return jobs;
}

/** Accounting answered that it is not configured on this cluster. */
export class AccountingDisabled extends Error {}

/**
 * Finished jobs from accounting: `sacct -j` with the ids batched (1,000 per
 * call), or every job of the user's since `since`. sacct may list several
 * records for one id (ids are reused); the caller picks by working
 * directory and submit time.
 */
export async function accountedJobs(query: { jobIds: readonly string[] } | { since: string }): Promise<SlurmJobInfo[]> {
  // Without -X: the steps' lines carry MaxRSS, folded into their job's (parseAccounted).
  const base = ['--noheader', '--parsable2', `--delimiter=${SEP}`, `--format=${ACCOUNTED_FIELDS}`];
  const calls: string[][] = [];
  if ('since' in query) calls.push([...base, `--starttime=${query.since}`]);
  else for (let i = 0; i < query.jobIds.length; i += 1000) calls.push([...base, `--jobs=${query.jobIds.slice(i, i + 1000).join(',')}`]);
  const rows: SlurmJobInfo[] = [];
  for (const args of calls) {
    let disabled = false;
    const out = await runSlurm('sacct', args, { accept: (stderr) => (disabled = /accounting storage is disabled/i.test(stderr)) });
    if (disabled || /accounting storage is disabled/i.test(out)) throw new AccountingDisabled('Slurm accounting storage is disabled');
    rows.push(...parseAccounted(out));
  }
  return rows;
}

// JobID names array tasks `12_7` (JobIDRaw would give each task's own number); plain jobs are the same in both.
const ACCOUNTED_FIELDS = 'JobID,State,ExitCode,Submit,Start,End,WorkDir,Reason,ElapsedRaw,AllocCPUS,AllocTRES,CPUTimeRAW,TotalCPU,ReqMem,MaxRSS,NodeList,TimelimitRaw';

/**
 * sacct's lines (ACCOUNTED_FIELDS, unit-separated): one row per job or
 * array task, with the figures of its steps (`12.batch`, `12_7.0`) folded
 * in: MaxRSS is only on the steps' lines, and the job's peak is the
 * largest of theirs.
 */
export function parseAccounted(out: string): SlurmJobInfo[] {
  const rows: SlurmJobInfo[] = [];
  const byId = new Map<string, SlurmJobInfo[]>();
  const unlimited = new Set<SlurmJobInfo>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [jobId, state, exit, submit, start, end, workDir, reason, elapsed, cpus, tres, coreTime, totalCpu, reqMem, maxRss, nodes, limit] = line.split(SEP);
    if (!jobId || !state) continue;
    const dot = jobId.indexOf('.');
    if (dot >= 0) {
      // A reused id names several jobs: a step follows its own job's line, the last one listed before it.
      const row = byId.get(jobId.slice(0, dot))?.at(-1);
      const peak = maxRss ? parseMemory(maxRss) : undefined;
      if (row?.usage && peak !== undefined) row.usage.peakMemoryBytes = Math.max(row.usage.peakMemoryBytes ?? 0, peak);
      continue;
    }
    const code = parseExitCode(exit);
    const usage = elapsed === undefined ? undefined : accountedUsage({ elapsed, cpus, tres, coreTime, totalCpu, reqMem, nodes, limit });
    const noLimit = limit !== undefined && /^[A-Za-z_]+$/.test(limit);
    for (const id of expandArrayId(jobId)) {
      const row: SlurmJobInfo = {
        jobId: id,
        state,
        exitCode: code.exitCode,
        signal: code.signal,
        submitTime: parseSlurmTime(submit),
        startTime: parseSlurmTime(start),
        endTime: parseSlurmTime(end),
        workDir: workDir || undefined,
        reason: reason && reason !== 'None' ? reason : undefined,
        usage: usage && { ...usage },
      };
      rows.push(row);
      // UNLIMITED is a limit known to be none, not a figure missing.
      if (noLimit) unlimited.add(row);
      byId.set(id, [...(byId.get(id) ?? []), row]);
    }
  }
  for (const row of rows) if (row.usage) row.usage = withMissing(row.usage, row.usage.timeLimitSeconds === undefined && unlimited.has(row) ? WITHOUT_LIMIT : undefined);
  return rows;
}

const WITHOUT_LIMIT: UsageFigure[] = ['elapsedSeconds', 'cpus', 'cpuSeconds', 'coreSeconds', 'requestedMemoryBytes', 'peakMemoryBytes'];

function accountedUsage(f: Record<'elapsed' | 'cpus' | 'tres' | 'coreTime' | 'totalCpu' | 'reqMem' | 'nodes' | 'limit', string | undefined>): AttemptUsage {
  const whole = (text: string | undefined) => (text && /^\d+$/.test(text) ? Number(text) : undefined);
  const gpus = /(?:^|,)gres\/gpu=(\d+)/.exec(f.tres ?? '');
  const limitMinutes = whole(f.limit);
  const nodes = f.nodes && f.nodes !== 'None assigned' ? f.nodes : undefined;
  const usage: AttemptUsage = {
    source: 'accounting',
    elapsedSeconds: whole(f.elapsed),
    cpus: whole(f.cpus),
    cpuSeconds: f.totalCpu ? parseCpuTime(f.totalCpu) : undefined,
    coreSeconds: whole(f.coreTime),
    requestedMemoryBytes: f.reqMem ? parseMemory(f.reqMem) : undefined,
    timeLimitSeconds: limitMinutes === undefined ? undefined : limitMinutes * 60,
  };
  if (gpus) usage.gpus = Number(gpus[1]);
  if (nodes) usage.nodes = nodes;
  return Object.fromEntries(Object.entries(usage).filter(([, v]) => v !== undefined)) as unknown as AttemptUsage;
}

/**
 * Every job the controller still holds in memory (queued, running and, for
 * `MinJobAge` seconds, finished), with comments: one `scontrol show job`
 * call. This is the source of final states on clusters without accounting.
 */
export async function controllerJobs(): Promise<Map<string, SlurmJobInfo>> {
  const out = await runSlurm('scontrol', ['--oneliner', 'show', 'job'], { accept: (stderr) => /no jobs in the system/i.test(stderr) });
  const jobs = new Map<string, SlurmJobInfo>();
  for (const line of out.split('\n')) {
    const fields = parseOneLiner(line);
    const state = fields.get('JobState');
    const arrayJobId = fields.get('ArrayJobId');
    const taskIds = fields.get('ArrayTaskId');
    // An array task is known by `<array job>_<task>`, as squeue and sacct name it; pending tasks share one line.
    const ids = arrayJobId && taskIds ? expandArrayId(`${arrayJobId}_[${taskIds}]`) : [fields.get('JobId')];
    if (!state) continue;
    const code = parseExitCode(fields.get('ExitCode'));
    for (const jobId of ids) if (jobId) jobs.set(jobId, {
      jobId,
      state,
      comment: nullable(fields.get('Comment')),
      workDir: fields.get('WorkDir'),
      reason: nullable(fields.get('Reason')) === 'None' ? undefined : nullable(fields.get('Reason')),
      exitCode: code.exitCode,
      signal: code.signal,
      submitTime: parseSlurmTime(fields.get('SubmitTime')),
      startTime: parseSlurmTime(fields.get('StartTime')),
      endTime: parseSlurmTime(fields.get('EndTime')),
      raw: line,
    });
  }
  return jobs;
}

/**
 * `scontrol --oneliner` prints `Key=value` pairs separated by spaces, and
 * values (paths, comments) may contain spaces themselves. A field starts at
 * a space followed by a known-looking key (`Word=` or `Word/Word=` or
 * `Word:Word=`); values keep everything up to the next such key.
 */
export function parseOneLiner(line: string): Map<string, string> {
  const fields = new Map<string, string>();
  const keyAt = /(?:^|\s)([A-Z][A-Za-z/:_]*)=/g;
  const starts: Array<{ key: string; at: number; valueAt: number }> = [];
  for (let m = keyAt.exec(line); m; m = keyAt.exec(line)) {
    starts.push({ key: m[1]!, at: m.index, valueAt: m.index + m[0].length });
  }
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? starts[i + 1]!.at : line.length;
    fields.set(starts[i]!.key, line.slice(starts[i]!.valueAt, end).trim());
  }
  return fields;
}

function nullable(value: string | undefined): string | undefined {
  return value === undefined || value === '' || value === '(null)' ? undefined : value;
}

/** The cluster's MaxArraySize (task indices run from 0 to MaxArraySize - 1; 0: arrays are disabled); SLURM's default when it cannot be read. */
export async function maxArraySize(): Promise<number> {
  const out = await runSlurm('scontrol', ['show', 'config']);
  const m = /^\s*MaxArraySize\s*=\s*(\d+)/m.exec(out);
  return m ? Number(m[1]) : 1001;
}

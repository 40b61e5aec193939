import path from 'node:path';
import { preciseHours } from './usage-words.js';
import { escalationText } from './retry-words.js';
import type { ApplyEvent, ApplyWarning } from '../apply/events.js';
import type { TaskProgress } from '../tasks/types.js';
import { describeOutcome } from './outcome.js';

/** Who an event is about, as the user names runs: `batch/run`, the batch, or `ensemble`. */
export function eventSubject(event: ApplyEvent): string {
  if (event.runId) return event.batch ? `${event.batch}/${event.runId}` : event.runId;
  return event.batch ?? 'ensemble';
}

/** The event in words, without its subject (lineReporter and LiveProgress put that in front). */
export function describeEvent(event: ApplyEvent): string {
  switch (event.kind) {
    case 'batch-started':
      return `batch ${event.batch}: ${event.runs} run${event.runs === 1 ? '' : 's'} to work on (maxruns ${event.maxruns}, maxjobs ${event.maxjobs}${event.arrays ? ', as job arrays' : ''})`;
    case 'moved':
      return `moved from ${event.from}: record carried over${event.rerendered.length > 0 ? `, re-rendered ${event.rerendered.join(', ')}` : ''}`;
    case 'rendered':
      return `rendered ${event.files} files (${event.action})`;
    case 'task-started':
      return `${event.phase} ${event.name} ${event.resumed ? 'resumed' : 'started'}`;
    case 'task-progress':
      return describeProgress(event.progress);
    case 'task-finished':
      return `${event.phase} ${event.name} finished`;
    case 'job-cancelled':
      return `cancelled job ${event.jobId ?? '(not yet submitted)'} to replace it`;
    case 'submitted':
      return `submitted job ${event.jobId} (attempt ${event.attempt})`;
    case 'adopted':
      return `adopted job ${event.jobId} submitted by an earlier mensemble (attempt ${event.attempt})`;
    case 'intent-dropped':
      return `attempt ${event.attempt} was never submitted; submitting it now`;
    case 'job-state':
      return `job ${event.jobId} ${event.final && event.state !== 'completed' ? describeOutcome(event) : event.state}`;
    case 'retrying':
      return `retrying: attempt ${event.attempt} of ${event.maxAttempts}${event.free ? ' (free: the cluster failed the job, no attempt spent)' : ''}${escalationText(event.escalations)}`;
    case 'finished':
      return event.state === 'completed' ? 'completed' : `${describeOutcome(event)} after ${event.attempts} attempt${event.attempts === 1 ? '' : 's'}`;
    case 'run-failed':
      return `failed: ${event.error}`;
    case 'removed':
      return `removed ${path.basename(event.dir)}`;
    case 'warning':
      return describeWarning(event.warning);
  }
}

export function describeWarning(w: ApplyWarning): string {
  switch (w.kind) {
    case 'scheduler-unreachable':
      return `the ${w.backend} scheduler is unreachable (${w.error}); this run is left for the next apply`;
    case 'scheduler-retrying':
      return w.jobLimit
        ? `${w.what}: a per-user job limit is reached (${w.error}); waiting ${w.waitSeconds} s for jobs to leave the queue`
        : `${w.what}: ${w.error}; trying again in ${w.waitSeconds} s`;
    case 'query-failing':
      return `could not query the ${w.backend} backend (${w.error}); jobs are unaffected, trying again with backoff`;
    case 'query-recovered':
      return `the ${w.backend} backend answers again after ${w.afterSeconds} s`;
    case 'submit-failed':
      return `could not submit attempt ${w.attempt}: ${w.error}`;
    case 'run-dir-gone':
      return `${w.error}; nothing more is done for it now, and the next apply renders it again`;
    case 'arrays-disabled':
      return `job arrays are disabled on this ${w.backend} cluster: batch ${w.batch} is submitted one job per run, at most maxjobs (${w.maxjobs}) at once`;
    case 'budget-spent':
      return `the runs of this apply have used ${preciseHours(w.spentHours)} core-hours of the ${preciseHours(w.budgetHours)} allowed (--max-core-hours): no more jobs are submitted; those running finish, the rest stay for a later apply`;
    case 'not-removing':
      return `not removing ${w.dir}: its job ${w.jobId ?? ''} is still ${w.state}; cancel it first`;
    case 'stale-lock-taken':
      return `took over the ensemble's lock from pid ${w.pid} on ${w.host} (\`${w.command}\`): its heartbeat stopped ${w.silentSeconds} s ago, so that apply is gone`;
    case 'inside-allocation':
      return `mensemble runs inside ${w.backend} job ${w.jobId} (an allocation); the jobs it submits are separate jobs and do not inherit that allocation's SLURM_* settings`;
  }
}

export function describeProgress(p: TaskProgress): string {
  switch (p.kind) {
    case 'check-waiting':
      return `waiting for check \`${p.command}\` (exit ${p.exitCode}); trying again every ${p.intervalSeconds} s`;
    case 'jobs-check-unreachable':
      return `jobs check: ${p.error}; trying again`;
    case 'jobs-waiting':
      return `waiting: ${p.active} active jobs match \`${p.match}\` (limit ${p.limit})`;
    case 'script-submitted':
      return `submit: ${path.basename(p.script)} is job ${p.jobId}`;
    case 'quota-missing':
      return '`quota` is not installed here; the quota check passes';
    case 'quota-waiting':
      return `waiting: ${p.freeKb} kB free in quota, ${p.wantedKb} kB wanted`;
    case 'command-still-running':
      return `\`${p.command}\` is still running from an earlier apply (pid ${p.pid}); waiting for it`;
    case 'command-interrupted':
      return `\`${p.command}\` was interrupted in an earlier apply (killed, or the machine restarted); running it again`;
  }
}

/** How an event reads in a log: a warning, a failure, a success or neither. */
export function eventTone(event: ApplyEvent): 'warning' | 'failure' | 'success' | 'plain' {
  if (event.kind === 'warning') return 'warning';
  if (event.kind === 'run-failed') return 'failure';
  if (event.kind === 'finished') return event.state === 'completed' ? 'success' : 'failure';
  return 'plain';
}

import type { Plan } from '../plan/types.js';
import { latestAttempt } from '../state/run-state.js';

/** What the report shows, as plain data (embedded in the page as JSON). */
export interface ReportData {
  version: 1;
  ensemble: string;
  generatedAt: string;
  runs: ReportRun[];
}

export interface ReportRun {
  id: string;
  batch: string;
  /** Latest state, or `new` / `rendered` before any job. */
  state: string;
  attempts: ReportAttempt[];
}

export interface ReportAttempt {
  attempt: number;
  jobId: string | null;
  state: string;
  exitCode: number | null;
  reason: string | null;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
}

export function reportData(plan: Plan, ensemble: string, now = new Date()): ReportData {
  const runs: ReportRun[] = plan.entries
    .filter((e) => e.desired)
    .map((e) => {
      const state = e.observed?.state;
      const last = state && latestAttempt(state);
      return {
        id: e.id,
        batch: e.batch,
        state: !state ? 'new' : last ? last.state : 'rendered',
        attempts: (state?.attempts ?? []).map((a) => ({
          attempt: a.attempt,
          jobId: a.jobId ?? null,
          state: a.state,
          exitCode: a.exitCode ?? null,
          reason: a.reason ?? null,
          submittedAt: a.submittedAt,
          startedAt: a.startedAt ?? null,
          endedAt: a.endedAt ?? null,
        })),
      };
    });
  return { version: 1, ensemble, generatedAt: now.toISOString(), runs };
}

/** Seconds spent queued and running, over all attempts (open intervals end `now`). */
export function timeSpent(run: ReportRun, now: number): { queued: number; running: number } {
  let queued = 0;
  let running = 0;
  for (const a of run.attempts) {
    const submitted = Date.parse(a.submittedAt);
    const started = a.startedAt ? Date.parse(a.startedAt) : undefined;
    const ended = a.endedAt ? Date.parse(a.endedAt) : now;
    queued += Math.max(0, ((started ?? ended) - submitted) / 1000);
    if (started !== undefined) running += Math.max(0, (ended - started) / 1000);
  }
  return { queued, running };
}

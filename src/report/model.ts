import type { Plan, PlanEntry } from '../plan/types.js';
import { latestAttempt } from '../state/run-state.js';
import { totalUsage, type AttemptUsage, type UsageTotals } from '../state/usage.js';

/** What the report shows, as plain data (embedded in the page as JSON). */
export interface ReportData {
  version: 1;
  ensemble: string;
  generatedAt: string;
  batches: ReportBatch[];
  runs: ReportRun[];
}

export interface ReportBatch {
  name: string;
  /** The variables whose values differ between the batch's runs, in the order the runs give them. */
  params: string[];
  usage: UsageTotals;
  /**
   * With exactly two such parameters (a two-key matrix, say): the values of
   * each, in order of first appearance, for a grid of runs.
   */
  grid?: { x: { key: string; values: string[] }; y: { key: string; values: string[] } };
}

export interface ReportRun {
  id: string;
  batch: string;
  /** Latest state, or `new` / `rendered` before any job. */
  state: string;
  /** Its values of the batch's parameters (ReportBatch.params), as text. */
  params: Record<string, string>;
  /** All its attempts together. */
  usage: UsageTotals;
  attempts: ReportAttempt[];
  /** For a failed run: why, and the last lines of its log. */
  failure?: ReportFailure;
}

export interface ReportFailure {
  /** The job's end (`failed`, `timeout`...) or the failed task (`pre_run[0] execute`). */
  cause: string;
  exitCode: number | null;
  reason: string | null;
  /** The log the lines are from, and its last lines (at most LOG_LINES). */
  log: string | null;
  lastLines: string[];
}

/** Where a run's latest output is, and its last lines: given by the command (it knows the backends). */
export type LogTailer = (entry: PlanEntry) => { file: string; lines: string[] } | undefined;

export interface ReportAttempt {
  attempt: number;
  jobId: string | null;
  state: string;
  exitCode: number | null;
  reason: string | null;
  submittedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  usage: AttemptUsage | null;
}

/** Keys every run has that are not parameters: mensemble gives each run its own. */
const GENERATED = new Set(['id', 'dir', 'idx', 'batch_idx']);

/** A canonical JSON value as a person reads it: strings without their quotes. */
function valueText(canonical: string): string {
  try {
    const value: unknown = JSON.parse(canonical);
    return typeof value === 'string' ? value : canonical;
  } catch {
    return canonical;
  }
}

/** The variables whose values differ between these runs, in first-seen order. */
function parametersOf(entries: readonly PlanEntry[]): string[] {
  const seen = new Map<string, string | undefined>();
  const differ = new Set<string>();
  for (const e of entries) {
    const vars = e.desired!.varsCanonical;
    for (const key of Object.keys(vars)) {
      if (GENERATED.has(key)) continue;
      if (!seen.has(key)) seen.set(key, vars[key]);
      else if (seen.get(key) !== vars[key]) differ.add(key);
    }
    for (const key of seen.keys()) if (!(key in vars)) differ.add(key);
  }
  // The order the runs give them (a matrix's keys in its order), not the sorted order of varsCanonical.
  const order = Object.keys(entries[0]?.desired?.vars ?? {});
  return [...differ].sort((a, b) => (order.indexOf(a) + 1 || Infinity) - (order.indexOf(b) + 1 || Infinity) || a.localeCompare(b));
}

export function reportData(plan: Plan, ensemble: string, now = new Date(), tail?: LogTailer): ReportData {
  const wanted = plan.entries.filter((e) => e.desired);
  const params = new Map<string, string[]>();
  for (const name of new Set(wanted.map((e) => e.batch))) params.set(name, parametersOf(wanted.filter((e) => e.batch === name)));
  const runs: ReportRun[] = wanted
    .map((e) => {
      const state = e.observed?.state;
      const last = state && latestAttempt(state);
      const vars = e.desired!.varsCanonical;
      const task = e.reasons.find((r) => r.kind === 'task-failed');
      const runState = !state ? 'new' : task ? 'failed' : last ? last.state : 'rendered';
      const failed = task !== undefined || (last !== undefined && !['completed', 'queued', 'running', 'submitting'].includes(last.state));
      const log = failed ? tail?.(e) : undefined;
      return {
        id: e.id,
        batch: e.batch,
        state: runState,
        ...(failed
          ? {
              failure: {
                cause: task ? `${task.task} failed` : last!.state,
                exitCode: task ? (task.exitCode ?? null) : (last!.exitCode ?? null),
                reason: task ? null : (last!.reason ?? null),
                log: log?.file ?? null,
                lastLines: log?.lines ?? [],
              },
            }
          : {}),
        params: Object.fromEntries(params.get(e.batch)!.map((key) => [key, key in vars ? valueText(vars[key]!) : ''])),
        usage: totalUsage(state?.attempts.map((a) => a.usage) ?? []),
        attempts: (state?.attempts ?? []).map((a) => ({
          attempt: a.attempt,
          jobId: a.jobId ?? null,
          state: a.state,
          exitCode: a.exitCode ?? null,
          reason: a.reason ?? null,
          submittedAt: a.submittedAt,
          startedAt: a.startedAt ?? null,
          endedAt: a.endedAt ?? null,
          usage: a.usage ?? null,
        })),
      };
    });
  const batches: ReportBatch[] = [...params].map(([name, keys]) => {
    const mine = runs.filter((r) => r.batch === name);
    const batch: ReportBatch = { name, params: keys, usage: totalUsage(mine.flatMap((r) => r.attempts.map((a) => a.usage ?? undefined))) };
    if (keys.length === 2) {
      const values = (key: string) => [...new Set(mine.map((r) => r.params[key]!))];
      batch.grid = { x: { key: keys[0]!, values: values(keys[0]!) }, y: { key: keys[1]!, values: values(keys[1]!) } };
    }
    return batch;
  });
  return { version: 1, ensemble, generatedAt: now.toISOString(), batches, runs };
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

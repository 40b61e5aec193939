import { maxOf } from '../../util/numbers.js';
import { sumTotals, totalUsage, type AttemptUsage, type UsageTotals } from '../../state/usage.js';
import { hoursText, percentText, totalsText } from '../usage-words.js';
import type { Plan, PlanEntry } from '../../plan/types.js';
import { latestAttempt } from '../../state/run-state.js';
import type { Colors } from '../color.js';
import type { Output } from '../output.js';
import { displayPath } from '../../util/paths.js';
import { describeBlocked } from '../plan-reasons.js';
import { envelope } from '../json.js';
import type { LockHolder } from '../../state/lock.js';

/**
 * One run as `status` shows it. `state` is the latest job's state, or `new` /
 * `rendered` before any job, `damaged` when its state file cannot be read,
 * `blocked` when a file stands where its directory should be.
 */
export interface StatusRow {
  id: string;
  batch: string;
  state: string;
  jobId: string | null;
  attempt: number | null;
  exitCode: number | null;
  reason: string | null;
  /** What the next apply would do with this run (`none` when it is up to date). */
  action: PlanEntry['action'];
  submittedAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  /** What all of the run's attempts used together (state/usage.ts). */
  usage: UsageTotals;
  /** The last attempt's own figures, as recorded (null before it ended, or when nothing was measured). */
  lastUsage: AttemptUsage | null;
}

/** Where every run stands (`mensemble status`, the library's `status`). */
export interface EnsembleStatus {
  /** One row per run of the configuration: its state, job, attempts and what it used. */
  runs: StatusRow[];
  /** What could not be read or told (a damaged state file, an unreachable scheduler...). */
  warnings: string[];
  /** The apply holding the ensemble's lock now, if one does. */
  apply: LockHolder | null;
}

export function statusRows(plan: Plan): StatusRow[] {
  return plan.entries
    .filter((e) => e.desired !== undefined)
    .map((e) => {
      const state = e.observed?.state;
      const last = state && latestAttempt(state);
      // A failed pre_run or post_run task is the run's state until the next apply runs it again.
      const task = e.reasons.find((r) => r.kind === 'task-failed');
      return {
        id: e.id,
        batch: e.batch ?? '',
        state: e.observed?.blocked ? 'blocked' : e.observed?.corrupt ? 'damaged' : !state ? 'new' : task ? 'failed' : last ? last.state : 'rendered',
        jobId: last?.jobId ?? null,
        attempt: last?.attempt ?? null,
        exitCode: task ? (task.exitCode ?? null) : (last?.exitCode ?? null),
        reason: e.observed?.blocked ? describeBlocked(e.observed.blocked) : (e.observed?.corrupt ?? (task ? `${task.task} failed` : null) ?? last?.reason ?? null),
        action: e.action,
        submittedAt: last?.submittedAt ?? null,
        startedAt: last?.startedAt ?? null,
        endedAt: last?.endedAt ?? null,
        usage: totalUsage(state?.attempts.map((a) => a.usage) ?? []),
        lastUsage: last?.usage ?? null,
      };
    });
}

export function countByState(rows: readonly StatusRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of rows) counts[r.state] = (counts[r.state] ?? 0) + 1;
  return counts;
}

/** Per batch, then for the ensemble: what the runs' attempts used together. */
export function usageByBatch(rows: readonly StatusRow[]): { batches: Array<{ batch: string } & UsageTotals>; total: UsageTotals } {
  const batches = [...new Set(rows.map((r) => r.batch))].map((batch) => ({ batch, ...sumTotals(rows.filter((r) => r.batch === batch).map((r) => r.usage)) }));
  return { batches, total: sumTotals(rows.map((r) => r.usage)) };
}

/** The `--json` document of `status` (docs/json-output.md). */
export function statusJson(rows: readonly StatusRow[], warnings: readonly string[], apply: object | null): object {
  const usage = usageByBatch(rows);
  return envelope('status', {
    summary: countByState(rows),
    warnings,
    apply,
    usage: { ...totalsJson(usage.total), batches: usage.batches.map(({ batch, ...t }) => ({ batch, ...totalsJson(t) })) },
    runs: rows.map((r) => ({ ...r, usage: totalsJson(r.usage) })),
  });
}

/** Totals with every field present: an efficiency nobody could tell is null, not left out. */
function totalsJson(t: UsageTotals): object {
  return { attempts: t.attempts, measured: t.measured, coreHours: t.coreHours, cpuHours: t.cpuHours, cpuEfficiency: t.cpuEfficiency ?? null, memoryEfficiency: t.memoryEfficiency ?? null };
}

/** A table per batch: counts by state, then one line per run that has not completed. */
export function renderStatus(rows: readonly StatusRow[], warnings: readonly string[], c: Colors, now = Date.now(), all = false): string {
  const lines: string[] = [];
  for (const w of warnings) lines.push(`${c.yellow('Warning:')} ${w}`, '');
  const usage = usageByBatch(rows);
  for (const { batch, ...used } of usage.batches) {
    const mine = rows.filter((r) => r.batch === batch);
    const counts = Object.entries(countByState(mine))
      .map(([state, n]) => `${paint(state, c)(state)} ${n}`)
      .join(', ');
    lines.push(`${c.bold(batch)}  ${mine.length} run${mine.length === 1 ? '' : 's'}: ${counts}`);
    if (used.attempts > 0) lines.push(`  ${c.dim(`used: ${totalsText(used)}`)}`);
    const open = all ? mine : mine.filter((r) => r.state !== 'completed');
    if (open.length > 0) {
      const table = [['RUN', 'JOB', 'STATE', 'ATTEMPT', 'ELAPSED', 'CORE-H', 'CPU', 'MEM', 'NOTE'], ...open.map((r) => [r.id, r.jobId ?? '-', r.state, r.attempt === null ? '-' : String(r.attempt), elapsed(r, now), r.usage.measured ? hoursText(r.usage.coreHours) : '-', percentText(r.usage.cpuEfficiency), percentText(r.usage.memoryEfficiency), note(r)])];
      const widths = table[0]!.map((_, i) => maxOf(table.map((row) => row[i]!.length)));
      table.forEach((row, i) => {
        const text = row.map((cell, j) => (j === row.length - 1 ? cell : cell.padEnd(widths[j]!))).join('  ').trimEnd();
        lines.push(`  ${i === 0 ? c.dim(text) : text}`);
      });
    }
    lines.push('');
  }
  const total = countByState(rows);
  lines.push(`${rows.length} run${rows.length === 1 ? '' : 's'}: ${Object.entries(total).map(([s, n]) => `${n} ${s}`).join(', ') || 'none'}.`);
  if (usage.total.attempts > 0) lines.push(`Used in all: ${totalsText(usage.total)}.`);
  return lines.join('\n');
}

function note(r: StatusRow): string {
  const parts: string[] = [];
  if (r.exitCode !== null && r.state !== 'completed') parts.push(`exit ${r.exitCode}`);
  if (r.reason) parts.push(r.reason);
  if (r.action !== 'none' && r.action !== 'inflight') parts.push(`next apply: ${r.action}`);
  return parts.join('; ');
}

function elapsed(r: StatusRow, now: number): string {
  const from = r.state === 'queued' || r.state === 'submitting' ? r.submittedAt : (r.startedAt ?? r.submittedAt);
  if (!from) return '-';
  const to = r.endedAt && !['queued', 'running', 'submitting'].includes(r.state) ? Date.parse(r.endedAt) : now;
  const s = Math.max(0, Math.round((to - Date.parse(from)) / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

function paint(state: string, c: Colors): (s: string) => string {
  if (state === 'completed') return c.green;
  if (state === 'queued' || state === 'running' || state === 'submitting') return c.cyan;
  if (state === 'new' || state === 'rendered') return c.dim;
  return c.red;
}

/** What `mensemble status` shows; `all`: every run in the tables, completed ones too. */
export interface StatusView {
  status(status: EnsembleStatus, all?: boolean): void;
}

export function statusView(output: Output): StatusView {
  if (output.json) return { status: ({ runs, warnings, apply }) => output.out(`${JSON.stringify(statusJson(runs, warnings, apply), null, 2)}\n`) };
  return {
    status({ runs, warnings, apply }, all = false) {
      if (apply) output.out(`An apply is running: pid ${apply.pid} on ${apply.host} since ${apply.startedAt} (\`${apply.command}\`)${apply.log ? `, log ${displayPath(apply.log)}` : ''}.\n\n`);
      output.out(`${renderStatus(runs, warnings, output.colors, Date.now(), all)}\n`);
    },
  };
}

import { attemptsFor, isActive, latestAttempt, rekeyRunState, type AttemptRecord, type RunState } from '../state/run-state.js';
import type { DesiredRun, ObservedRun, Outcome, Plan, PlanAction, PlanEntry, PlanNote, PlanReason, PlanSummary, UsedFigures } from './types.js';
import { decideRetry, type RetryDecision } from './retry-policy.js';
import { schedulerOptionsFor } from '../config/types.js';

export interface DiffOptions {
  /** Rewrite (and cancel) runs whose job is queued or running when their inputs changed. */
  replaceRunning?: boolean;
  /** Plan runs whose folder moved as changed (replace), instead of carrying their record over. */
  replaceMoved?: boolean;
  /** Plan the removal of runs the configuration no longer has (`--prune`); without it they are kept, with a note. */
  prune?: boolean;
  /** Runs to run again although nothing changed (`--replace <batch>/<run>`), as `batch/run`. */
  replace?: ReadonlySet<string>;
}

/**
 * desired state + observed state -> plan. Pure: reads nothing, writes
 * nothing, so the same inputs always give the same plan.
 */
export function diff(desired: readonly DesiredRun[], observed: ReadonlyMap<string, ObservedRun>, orphans: readonly ObservedRun[], options: DiffOptions = {}): Plan {
  const entries: PlanEntry[] = desired.map((run) => decide(run, observed.get(run.dir) ?? { dir: run.dir, exists: false, drift: [] }, options));
  for (const orphan of orphans) {
    entries.push({
      id: orphan.state?.id ?? orphan.dir,
      batch: orphan.state?.batch ?? '',
      dir: orphan.dir,
      // Without --prune, apply leaves it: not pending work, a note (issue 33, item 6).
      action: options.prune ? 'remove' : 'none',
      reasons: [{ kind: 'orphan' }],
      notes: [...(orphan.state && latestAttempt(orphan.state) && isActive(latestAttempt(orphan.state)!.state) ? [{ kind: 'orphan-job-active' } as const] : []), ...(options.prune ? [] : [{ kind: 'kept' } as const])],
      observed: orphan,
    });
  }
  return { entries, tasks: [], summary: summarise(entries), warnings: [], batches: [] };
}

function decide(run: DesiredRun, seen: ObservedRun, options: DiffOptions): PlanEntry {
  const moved = seen.state && !seen.corrupt && !options.replaceMoved ? movedFrom(run, seen.state) : undefined;
  if (!moved) return decideInPlace(run, seen, options);
  const last = latestAttempt(seen.state!);
  if (last?.state === 'submitting') {
    // Its job, if it exists, was submitted from the old place under the old identity: adopting it from here could submit it twice.
    return { id: run.id, batch: run.batch.name, dir: run.dir, action: 'none', reasons: [], desired: run, observed: seen, notes: [{ kind: 'moved-while-submitting', from: moved.from, attempt: last.attempt }] };
  }
  // Decide as if the record had been written here, then say that it moved.
  const entry = decideInPlace(run, { ...seen, state: rekeyRunState(seen.state!, moved.previousHash, run.inputHash) }, options);
  const where: PlanReason = { kind: 'moved', from: moved.from, rerender: moved.rerender };
  if (entry.action === 'none') return { ...entry, action: 'moved', reasons: [where, { kind: 'moved-not-rerun' }], observed: seen, moved };
  return { ...entry, reasons: [where, ...entry.reasons], observed: seen, moved };
}

/**
 * The folder a run's record was written in, when that is all that changed:
 * the ensemble was renamed or moved, or planned through another path. Every
 * other variable, the job file and the scheduler options are the same, and
 * rendering at the old place gives exactly the recorded input hash.
 */
function movedFrom(run: DesiredRun, state: RunState): PlanEntry['moved'] {
  const recorded = state.vars?.dir;
  if (recorded === undefined || state.jobFile !== run.batch.jobFile || state.options !== run.options) return undefined;
  let from: unknown;
  try {
    from = JSON.parse(recorded);
  } catch {
    return undefined;
  }
  if (typeof from !== 'string' || from === run.dir) return undefined;
  for (const key of new Set([...Object.keys(state.vars), ...Object.keys(run.varsCanonical)])) {
    if (key !== 'dir' && state.vars[key] !== run.varsCanonical[key]) return undefined;
  }
  if (run.hashAt(from) !== state.inputHash) return undefined;
  const rerender = run.files.filter((f) => state.files?.[f.path]?.hash !== f.hash).map((f) => f.path);
  return { from, previousHash: state.inputHash, rerender };
}

function decideInPlace(run: DesiredRun, seen: ObservedRun, options: DiffOptions): PlanEntry {
  const entry = (action: PlanAction, reasons: PlanReason[], notes: PlanNote[] = []): PlanEntry => ({
    id: run.id,
    batch: run.batch.name,
    dir: run.dir,
    action,
    reasons,
    notes,
    desired: run,
    observed: seen,
  });
  if (seen.blocked) return entry('none', [], [{ kind: 'blocked', ...seen.blocked }]);
  if (seen.corrupt) return entry('none', [], [{ kind: 'damaged', error: seen.corrupt, target: `${run.batch.name}/${run.id}` }]);
  const state = seen.state;
  if (!state) return entry('create', [{ kind: seen.exists ? 'directory-without-state' : 'new-run' }]);

  const last = latestAttempt(state);
  const running = last !== undefined && isActive(last.state);
  if (options.replace?.has(`${run.batch.name}/${run.id}`)) {
    // Asked for by name: its queued or running job goes first.
    return entry('replace', [{ kind: 'asked' }, ...(running ? [{ kind: 'will-cancel', jobId: last.jobId } as const] : [])]);
  }
  if (state.inputHash !== run.inputHash) {
    const changes = describeChanges(run, state);
    if (running) {
      if (options.replaceRunning) return entry('replace', [...changes, { kind: 'will-cancel', jobId: last.jobId }]);
      return entry('inflight', [], [{ kind: 'changed-in-flight', changes, jobId: last.jobId, state: last.state }]);
    }
    return entry(state.attempts.length === 0 ? 'update' : 'replace', changes);
  }

  const mine = attemptsFor(state, run.inputHash);
  const current = mine[mine.length - 1];
  if (seen.drift.length > 0 && mine.length === 0) return entry('update', seen.drift.map((d) => ({ kind: 'drift', ...d })));
  const driftNotes: PlanNote[] = seen.drift.length > 0 ? [{ kind: 'drift-after-run', drift: seen.drift }] : [];

  if (running) {
    if (last.state === 'submitting') return entry('resume', [{ kind: 'submit-unrecorded' }], driftNotes);
    return entry('inflight', [{ kind: 'job-active', jobId: last.jobId, state: last.state }], driftNotes);
  }
  // A failed pre_run task is said until the next apply runs it again (issue 33, item 2).
  if (!current) return entry('resume', [failedTask(state, run.inputHash, 'pre_run') ?? { kind: 'not-submitted' }], driftNotes);
  const decision = decideRetry(run.batch.retry, mine, schedulerOptionsFor(run.batch, current.backend));
  if (decision.kind === 'retry') {
    const { attempt, maxAttempts, free, freeRetry, escalations } = decision;
    const used = usedFigures(current);
    return entry('retry', [{ kind: 'attempt-failed', attempt, maxAttempts, ...outcomeOf(current), ...(free ? { free, freeRetry } : {}), ...(escalations.length ? { escalations } : {}), ...(used ? { used } : {}) }], driftNotes);
  }
  if (state.completed?.inputHash !== run.inputHash) {
    return entry('resume', [failedTask(state, run.inputHash, 'post_run') ?? { kind: 'post-run-pending', ...outcomeOf(current) }], driftNotes);
  }
  if (decision.kind !== 'completed') return entry('none', [], [...driftNotes, retryNote(decision, current)]);
  return entry('none', [], driftNotes);
}

/** The latest failed task of a phase for these inputs, as a reason. */
function failedTask(state: RunState, inputHash: string, phase: 'pre_run' | 'post_run'): PlanReason | undefined {
  let found: PlanReason | undefined;
  for (const [key, record] of Object.entries(state.tasks)) {
    if (!key.startsWith(`${phase}[`) || record.inputHash !== inputHash || record.failedAt === undefined || record.finishedAt !== undefined) continue;
    if (found && found.kind === 'task-failed' && found.failedAt >= record.failedAt) continue;
    found = { kind: 'task-failed', task: key.replace(':', ' '), failedAt: record.failedAt, ...(record.exitCode !== undefined ? { exitCode: record.exitCode } : {}) };
  }
  return found;
}

/** Why a failed run is not retried, as a note. */
function retryNote(decision: Exclude<RetryDecision, { kind: 'completed' | 'retry' }>, current: AttemptRecord): PlanNote {
  const outcome = outcomeOf(current);
  switch (decision.kind) {
    case 'no-attempts-left':
      return { kind: 'no-attempts-left', attempt: decision.attempt, maxAttempts: decision.maxAttempts, ...outcome };
    case 'not-retried':
      return { kind: 'not-retried', when: [...decision.when], ...outcome };
    case 'at-limit':
      return { kind: 'at-limit', resource: decision.resource, value: decision.value, limit: decision.limit, ...outcome };
    case 'cannot-escalate':
      return { kind: 'cannot-escalate', resource: decision.resource, ...outcome };
  }
}

/** The failed attempt's figures a retry's cause is read against (peak of request, elapsed of limit). */
function usedFigures(a: AttemptRecord): UsedFigures | undefined {
  const u = a.usage;
  if (!u) return undefined;
  const used: UsedFigures = {};
  if (u.peakMemoryBytes !== undefined) used.peakMemoryBytes = u.peakMemoryBytes;
  if (u.requestedMemoryBytes !== undefined) used.requestedMemoryBytes = u.requestedMemoryBytes;
  if (u.elapsedSeconds !== undefined) used.elapsedSeconds = u.elapsedSeconds;
  if (u.timeLimitSeconds !== undefined) used.timeLimitSeconds = u.timeLimitSeconds;
  return Object.keys(used).length > 0 ? used : undefined;
}

function outcomeOf(a: AttemptRecord): Outcome {
  return { state: a.state, ...(a.exitCode !== undefined ? { exitCode: a.exitCode } : {}), ...(a.reason ? { reason: a.reason } : {}) };
}

/** What differs between what was rendered and what is wanted now. */
export function describeChanges(run: DesiredRun, state: RunState): PlanReason[] {
  const changes: PlanReason[] = [];
  const oldVars = state.vars ?? {};
  for (const key of new Set([...Object.keys(oldVars), ...Object.keys(run.varsCanonical)])) {
    const before = oldVars[key];
    const after = run.varsCanonical[key];
    if (before === after) continue;
    if (before === undefined) changes.push({ kind: 'var-added', key, after: after! });
    else if (after === undefined) changes.push({ kind: 'var-removed', key, before });
    else changes.push({ kind: 'var-changed', key, before, after });
  }
  const wanted = new Map(run.files.map((f) => [f.path, f]));
  for (const [rel, rec] of Object.entries(state.files ?? {})) {
    const now = wanted.get(rel);
    if (!now) changes.push({ kind: 'file-removed', path: rel });
    else if (now.hash !== rec.hash) changes.push(now.kind === 'rendered' ? { kind: 'file-changed', path: rel, template: now.template } : { kind: 'file-changed', path: rel });
    else if ('mode' in now && rec.mode !== undefined && now.mode !== rec.mode) changes.push({ kind: 'file-mode-changed', path: rel, before: rec.mode.toString(8), after: now.mode.toString(8) });
  }
  for (const f of run.files) if (!state.files?.[f.path]) changes.push({ kind: 'file-added', path: f.path });
  if (state.jobFile !== run.batch.jobFile) changes.push({ kind: 'job-file-changed', before: state.jobFile, after: run.batch.jobFile });
  if (state.options !== run.options) changes.push({ kind: 'options-changed', before: state.options, after: run.options });
  // Variables that only feed rendered files show up above; if nothing is named, say so plainly.
  if (changes.length === 0) changes.push({ kind: 'inputs-changed' });
  return changes;
}

export function summarise(entries: readonly PlanEntry[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, retry: 0, resume: 0, moved: 0, remove: 0, kept: 0, unchanged: 0, inflight: 0, damaged: 0, blocked: 0, tasks: 0 };
  for (const e of entries) {
    if (e.observed?.blocked) s.blocked++;
    else if (e.observed?.corrupt) s.damaged++;
    else if (e.action === 'none') s[e.reasons[0]?.kind === 'orphan' ? 'kept' : 'unchanged']++;
    else s[e.action]++;
  }
  return s;
}

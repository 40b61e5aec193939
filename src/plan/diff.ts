import { attemptsFor, isActive, latestAttempt, rekeyRunState, type AttemptRecord, type RunState } from '../state/run-state.js';
import type { DesiredRun, ObservedRun, Plan, PlanAction, PlanEntry, PlanSummary } from './types.js';

export interface DiffOptions {
  /** Rewrite (and cancel) runs whose job is queued or running when their inputs changed. */
  replaceRunning?: boolean;
  /** Plan runs whose folder moved as changed (replace), instead of carrying their record over. */
  replaceMoved?: boolean;
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
      action: 'remove',
      reasons: ['no longer in the configuration'],
      notes: orphan.state && latestAttempt(orphan.state) && isActive(latestAttempt(orphan.state)!.state) ? ['its job is still queued or running'] : [],
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
    return { id: run.id, batch: run.batch.name, dir: run.dir, action: 'none', reasons: [], desired: run, observed: seen, notes: [`moved from ${moved.from} while attempt ${last.attempt} was being submitted; mensemble cannot tell from here whether that job exists, so it leaves this run alone. Check \`squeue --me\`, then run it afresh with \`--replace-moved\`, or plan it from its old place.`] };
  }
  // Decide as if the record had been written here, then say that it moved.
  const entry = decideInPlace(run, { ...seen, state: rekeyRunState(seen.state!, moved.previousHash, run.inputHash) }, options);
  const rendering = moved.rerender.length > 0 ? `re-renders ${moved.rerender.join(', ')} (${moved.rerender.length === 1 ? 'it uses' : 'they use'} run.dir)` : 'nothing to re-render';
  const where = `moved from ${moved.from}; ${rendering}`;
  if (entry.action === 'none') return { ...entry, action: 'moved', reasons: [where, 'its jobs are not run again (use --replace-moved to run it afresh)'], observed: seen, moved };
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
  const entry = (action: PlanAction, reasons: string[], notes: string[] = []): PlanEntry => ({
    id: run.id,
    batch: run.batch.name,
    dir: run.dir,
    action,
    reasons,
    notes,
    desired: run,
    observed: seen,
  });
  if (seen.blocked) return entry('none', [], [seen.blocked]);
  if (seen.corrupt) {
    return entry('none', [], [`${seen.corrupt} mensemble will not touch this run until it is repaired: \`mensemble repair --target ${run.batch.name}/${run.id}\` rebuilds its state from the scheduler and the run directory (and keeps the damaged file).`]);
  }
  const state = seen.state;
  if (!state) return entry('create', [seen.exists ? 'directory exists without mensemble state; templates will be rendered into it' : 'new run']);

  const last = latestAttempt(state);
  const running = last !== undefined && isActive(last.state);
  if (state.inputHash !== run.inputHash) {
    const changes = describeChanges(run, state);
    if (running) {
      if (options.replaceRunning) return entry('replace', [...changes, `job ${last.jobId ?? '(submitting)'} will be cancelled`]);
      return entry('inflight', [], [`inputs changed (${changes.join('; ')}) but job ${last.jobId ?? ''} is ${last.state}; it is left alone (use --replace-running to cancel and replace it)`]);
    }
    return entry(state.attempts.length === 0 ? 'update' : 'replace', changes);
  }

  const mine = attemptsFor(state, run.inputHash);
  const current = mine[mine.length - 1];
  if (seen.drift.length > 0 && mine.length === 0) return entry('update', seen.drift.map((d) => `${d} by hand since it was rendered`));
  const driftNotes = seen.drift.length > 0 ? [`drift: ${seen.drift.join(', ')} since it was rendered (the job already ran; left as it is)`] : [];

  if (running) {
    if (last.state === 'submitting') return entry('resume', ['submitted but the job id was not recorded; the job will be found and adopted, or submitted'], driftNotes);
    return entry('inflight', [`job ${last.jobId} ${last.state}`], driftNotes);
  }
  if (!current) return entry('resume', ['rendered, not yet submitted'], driftNotes);
  if (current.state !== 'completed' && mine.length < run.batch.maxAttempts) {
    return entry('retry', [`attempt ${mine.length} of ${run.batch.maxAttempts} ${outcome(current)}`], driftNotes);
  }
  if (state.completed?.inputHash !== run.inputHash) {
    return entry('resume', [`job ${current.state}${current.state === 'completed' ? '' : ` (${outcome(current)})`}; post_run tasks pending`], driftNotes);
  }
  if (current.state !== 'completed') {
    return entry('none', [], [...driftNotes, `${outcome(current)} on attempt ${mine.length} of ${run.batch.maxAttempts}; no attempts left`]);
  }
  return entry('none', [], driftNotes);
}

export function outcome(a: AttemptRecord): string {
  const code = a.exitCode !== undefined && a.exitCode !== null ? ` (exit code ${a.exitCode})` : '';
  const why = a.reason ? `: ${a.reason}` : '';
  return `${a.state === 'failed' ? 'failed' : `ended ${a.state.toUpperCase()}`}${code}${why}`;
}

/** What differs between what was rendered and what is wanted now, in words. */
export function describeChanges(run: DesiredRun, state: RunState): string[] {
  const changes: string[] = [];
  const oldVars = state.vars ?? {};
  for (const key of new Set([...Object.keys(oldVars), ...Object.keys(run.varsCanonical)])) {
    const before = oldVars[key];
    const after = run.varsCanonical[key];
    if (before === after) continue;
    if (before === undefined) changes.push(`variable ${key} added (= ${after})`);
    else if (after === undefined) changes.push(`variable ${key} removed (was ${before})`);
    else changes.push(`variable ${key}: ${before} → ${after}`);
  }
  const wanted = new Map(run.files.map((f) => [f.path, f]));
  for (const [rel, rec] of Object.entries(state.files ?? {})) {
    const now = wanted.get(rel);
    if (!now) changes.push(`${rel} no longer in the template folder`);
    else if (now.hash !== rec.hash) changes.push(now.kind === 'rendered' ? `${rel} changed (template ${now.template})` : `${rel} changed`);
    else if ('mode' in now && rec.mode !== undefined && now.mode !== rec.mode) changes.push(`${rel} mode ${rec.mode.toString(8)} → ${now.mode.toString(8)}`);
  }
  for (const f of run.files) if (!state.files?.[f.path]) changes.push(`${f.path} added to the template folder`);
  if (state.jobFile !== run.batch.jobFile) changes.push(`job file ${state.jobFile} → ${run.batch.jobFile}`);
  if (state.options !== run.options) changes.push(`scheduler options ${state.options} → ${run.options}`);
  // Variables that only feed rendered files show up above; if nothing is named, say so plainly.
  if (changes.length === 0) changes.push('inputs changed');
  return changes;
}

export function summarise(entries: readonly PlanEntry[]): PlanSummary {
  const s: PlanSummary = { create: 0, update: 0, replace: 0, retry: 0, resume: 0, moved: 0, remove: 0, unchanged: 0, inflight: 0, damaged: 0, blocked: 0, tasks: 0 };
  for (const e of entries) {
    if (e.observed?.blocked) s.blocked++;
    else if (e.observed?.corrupt) s.damaged++;
    else if (e.action === 'none') s.unchanged++;
    else s[e.action]++;
  }
  return s;
}

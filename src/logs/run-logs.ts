import fs from 'node:fs';
import { movedPath } from '../util/paths.js';
import type { Backends } from '../backends/registry.js';
import { schedulerOptionsFor } from '../config/types.js';
import type { PlanEntry } from '../plan/types.js';
import { latestAttempt, type AttemptRecord } from '../state/run-state.js';
import { taskLogFile } from '../tasks/log.js';
import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

export interface RunLogs {
  entry: PlanEntry;
  attempt: AttemptRecord | undefined;
  /** Job output first, then task logs; files that do not exist yet are listed too. */
  files: Array<{ path: string; kind: 'job' | 'task' }>;
}

/** The run named `batch/id` or just `id` (when no other batch has that id). */
export function findRun(entries: readonly PlanEntry[], name: string): PlanEntry {
  const exact = entries.filter((e) => e.desired && (`${e.batch}/${e.id}` === name || e.id === name));
  if (exact.length === 1) return exact[0]!;
  if (exact.length > 1) throw new UserError(`Run \`${name}\` is in several batches (${exact.map((e) => `${e.batch}/${e.id}`).join(', ')}); name it as <batch>/<run id>.`);
  const names = entries.filter((e) => e.desired).map((e) => `${e.batch}/${e.id}`);
  throw new UserError(`No run \`${name}\` in this ensemble.${didYouMean(name, [...names, ...names.map((n) => n.split('/')[1]!)])} \`mensemble status\` lists the runs.`);
}

/** Where a run's job output and task logs are, for its latest attempt (or the one asked for). */
export function runLogs(entry: PlanEntry, backends: Backends, ensembleDir: string, attemptNumber?: number): RunLogs {
  const run = entry.desired!;
  const state = entry.observed?.state;
  const attempt = attemptNumber === undefined ? state && latestAttempt(state) : state?.attempts.filter((a) => a.attempt === attemptNumber).at(-1);
  if (attemptNumber !== undefined && !attempt) throw new UserError(`Run ${entry.batch}/${entry.id} has no attempt ${attemptNumber}.`);
  const files: RunLogs['files'] = [];
  if (attempt) {
    // The attempt recorded where its output went; a run whose folder moved since (the ensemble was renamed) has it in the new place.
    const from = entry.moved?.from;
    const here = (f: string) => (from === undefined ? f : movedPath(f, from, run.dir));
    for (const f of backends.get(attempt.backend).outputFiles({ runDir: run.dir, jobFile: run.batch.jobFile, options: schedulerOptionsFor(run.batch, attempt.backend), record: attempt })) files.push({ path: here(f), kind: 'job' });
  }
  for (const task of [...run.batch.tasks.pre_run, ...run.batch.tasks.post_run]) {
    // Where the task itself writes it (tasks/log.ts); a path the task would refuse has no log to show.
    let file: string | undefined;
    try {
      file = taskLogFile(task, { run: { id: run.id, dir: run.dir, vars: run.vars }, ensembleDir });
    } catch {
      continue;
    }
    if (file && fs.existsSync(file)) files.push({ path: file, kind: 'task' });
  }
  return { entry, attempt, files };
}

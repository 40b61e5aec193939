import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../backends/types.js';
import type { DesiredRun, PlanEntry } from '../plan/types.js';
import { isActive, runStatePath, taskFiles, taskKey, writeRunState, type AttemptRecord, type FileRecord, type RunState, type TaskRecord } from '../state/run-state.js';
import { detachedState } from '../util/detached.js';
import { hash64 } from '../util/hash.js';
import { matchesOnDisk } from '../plan/drift.js';
import { submitRequest } from './run-driver.js';

export interface RepairedRun {
  run: string;
  /** Where the damaged file was moved. */
  keptAs: string;
  attempts: Array<{ attempt: number; jobId: string; state: string }>;
  tasks: string[];
  /** The files on disk are what the configuration renders now. */
  filesMatch: boolean;
}

/**
 * Rebuilds the state of runs whose state file is damaged, from what outlives
 * it: the files in the run directory (compared with what the configuration
 * renders), the jobs the backend still knows for the run (found as a crashed
 * submission is: by identity, working directory and time), and the exit
 * codes task processes left. The damaged file is moved aside, never deleted.
 */
export async function repairRuns(entries: readonly PlanEntry[], backend: Backend, ensembleKey: string): Promise<RepairedRun[]> {
  const out: RepairedRun[] = [];
  for (const entry of entries) {
    if (!entry.observed?.corrupt || !entry.desired) continue;
    out.push(await repairRun(entry.desired, backend, ensembleKey));
  }
  return out;
}

async function repairRun(run: DesiredRun, backend: Backend, ensembleKey: string): Promise<RepairedRun> {
  const file = runStatePath(run.dir);
  const keptAs = `${file}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(file, keptAs);

  const { files, match } = filesOnDisk(run);
  const inputHash = match ? run.inputHash : `unknown-after-repair-${hash64(keptAs)}`;
  const renderedAt = renderTime(run);

  // Attempts in order, each found the way a crashed submission is adopted; the first not found ends the search.
  const attempts: AttemptRecord[] = [];
  for (let attempt = 1; attempt <= run.batch.retry.maxAttempts + run.batch.retry.freeRetries; attempt++) {
    const intent: AttemptRecord = { attempt, inputHash, backend: backend.name, state: 'submitting', submittedAt: renderedAt };
    const found = await backend.recover(submitRequest(run, attempt, backend.name, ensembleKey, attempts.map((a) => a.jobId!)), intent, { rebuilding: true });
    if (!found) break;
    attempts.push({ ...intent, jobId: found.jobId, state: found.state, backendData: found.backendData, startedAt: found.startedAt });
  }
  // Found by accounting alone, later jobs can come first: order by start, and number them so.
  attempts.sort((a, b) => (a.startedAt && b.startedAt ? Date.parse(a.startedAt) - Date.parse(b.startedAt) : 0));
  attempts.forEach((a, i) => (a.attempt = i + 1));
  if (attempts.length > 0) {
    const statuses = await backend.refresh(attempts.map((record) => ({ runDir: run.dir, record })));
    for (const [job, status] of statuses) Object.assign(job.record, status);
  }

  // Tasks whose process left exit code 0 are done; others (and tasks that leave no files) run again if needed.
  const tasks: Record<string, TaskRecord> = {};
  for (const phase of ['pre_run', 'post_run'] as const) {
    for (const task of run.batch.tasks[phase]) {
      const left = detachedState(taskFiles(run.dir, phase, task.index));
      if (left.state === 'exited' && left.code === 0) tasks[taskKey(phase, task.index, task.name)] = { inputHash, finishedAt: left.endedAt };
    }
  }
  const last = attempts.at(-1);
  const postRunDone = run.batch.tasks.post_run.every((t) => tasks[taskKey('post_run', t.index, t.name)] !== undefined);
  const state: RunState = {
    version: 1,
    id: run.id,
    batch: run.batch.name,
    inputHash,
    vars: run.varsCanonical,
    files,
    jobFile: run.batch.jobFile,
    options: run.options,
    renderedAt,
    attempts,
    tasks,
    completed: last && !isActive(last.state) && postRunDone ? { inputHash, at: new Date().toISOString(), outcome: last.state } : undefined,
  };
  writeRunState(run.dir, state);
  return {
    run: `${run.batch.name}/${run.id}`,
    keptAs,
    attempts: attempts.map((a) => ({ attempt: a.attempt, jobId: a.jobId!, state: a.state })),
    tasks: Object.keys(tasks),
    filesMatch: match,
  };
}

/** Records of the run's files as they are on disk, and whether they are what the configuration renders. */
function filesOnDisk(run: DesiredRun): { files: Record<string, FileRecord>; match: boolean } {
  const files: Record<string, FileRecord> = {};
  let match = true;
  for (const f of run.files) {
    const full = path.join(run.dir, f.path);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      match = false;
      continue;
    }
    if (f.kind === 'dir') {
      files[f.path] = { kind: 'dir', hash: f.hash, mode: f.mode };
    } else if (!matchesOnDisk(full, stat, f.kind, f.hash)) {
      match = false;
    } else if (f.kind === 'symlink') {
      files[f.path] = { kind: 'symlink', hash: f.hash };
    } else {
      files[f.path] = { kind: f.kind, hash: f.hash, mode: f.mode, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
    }
  }
  return { files, match };
}

/** When the run was rendered, as well as the disk can tell: the job file's time, else the directory's. */
function renderTime(run: DesiredRun): string {
  for (const candidate of [path.join(run.dir, run.batch.jobFile), run.dir]) {
    try {
      return fs.statSync(candidate).mtime.toISOString();
    } catch {
      // try the next
    }
  }
  return new Date(0).toISOString();
}

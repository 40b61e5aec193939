import path from 'node:path';
import { createBackend } from '../backends/index.js';
import type { Backend } from '../backends/types.js';
import type { EnsembleSpec } from '../config/types.js';
import { HashCache } from '../state/hash-cache.js';
import { STATE_DIR } from '../state/run-state.js';
import { hash64, initHashing } from '../util/hash.js';
import { buildDesiredState, type DesiredState } from './desired.js';
import { diff } from './diff.js';
import { RenderMemo } from './render-memo.js';
import { FolderListings, findOrphans, observeRuns, refreshJobs } from './observe.js';
import { pendingSessionTasks } from './session-tasks.js';
import { batchFullyTargeted, type Target } from './targets.js';
import { readSessionFile } from '../state/session-file.js';
import type { Plan } from './types.js';

export interface PlanOptions {
  targets: readonly Target[];
  replaceRunning?: boolean;
  replaceMoved?: boolean;
}

export interface ComputedPlan {
  spec: EnsembleSpec;
  desired: DesiredState;
  plan: Plan;
}

export function ensembleStateDir(spec: EnsembleSpec): string {
  return path.join(spec.dir, STATE_DIR);
}

/** Identifies the ensemble in its jobs (a hash of its configuration's path), so they can be found again. */
export function ensembleKey(spec: EnsembleSpec): string {
  return hash64(spec.configFile);
}

const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM', 'ENOSPC', 'EDQUOT']);

function saveIfWritable(save: () => void): void {
  try {
    save();
  } catch (err) {
    if (!UNWRITABLE.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  }
}

/** config -> desired state. Every error in the user's input surfaces here, before anything is written. */
export async function desiredState(spec: EnsembleSpec, targets: readonly Target[], options: { renderAll?: boolean } = {}): Promise<DesiredState> {
  await initHashing();
  const cache = new HashCache(path.join(ensembleStateDir(spec), 'hash-cache.json'));
  // `renderAll` (validate) renders every run: the memo would skip runs that rendered before.
  const memo = options.renderAll ? undefined : new RenderMemo(path.join(ensembleStateDir(spec), 'render-memo.json'));
  const desired = buildDesiredState(spec, targets, cache, memo);
  // Both are only caches: a read-only file system (a snapshot, a colleague's copy) or a full disk must not stop a plan.
  saveIfWritable(() => cache.save());
  saveIfWritable(() => memo?.save());
  return desired;
}

/** desired state + what is on disk and in the backend -> plan. Reads only. */
export async function observeAndDiff(spec: EnsembleSpec, desired: DesiredState, backend: Backend, options: PlanOptions): Promise<ComputedPlan> {
  const listings = new FolderListings();
  const observed = observeRuns(desired.runs, listings);
  const pruneBatches = spec.batches.filter((b) => batchFullyTargeted(options.targets, b.name));
  const orphans = findOrphans(
    pruneBatches.map((b) => b.basedir),
    new Set(pruneBatches.map((b) => b.name)),
    desired.allDirs,
    listings,
  );
  // The backend's word on every active job, in one query; applied to the states read above.
  const warnings = await refreshJobs(backend, [...observed.values(), ...orphans], createBackend);
  const plan = diff(desired.runs, observed, orphans, { replaceRunning: options.replaceRunning, replaceMoved: options.replaceMoved });
  plan.warnings.push(...warnings);
  // Owed tasks only when the whole ensemble is in view: a targeted plan works on some runs, not on the session.
  if (options.targets.length === 0) {
    plan.tasks = pendingSessionTasks(spec, readSessionFile(ensembleStateDir(spec)), plan.entries);
    plan.summary.tasks = plan.tasks.length;
  }
  plan.batches = spec.batches.map((b) => ({ name: b.name, basedir: b.basedir }));
  plan.pathsFrom = { rule: spec.pathsFrom, dir: spec.root };
  return { spec, desired, plan };
}

export async function computePlan(spec: EnsembleSpec, backend: Backend, options: PlanOptions): Promise<ComputedPlan> {
  return observeAndDiff(spec, await desiredState(spec, options.targets), backend, options);
}

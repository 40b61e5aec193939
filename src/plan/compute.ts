import fs from 'node:fs';
import path from 'node:path';
import { UserError, UserErrors, formatLocation } from '../util/errors.js';
import { displayPath } from '../util/paths.js';
import type { Backends } from '../backends/registry.js';
import type { EnsembleSpec } from '../config/types.js';
import { HashCache } from '../state/hash-cache.js';
import { ensembleStateDir } from '../state/ensemble-folder.js';
import { initHashing } from '../util/hash.js';
import { buildDesiredState, type DesiredState } from './desired.js';
import { diff } from './diff.js';
import { estimateCost } from './cost.js';
import { RenderMemo } from './render-memo.js';
import { FolderListings, findOrphans, observeRuns, refreshJobs, takeRemovedRecords } from './observe.js';
import { pendingSessionTasks } from './session-tasks.js';
import { startReadAhead, type ReadAhead } from './read-ahead.js';
import { batchFullyTargeted, replaceSet, type Target } from './targets.js';
import { readSessionFile } from '../state/session-file.js';
import { ensembleOwner, movedByDefaultDialect, sessionFileOf } from '../state/ensemble-folder.js';
import { removedRunsFolder } from '../state/removed-runs.js';
import type { Plan } from './types.js';

export interface PlanOptions {
  targets: readonly Target[];
  /** Run folders read on another thread meanwhile (read-ahead.ts); what it left out is read here. */
  readAhead?: ReadAhead;
  replaceRunning?: boolean;
  replaceMoved?: boolean;
  /** Plan removals of runs the configuration no longer has (`--prune`). */
  prune?: boolean;
  /** `--replace <batch>/<run>`: run these again although nothing changed. */
  replace?: readonly string[];
}

export interface ComputedPlan {
  spec: EnsembleSpec;
  desired: DesiredState;
  plan: Plan;
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
export async function desiredState(spec: EnsembleSpec, targets: readonly Target[], options: { renderAll?: boolean; meanwhile?: () => void } = {}): Promise<DesiredState> {
  await initHashing();
  const cache = new HashCache(path.join(ensembleStateDir(spec), 'hash-cache.json'));
  // `renderAll` (validate) renders every run: the memo would skip runs that rendered before.
  const memo = options.renderAll ? undefined : new RenderMemo(path.join(ensembleStateDir(spec), 'render-memo.json'));
  refuseUnusableBasedirs(spec);
  refuseMovedByDefaultDialect(spec);
  const desired = buildDesiredState(spec, targets, cache, memo, options.meanwhile);
  // Both are only caches: a read-only file system (a snapshot, a colleague's copy) or a full disk must not stop a plan.
  saveIfWritable(() => cache.save());
  saveIfWritable(() => memo?.save());
  return desired;
}

/**
 * A basedir that is a file, or a link to nothing (a scratch purge took its
 * folder), can hold no runs: refused, naming the batch, before anything is
 * planned or written.
 */
function refuseUnusableBasedirs(spec: EnsembleSpec): void {
  const problems: string[] = [];
  for (const batch of spec.batches) {
    const link = fs.lstatSync(batch.basedir, { throwIfNoEntry: false });
    if (!link) continue;
    let what: string | undefined;
    try {
      if (!fs.statSync(batch.basedir).isDirectory()) what = 'a file, not a folder';
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') what = `a symbolic link to ${fs.readlinkSync(batch.basedir)}, which does not exist`;
      else if (code === 'ENOTDIR') what = 'below a file, not a folder';
      else throw err;
    }
    if (what) problems.push(`${formatLocation(batch.location)}: ${batch.where}.basedir: ${batch.basedir} is ${what}; the batch's runs cannot be placed there. Move it away, or point basedir elsewhere.`);
  }
  if (problems.length > 0) throw new UserErrors(problems);
}

/** A configuration applied with paths from its own folder that now, declaring no dialect, would start them elsewhere (state/ensemble-folder.ts). */
function refuseMovedByDefaultDialect(spec: EnsembleSpec): void {
  const before = movedByDefaultDialect(spec);
  if (before === undefined) return;
  throw new UserError(
    `${displayPath(spec.configFile)}:1: this configuration was applied with its relative paths starting from its own folder, ${displayPath(before)}, but it declares no \`dialect\`, so they now start from the folder mensemble is run from, ${displayPath(spec.root)}, as model-ensembler's do, and its runs would be planned afresh there. Write \`dialect: mensemble\` at the top of the file to keep them where they are (templates then also see every run variable by name), run mensemble from ${displayPath(before)}, or write \`dialect: model-ensembler\` to mean the new place.`,
  );
}

/** desired state + what is on disk and in the backend -> plan. Reads only. */
export async function observeAndDiff(spec: EnsembleSpec, desired: DesiredState, backends: Backends, options: PlanOptions): Promise<ComputedPlan> {
  const listings = new FolderListings();
  const observed = observeRuns(desired.runs, listings, await options.readAhead?.results());
  takeRemovedRecords(observed, removedRunsFolder(spec.dir));
  const pruneBatches = spec.batches.filter((b) => batchFullyTargeted(options.targets, b.name));
  const orphans = findOrphans(
    pruneBatches.map((b) => b.basedir),
    new Set(pruneBatches.map((b) => b.name)),
    desired.allDirs,
    listings,
    { owner: ensembleOwner(spec), dir: spec.dir },
  );
  // The backend's word on every active job, in one query; applied to the states read above.
  const warnings = await refreshJobs(backends, [...observed.values(), ...orphans]);
  const plan = diff(desired.runs, observed, orphans, { replaceRunning: options.replaceRunning, replaceMoved: options.replaceMoved, prune: options.prune, replace: replaceSet(options.replace ?? [], new Set(desired.runs.map((r) => `${r.batch.name}/${r.id}`))) });
  plan.warnings.push(...warnings);
  // Owed tasks only when the whole ensemble is in view: a targeted plan works on some runs, not on the session.
  if (options.targets.length === 0) {
    plan.tasks = pendingSessionTasks(spec, readSessionFile(sessionFileOf(spec)), plan.entries);
    plan.summary.tasks = plan.tasks.length;
  }
  plan.batches = spec.batches.map((b) => ({ name: b.name, basedir: b.basedir }));
  plan.pathsFrom = { rule: spec.pathsFrom, dir: spec.root, by: spec.pathsBy };
  plan.dialect = { name: spec.dialect, declared: spec.dialectDeclared };
  plan.cost = estimateCost(plan.entries);
  return { spec, desired, plan };
}

/**
 * config -> plan, reading the run folders on another thread while the
 * desired state is computed: the runs are read from the moment this is
 * called, so a command that holds the lock takes it first (cancel, repair).
 * Apply computes the desired state before it takes the lock (bad input
 * fails first) and reads its runs after, so it calls the two steps itself.
 */
export async function computePlan(spec: EnsembleSpec, backends: Backends, options: PlanOptions): Promise<ComputedPlan> {
  const readAhead = startReadAhead(spec, options.targets.length > 0);
  try {
    const desired = await desiredState(spec, options.targets, { meanwhile: () => readAhead?.collect() });
    return await observeAndDiff(spec, desired, backends, { ...options, readAhead });
  } finally {
    readAhead?.stop();
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { BackendUnavailableError, type Backend, type JobStatus, type TrackedJob } from '../backends/types.js';
import { UserError } from '../util/errors.js';
import type { Backends } from '../backends/registry.js';
import { CorruptStateError, STATE_DIR, isActive, ownedBy, readRunState, runStatePath, type RunOwner, type RunState } from '../state/run-state.js';
import { detectDrift } from './drift.js';
import { readRemovedRecords } from '../state/removed-runs.js';
import type { ReadAheadEntry } from './read-ahead.js';
import type { DesiredRun, ObservedRun } from './types.js';

/**
 * The base folders' listings, each read once per plan: observing the runs and
 * looking for orphans both need them, and at 100,000 runs a listing is not free.
 */
export class FolderListings {
  private readonly read = new Map<string, Set<string> | undefined>();

  /** The names in `dir`; an empty set if it does not exist; undefined if it cannot be listed. */
  names(dir: string): Set<string> | undefined {
    if (!this.read.has(dir)) this.read.set(dir, listFolder(dir));
    return this.read.get(dir);
  }
}

function listFolder(dir: string): Set<string> | undefined {
  try {
    return new Set(fs.readdirSync(dir));
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Set() : undefined;
  }
}

/**
 * Reads each desired run's directory: state, drift of rendered files. A run
 * the read-ahead thread read (`readAhead`) takes what it found: its state,
 * parsed and checked on this thread as readRunState does, and the drift it saw.
 */
export function observeRuns(runs: readonly DesiredRun[], listings: FolderListings, readAhead?: ReadonlyMap<string, ReadAheadEntry>): Map<string, ObservedRun> {
  const out = new Map<string, ObservedRun>();
  // The listing tells which run folders exist: a new ensemble's 1,000 runs then cost one
  // readdir, not 1,000 failed opens (each a thrown error). A folder that cannot be listed
  // leaves each run to be looked at itself.
  for (const run of runs) {
    const present = listings.names(path.dirname(run.dir));
    if (present && !present.has(path.basename(run.dir))) out.set(run.dir, { dir: run.dir, exists: false, drift: [] });
    else out.set(run.dir, readAheadRun(readAhead?.get(run.dir)) ?? observeDir(run.dir));
  }
  return out;
}

/**
 * A run whose folder holds no state but whose post_run removed that folder
 * after it finished (state/removed-runs.ts): the record kept beside the
 * configuration stands for it, so it is not planned as new.
 */
export function takeRemovedRecords(observed: Map<string, ObservedRun>, folder: string): void {
  let records: Map<string, RunState> | undefined;
  for (const [dir, seen] of observed) {
    if (seen.state || seen.corrupt || seen.blocked) continue;
    records ??= readRemovedRecords(folder);
    if (records.size === 0) return;
    const state = records.get(dir);
    if (state) observed.set(dir, { ...seen, state, removedByTask: true });
  }
}

function readAheadRun(found: ReadAheadEntry | undefined): ObservedRun | undefined {
  return found && { dir: found.dir, exists: true, state: found.state, drift: found.drift };
}

export function observeDir(dir: string): ObservedRun {
  // The state file first: for an applied ensemble that is one read, and one lstat of its folder, per run.
  try {
    const state = readRunState(dir);
    if (state) return linkedStateFolder(dir) ?? { dir, exists: true, state, drift: detectDrift(dir, state) };
  } catch (err) {
    if (err instanceof CorruptStateError) return notADirectory(dir) ?? { dir, exists: true, corrupt: err.message, drift: [] };
    throw err;
  }
  return notADirectory(dir) ?? { dir, exists: fs.existsSync(dir), drift: [] };
}

/**
 * Something other than a folder where the run directory, or its `.mensemble`
 * folder, should be: a file, a link to one, a dangling link (a scratch purge
 * took what it pointed to), or a `.mensemble` that is a link (state and job
 * files would be written, and same-named files deleted, wherever it leads).
 * Nothing is written there. A run directory that is a link to a folder is
 * used as before.
 */
function notADirectory(dir: string): ObservedRun | undefined {
  const runFolder = lstatOrUndefined(dir);
  if (runFolder && !runFolder.isDirectory()) {
    const followed = fs.statSync(dir, { throwIfNoEntry: false });
    if (!runFolder.isSymbolicLink() || !followed?.isDirectory()) return blockedAt(dir, dir, 'run-directory', runFolder.isSymbolicLink());
  }
  return runFolder ? linkedStateFolder(dir) : undefined;
}

function linkedStateFolder(dir: string): ObservedRun | undefined {
  const place = path.join(dir, STATE_DIR);
  const stat = lstatOrUndefined(place);
  if (stat && !stat.isDirectory()) return blockedAt(dir, place, 'state-folder', stat.isSymbolicLink());
  return undefined;
}

function blockedAt(dir: string, place: string, what: 'run-directory' | 'state-folder', isLink: boolean): ObservedRun {
  const link = isLink ? { link: fs.readlinkSync(place), dangling: !fs.existsSync(place) } : {};
  return { dir, exists: true, drift: [], blocked: { place, what, ...link } };
}

function lstatOrUndefined(place: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(place);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Run directories under the batches' basedirs that carry mensemble state but
 * that the configuration no longer has: candidates for `- remove`.
 */
export function findOrphans(
  basedirs: Iterable<string>,
  batches: ReadonlySet<string>,
  wantedDirs: ReadonlySet<string>,
  listings: FolderListings,
  mine: { owner: RunOwner; dir: string },
): ObservedRun[] {
  const out: ObservedRun[] = [];
  for (const basedir of new Set(basedirs)) {
    const names = listings.names(basedir);
    if (!names) continue;
    // The wanted runs are most of the names: left out before anything is sorted or joined (100,000 of them cost 0.6 s).
    const others: string[] = [];
    for (const name of names) if (name !== STATE_DIR && !wantedDirs.has(`${basedir}${path.sep}${name}`)) others.push(name);
    for (const name of others.sort()) {
      const dir = path.join(basedir, name);
      if (wantedDirs.has(dir) || !fs.existsSync(runStatePath(dir))) continue;
      const observed = observeDir(dir);
      if (observed.state && !batches.has(observed.state.batch)) continue;
      // Another configuration's run in a shared basedir is not ours to remove.
      if (observed.state && !ownedBy(observed.state.owner, mine.owner, dir, mine.dir)) continue;
      out.push(observed);
    }
  }
  return out;
}

/**
 * Asks the backend about every attempt still active, in one call, and
 * applies the answers to the in-memory states (nothing is written: plan
 * stays read-only; apply records what it acts on).
 */
/**
 * Asks each backend that holds active jobs for their status, in one query
 * per backend, and applies the answers to the states read from disk. A
 * backend that cannot be reached leaves the recorded states as they are and
 * yields a warning instead: plan and status still work, only less fresh.
 */
export async function refreshJobs(backends: Backends, observed: Iterable<ObservedRun>): Promise<string[]> {
  const byBackend = new Map<string, { job: TrackedJob; run: ObservedRun; index: number }[]>();
  for (const run of observed) {
    const state = run.state;
    if (!state) continue;
    state.attempts.forEach((record, index) => {
      if (!isActive(record.state) || record.state === 'submitting') return;
      const list = byBackend.get(record.backend) ?? [];
      list.push({ job: { runDir: run.dir, record }, run, index });
      byBackend.set(record.backend, list);
    });
  }
  const warnings: string[] = [];
  for (const [name, tracked] of byBackend) {
    let backend: Backend;
    try {
      backend = backends.get(name);
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
      // A state file naming a backend this mensemble does not know: that run is damaged, the others go on.
      for (const t of tracked) {
        t.run.corrupt = `${runStatePath(t.run.dir)}: attempt ${t.job.record.attempt} names a backend this mensemble does not have (${err.message})`;
        delete t.run.state;
      }
      continue;
    }
    let statuses: Map<TrackedJob, JobStatus>;
    try {
      statuses = await backend.refresh(tracked.map((t) => t.job));
    } catch (err) {
      if (!(err instanceof BackendUnavailableError)) throw err;
      warnings.push(`could not ask the ${name} scheduler about ${tracked.length} job${tracked.length > 1 ? 's' : ''} (${err.message}); their states are as last recorded`);
      continue;
    }
    for (const t of tracked) {
      const status = statuses.get(t.job);
      if (!status) continue;
      const state = t.run.state!;
      state.attempts = state.attempts.map((a, i) => (i === t.index ? { ...a, ...status } : a));
    }
  }
  return warnings;
}

import fs from 'node:fs';
import path from 'node:path';
import type { Backend, TrackedJob } from '../backends/types.js';
import { CorruptStateError, STATE_DIR, isActive, readRunState, runStatePath, type RunState } from '../state/run-state.js';
import { hashFile, hash64 } from '../util/hash.js';
import type { DesiredRun, ObservedRun } from './types.js';

/** Reads each desired run's directory: state, drift of rendered files. */
export function observeRuns(runs: readonly DesiredRun[]): Map<string, ObservedRun> {
  const out = new Map<string, ObservedRun>();
  for (const run of runs) out.set(run.dir, observeDir(run.dir));
  return out;
}

export function observeDir(dir: string): ObservedRun {
  const exists = fs.existsSync(dir);
  if (!exists) return { dir, exists, drift: [] };
  try {
    const state = readRunState(dir);
    return { dir, exists, state, drift: state ? detectDrift(dir, state) : [] };
  } catch (err) {
    if (err instanceof CorruptStateError) return { dir, exists, corrupt: err.message, drift: [] };
    throw err;
  }
}

/** Files mensemble wrote that no longer match what it wrote. Cheap when nothing changed (stat only). */
export function detectDrift(dir: string, state: RunState): string[] {
  const drift: string[] = [];
  for (const [rel, rec] of Object.entries(state.files)) {
    if (rec.kind === 'dir') continue;
    const full = path.join(dir, rel);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      drift.push(`${rel} was deleted`);
      continue;
    }
    if (rec.kind === 'symlink') {
      if (!stat.isSymbolicLink() || hash64(`link:${fs.readlinkSync(full)}`) !== rec.hash) drift.push(`${rel} (a link) was changed`);
      continue;
    }
    if (stat.size === rec.size && stat.mtimeMs === rec.mtimeMs && stat.ino === rec.ino) continue;
    if (!stat.isFile() || hashFile(full) !== rec.hash) drift.push(`${rel} was modified`);
  }
  return drift;
}

/**
 * Run directories under the batches' basedirs that carry mensemble state but
 * that the configuration no longer has: candidates for `- remove`.
 */
export function findOrphans(basedirs: Iterable<string>, batches: ReadonlySet<string>, wantedDirs: ReadonlySet<string>): ObservedRun[] {
  const out: ObservedRun[] = [];
  for (const basedir of new Set(basedirs)) {
    let names: string[];
    try {
      names = fs.readdirSync(basedir);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const dir = path.join(basedir, name);
      if (wantedDirs.has(dir) || name === STATE_DIR || !fs.existsSync(runStatePath(dir))) continue;
      const observed = observeDir(dir);
      if (observed.state && !batches.has(observed.state.batch)) continue;
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
export async function refreshJobs(backend: Backend, observed: Iterable<ObservedRun>): Promise<void> {
  const tracked: { job: TrackedJob; run: ObservedRun; index: number }[] = [];
  for (const run of observed) {
    const state = run.state;
    if (!state) continue;
    state.attempts.forEach((record, index) => {
      if (isActive(record.state) && record.state !== 'submitting' && record.backend === backend.name) {
        tracked.push({ job: { runDir: run.dir, record }, run, index });
      }
    });
  }
  if (tracked.length === 0) return;
  const statuses = await backend.refresh(tracked.map((t) => t.job));
  for (const t of tracked) {
    const status = statuses.get(t.job);
    if (!status) continue;
    const state = t.run.state!;
    state.attempts = state.attempts.map((a, i) => (i === t.index ? { ...a, ...status } : a));
  }
}

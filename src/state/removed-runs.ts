import fs from 'node:fs';
import path from 'node:path';
import { hash64 } from '../util/hash.js';
import { readTextIfExists } from '../util/read-text.js';
import { writeJsonAtomic } from './atomic-write.js';
import { STATE_DIR, type RunState } from './run-state.js';
import { runStateProblem } from './validate-run-state.js';

/**
 * Records of runs whose post_run removed their own folder (model-ensembler's
 * usual `post_run: [move, remove]`), kept beside the configuration where the
 * removal cannot take them: `<ensemble>/.mensemble/removed-runs/<hash of the
 * run folder>.json`. The plan takes such a record for a run whose folder
 * holds no state, so a finished run is never run again because its folder is
 * gone. A record is written before the `remove` task runs (a crash during it
 * still leaves one) and dropped when the folder survives it or is rendered again.
 */
export function removedRunsFolder(ensembleDir: string): string {
  return path.join(ensembleDir, STATE_DIR, 'removed-runs');
}

function recordFile(folder: string, runDir: string): string {
  return path.join(folder, `${hash64(runDir)}.json`);
}

interface RemovedRecord {
  version: 1;
  dir: string;
  state: RunState;
}

export function writeRemovedRecord(folder: string, runDir: string, state: RunState): void {
  fs.mkdirSync(folder, { recursive: true });
  const record: RemovedRecord = { version: 1, dir: runDir, state };
  writeJsonAtomic(recordFile(folder, runDir), record);
}

export function forgetRemovedRecord(folder: string, runDir: string): void {
  fs.rmSync(recordFile(folder, runDir), { force: true });
}

/**
 * The records in the folder, by run folder. A record that is not whole, or
 * that is filed under another folder's name, is left out: it is data, and
 * the worst it can do left out is a run that runs again.
 */
export function readRemovedRecords(folder: string): Map<string, RunState> {
  const out = new Map<string, RunState>();
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return out;
  }
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    try {
      const file = path.join(folder, name);
      if (!fs.lstatSync(file).isFile()) continue;
      const record = JSON.parse(readTextIfExists(file) ?? 'null') as Partial<RemovedRecord> | null;
      if (!record || record.version !== 1 || typeof record.dir !== 'string' || recordFile(folder, record.dir) !== file) continue;
      if (runStateProblem(record.state) !== undefined || !record.state?.completed) continue;
      out.set(record.dir, record.state);
    } catch {
      // Unreadable: left out.
    }
  }
  return out;
}

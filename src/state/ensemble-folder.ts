import path from 'node:path';
import type { EnsembleSpec } from '../config/types.js';
import { hash64 } from '../util/hash.js';
import { STATE_DIR, type RunOwner } from './run-state.js';
import { sessionFilePath } from './session-file.js';

/** The ensemble's own state folder (`.mensemble/` beside the configuration): lock, session, caches, detached logs. */
export function ensembleStateDir(spec: EnsembleSpec): string {
  return path.join(spec.dir, STATE_DIR);
}

/** Identifies the ensemble in its jobs (a hash of its configuration's path), so they can be found again. */
export function ensembleKey(spec: EnsembleSpec): string {
  return hash64(spec.configFile);
}

/** What a run's state records of the configuration that wrote it (run-state.ts, `ownedBy`). */
export function ensembleOwner(spec: EnsembleSpec): RunOwner {
  return { config: path.basename(spec.configFile), key: ensembleKey(spec) };
}

/** The apply session's file: one per configuration file and per folder its relative paths start from (session-file.ts). */
export function sessionFileOf(spec: EnsembleSpec): string {
  return sessionFilePath(ensembleStateDir(spec), hash64(`${spec.configFile}\0${spec.root}`));
}

import path from 'node:path';
import type { EnsembleSpec } from '../config/types.js';
import { hash64 } from '../util/hash.js';
import { STATE_DIR } from './run-state.js';

/** The ensemble's own state folder (`.mensemble/` beside the configuration): lock, session, caches, detached logs. */
export function ensembleStateDir(spec: EnsembleSpec): string {
  return path.join(spec.dir, STATE_DIR);
}

/** Identifies the ensemble in its jobs (a hash of its configuration's path), so they can be found again. */
export function ensembleKey(spec: EnsembleSpec): string {
  return hash64(spec.configFile);
}

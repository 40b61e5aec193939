import fs from 'node:fs';
import path from 'node:path';
import type { EnsembleSpec } from '../config/types.js';
import { hash64 } from '../util/hash.js';
import { STATE_DIR, readRunState, type RunOwner } from './run-state.js';
import { sessionFilePath } from './session-file.js';

/** The ensemble's own state folder (`.mensemble/` beside the configuration): lock, session, caches, detached logs. */
export function ensembleStateDir(spec: EnsembleSpec): string {
  return path.join(spec.dir, STATE_DIR);
}

/**
 * The configuration's lock: one per configuration file, so that the
 * configurations of one folder (model-ensembler's examples/ holds four) apply
 * side by side. Run folders they share are locked as well (state/ensemble-lock.ts).
 */
export function configLockFile(stateDir: string, configFile: string): string {
  return path.join(stateDir, `${path.basename(configFile)}.lock`);
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

/**
 * The folder this configuration's relative paths started from when it was
 * last applied, if that was its own folder and they now start elsewhere only
 * because the file declares no `dialect` (before dialects, a file using
 * `matrix` or `retry` was read from its own folder). Its runs would be
 * planned afresh in the new place: the caller refuses and says which line
 * keeps them. Undefined when nothing says so.
 */
export function movedByDefaultDialect(spec: EnsembleSpec): string | undefined {
  if (spec.dialectDeclared || spec.pathsBy !== 'dialect' || spec.root === spec.dir) return undefined;
  // Its apply session from there, or a run of it where its basedir was then.
  if (fs.existsSync(sessionFilePath(ensembleStateDir(spec), hash64(`${spec.configFile}\0${spec.dir}`)))) return spec.dir;
  const mine = ensembleOwner(spec);
  for (const batch of spec.batches) {
    const rel = path.relative(spec.root, batch.basedir);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    const then = path.join(spec.dir, rel);
    let names: string[];
    try {
      names = fs.readdirSync(then);
    } catch {
      continue;
    }
    for (const name of names.slice(0, 50)) {
      let state: ReturnType<typeof readRunState>;
      try {
        state = readRunState(path.join(then, name));
      } catch {
        continue;
      }
      if (state?.owner?.key === mine.key) return spec.dir;
    }
  }
  return undefined;
}

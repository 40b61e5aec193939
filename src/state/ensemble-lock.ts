/**
 * What an apply locks: its configuration (`.mensemble/<file>.lock` beside
 * it), so two configurations of one folder apply side by side, and each run
 * folder (`basedir`) its batches write into, so two configurations that share
 * one can never both run the same run. A run folder's lock is a hidden file
 * beside it (`.<basedir name>.mensemble.lock` in its parent), there only
 * while an apply runs: the basedir itself is not created by locking, so an
 * apply refused later writes nothing into it. Locks are taken in one order
 * (the configuration's, then run folders sorted), so two applies never wait
 * on each other in a circle; a held one is refused at once, naming the holder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { EnsembleSpec } from '../config/types.js';
import { displayPath } from '../util/paths.js';
import { configLockFile, ensembleStateDir } from './ensemble-folder.js';
import { acquireLock, type Lock } from './lock.js';

export function runFolderLockFile(basedir: string): string {
  return path.join(path.dirname(basedir), `.${path.basename(basedir)}.mensemble.lock`);
}

export function lockEnsemble(spec: EnsembleSpec, command: string, options: { log?: string } = {}): Lock {
  const main = acquireLock(configLockFile(ensembleStateDir(spec), spec.configFile), command, { ...options, config: spec.configFile });
  const held: Lock[] = [main];
  const made: string[] = [];
  try {
    for (const basedir of [...new Set(spec.batches.map((b) => b.basedir))].sort()) {
      const parent = path.dirname(basedir);
      if (!fs.existsSync(parent)) made.push(...missingFolders(parent));
      const names = spec.batches.filter((b) => b.basedir === basedir).map((b) => `\`${b.name}\``);
      held.push(
        acquireLock(runFolderLockFile(basedir), command, {
          ...options,
          config: spec.configFile,
          subject: `The run folder ${displayPath(basedir)} (batch ${names.join(', ')})`,
        }),
      );
    }
  } catch (err) {
    release(held, made);
    throw err;
  }
  return {
    file: main.file,
    tookOver: main.tookOver ?? held.find((l) => l.tookOver)?.tookOver,
    assertHeld() {
      for (const lock of held) lock.assertHeld();
    },
    release() {
      release(held, made);
    },
  };
}

/** Folders from the first missing one down to `dir`, outermost first (made by acquireLock). */
function missingFolders(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; !fs.existsSync(d); d = path.dirname(d)) out.unshift(d);
  return out;
}

function release(held: Lock[], made: string[]): void {
  for (const lock of held.reverse()) lock.release();
  // Parent folders made only to hold a lock go again if nothing was put in them.
  for (const dir of made.reverse()) {
    try {
      fs.rmdirSync(dir);
    } catch {
      // Not empty (the apply wrote runs there), or gone: leave it.
    }
  }
}

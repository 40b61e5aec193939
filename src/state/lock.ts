import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { displayPath } from '../util/paths.js';
import { processStartTime, isProcessAlive } from '../util/process.js';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
  /** Kernel start time of the holder, so a reused pid is not mistaken for the holder. */
  processStart?: string;
  /** Where a detached apply writes its output. */
  log?: string;
}

export interface Lock {
  file: string;
  release(): void;
}

/**
 * Takes the ensemble's lock (`.mensemble/lock`), created with O_EXCL so two
 * processes cannot both win. A lock left by a dead process on this host is
 * taken over; a live holder is named in the error.
 */
export function acquireLock(ensembleStateDir: string, command: string): Lock {
  fs.mkdirSync(ensembleStateDir, { recursive: true });
  const file = path.join(ensembleStateDir, 'lock');
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command, processStart: processStartTime(process.pid), log: process.env.MENSEMBLE_DETACHED_LOG || undefined };
  for (let tries = 0; tries < 5; tries++) {
    try {
      const fd = fs.openSync(file, 'wx', 0o644);
      fs.writeFileSync(fd, `${JSON.stringify(me)}\n`);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      let released = false;
      return {
        file,
        release() {
          if (released) return;
          released = true;
          try {
            const holder = readHolder(file);
            if (holder?.pid === me.pid && holder.host === me.host) fs.rmSync(file, { force: true });
          } catch {
            // Nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(file);
    if (holder && holderIsAlive(holder)) {
      throw new UserError(
        `The ensemble is locked by another mensemble process: pid ${holder.pid} on ${holder.host}, running \`${holder.command}\` since ${holder.startedAt}. ` +
          `Wait for it to finish or stop it; if that process is gone, remove ${displayPath(file)}.`,
      );
    }
    // Dead holder (or a half-written lock from a crash): take it over. Rename
    // first so that only one of several contenders removes it.
    const stale = `${file}.stale-${process.pid}`;
    try {
      fs.renameSync(file, stale);
      fs.rmSync(stale, { force: true });
    } catch {
      // Someone else took it over first; try again.
    }
  }
  throw new UserError(`Could not take the lock ${displayPath(file)}: other processes keep taking it.`);
}

export function readHolder(file: string): LockHolder | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8');
    return JSON.parse(text) as LockHolder;
  } catch {
    return undefined;
  }
}

/** The live process holding the ensemble's lock, if any (for `status`). */
export function currentHolder(ensembleStateDir: string): LockHolder | undefined {
  const holder = readHolder(path.join(ensembleStateDir, 'lock'));
  return holder && holderIsAlive(holder) ? holder : undefined;
}

function holderIsAlive(holder: LockHolder): boolean {
  if (holder.host !== os.hostname()) return true; // cannot tell; assume alive
  if (!isProcessAlive(holder.pid)) return false;
  if (holder.processStart && processStartTime(holder.pid) !== holder.processStart) return false;
  return true;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { displayPath } from '../util/paths.js';
import { userName } from '../util/file-owner.js';
import { readTextIfExists } from '../util/read-text.js';
import { isSameProcess, processStartTime, sleepSync } from '../util/process.js';
import { pausePoint } from '../util/test-hooks.js';

export interface LockHolder {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
  /** Kernel start time of the holder, so a reused pid is not mistaken for the holder. */
  processStart?: string;
  /** Where a detached apply writes its output. */
  log?: string;
  /** The holder refreshes the lock file's time every HEARTBEAT_MS (older mensembles did not: their locks never go stale). */
  heartbeat?: boolean;
  /** The configuration the holder applies (a run folder's lock names it). */
  config?: string;
}

/**
 * A holder on another login node cannot be asked whether it lives (its pid
 * means nothing here), so it shows it: it touches its lock every
 * HEARTBEAT_MS. A lock from another host untouched for STALE_AFTER_MS is a
 * holder that died (the node rebooted, the process was killed) and is taken
 * over. Tests shorten the beat with MENSEMBLE_TEST_LOCK_HEARTBEAT_MS.
 */
const HEARTBEAT_MS = Number(process.env.MENSEMBLE_TEST_LOCK_HEARTBEAT_MS) || 30_000;
const STALE_AFTER_MS = 4 * HEARTBEAT_MS;

/** A lock taken over from a holder on another host whose heartbeat had stopped. */
export interface StaleLock {
  holder: LockHolder;
  silentSeconds: number;
}

export interface Lock {
  file: string;
  /**
   * Throws LockLost when the lock file is no longer this process's: someone
   * deleted it (or took it over) while we worked. Checked before each
   * submission, so two applies can never both submit the same runs.
   */
  assertHeld(): void;
  release(): void;
  /** Set when this lock was taken over from a holder on another host whose heartbeat had stopped. */
  readonly tookOver?: StaleLock;
}

export class LockLost extends UserError {
  constructor(file: string, now: LockHolder | undefined) {
    super(
      `The ensemble's lock ${displayPath(file)} was ${now ? `taken by pid ${now.pid} on ${now.host} (\`${now.command}\`)` : 'removed'} while this apply ran, so it stops before submitting anything more: ` +
        'two applies must never submit the same runs. Jobs already submitted keep running and are recorded; run `mensemble apply` again once no other apply runs.',
    );
  }
}

/**
 * Takes a lock: a configuration's (`.mensemble/<file>.lock`, ensemble-folder.ts)
 * or a run folder's (state/ensemble-lock.ts). The lock file appears whole
 * or not at all: its content is written to a private file first and
 * hard-linked into place, which fails if a lock exists, so two processes
 * cannot both win and nobody ever reads a half-written lock. A lock left by
 * a dead process on this host is taken over; a live holder is named in the
 * error. `log` is where a detached apply writes its output.
 */
export function acquireLock(file: string, command: string, options: { log?: string; config?: string; subject?: string } = {}): Lock {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const subject = options.subject ?? 'The ensemble';
  const me: LockHolder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command, config: options.config, processStart: processStartTime(process.pid), log: options.log, heartbeat: true };
  const mine = `${JSON.stringify(me)}\n`;
  let tookOver: StaleLock | undefined;
  for (let tries = 0; tries < 50; tries++) {
    if (linkWhole(file, mine)) {
      let released = false;
      // However the process ends (a closed output pipe, an exit from a signal handler), a lock it held goes with it.
      const releaseOnExit = () => lock.release();
      process.once('exit', releaseOnExit);
      const beat = setInterval(() => {
        try {
          if (readText(file) === mine) fs.utimesSync(file, new Date(), new Date());
        } catch {
          // A lost lock is found by assertHeld before the next submission.
        }
      }, HEARTBEAT_MS);
      beat.unref();
      const lock: Lock = {
        file,
        tookOver,
        assertHeld() {
          // Released counts as lost: work still in flight after the apply ended (one run failed, the others were
          // still waiting for a slot) must not go on submitting without the lock.
          if (released || readText(file) !== mine) throw new LockLost(file, released ? undefined : readHolder(file));
        },
        release() {
          if (released) return;
          released = true;
          clearInterval(beat);
          process.off('exit', releaseOnExit);
          try {
            if (readText(file) === mine) fs.rmSync(file, { force: true });
          } catch {
            // Nothing to release.
          }
        },
      };
      return lock;
    }
    const seen = readText(file);
    if (seen === undefined) {
      const odd = notALockFile(file);
      if (odd) throw new UserError(`Cannot take the lock: ${displayPath(file)} is ${odd}, not a lock mensemble wrote. ${options.subject ? 'Remove it' : '`mensemble unlock --yes` removes it'}, if no other apply runs.`);
      continue; // released meanwhile: try again
    }
    const holder = parseHolder(seen);
    if (holder && holderIsAlive(holder, file)) {
      const elsewhere = holder.host !== os.hostname();
      throw new UserError(
        `${subject} is locked by another mensemble process: pid ${holder.pid} on ${holder.host}, running \`${holder.command}\`${options.subject && holder.config ? ` of ${displayPath(holder.config)}` : ''} since ${holder.startedAt}. ` +
          (elsewhere && holder.heartbeat
            ? `Wait for it to finish or stop it there; a holder on another host whose heartbeat stops for ${Math.round(STALE_AFTER_MS / 1000)} s is taken over.`
            : !elsewhere && holder.processStart === undefined
              ? `A process with that pid runs, but the lock records no process start time, so mensemble cannot tell whether it is that apply or another program that got the same pid. Wait for the apply to finish; if none runs, \`mensemble unlock --yes\` removes the lock.`
              : `Wait for it to finish or stop it; if that process is gone, \`mensemble unlock\` removes its lock.`),
      );
    }
    if (holder && holder.host !== os.hostname()) tookOver = { holder, silentSeconds: Math.round((ageMs(file) ?? 0) / 1000) };
    pausePoint('lock-takeover');
    takeOver(file, seen, mine);
  }
  throw new UserError(`Could not take the lock ${displayPath(file)}: other processes keep taking it.`);
}

/** Creates `file` with `content`, whole, unless it exists. */
function linkWhole(file: string, content: string): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, content, { mode: 0o644 });
  try {
    const fd = fs.openSync(temp, 'r');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.linkSync(temp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Removes a dead holder's lock, but only the very lock judged dead: several
 * processes may judge it at once, and by the time one acts another may
 * already hold a fresh lock. A short-lived `lock.takeover` file, itself
 * created whole, lets one of them check and remove at a time.
 */
function takeOver(file: string, dead: string, mine: string): void {
  const mutex = `${file}.takeover`;
  if (!linkWhole(mutex, mine)) {
    // Another process is taking over; a takeover file older than a few seconds was left by a crash.
    const age = ageMs(mutex);
    if (age !== undefined && age > 5000) fs.rmSync(mutex, { force: true });
    else sleepSync(50);
    return;
  }
  try {
    if (readText(file) === dead) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(mutex, { force: true });
  }
}

/**
 * What stands at the lock's path when it is not a lock file mensemble can
 * read (a folder, a link, another user's private file), in words; undefined
 * for a readable file or nothing at all.
 */
export function notALockFile(file: string): string | undefined {
  const stat = fs.lstatSync(file, { throwIfNoEntry: false });
  if (!stat) return undefined;
  if (stat.isSymbolicLink()) {
    const target = fs.readlinkSync(file);
    return `a symbolic link (to ${target}${fs.existsSync(file) ? '' : ', which does not exist'})`;
  }
  if (stat.isDirectory()) return 'a folder';
  if (!stat.isFile()) return 'a special file (not a regular file)';
  try {
    fs.accessSync(file, fs.constants.R_OK);
  } catch {
    return `a file mensemble cannot read (owned by ${userName(stat.uid)}, mode ${(stat.mode & 0o777).toString(8)})`;
  }
  return undefined;
}

function readText(file: string): string | undefined {
  try {
    // Never waits on a FIFO put at the lock's path (notALockFile names it).
    return readTextIfExists(file);
  } catch {
    return undefined;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  let holder: Partial<LockHolder> | null;
  try {
    holder = JSON.parse(text) as Partial<LockHolder> | null;
  } catch {
    return undefined; // damaged (a power cut): no live holder can be named
  }
  // Of the wrong shape (edited by hand, another tool's file): no holder can be named either.
  if (!holder || typeof holder !== 'object' || !Number.isInteger(holder.pid) || holder.pid! <= 1 || typeof holder.host !== 'string') return undefined;
  return { ...holder, command: String(holder.command ?? '?'), startedAt: String(holder.startedAt ?? '?'), config: typeof holder.config === 'string' ? holder.config : undefined } as LockHolder;
}

function ageMs(file: string): number | undefined {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

export function readHolder(file: string): LockHolder | undefined {
  const text = readText(file);
  return text === undefined ? undefined : parseHolder(text);
}

/** The live process holding a lock, if any (for `status`). */
export function currentHolder(file: string): LockHolder | undefined {
  const holder = readHolder(file);
  return holder && holderIsAlive(holder, file) ? holder : undefined;
}

/**
 * On this host, whether its process lives; on another, whether its
 * heartbeat is recent (a holder without one, from an older mensemble, is
 * taken for alive: it cannot be told).
 */
function holderIsAlive(holder: LockHolder, file: string): boolean {
  if (holder.host === os.hostname()) return aliveHere(holder);
  if (!holder.heartbeat) return true;
  return (ageMs(file) ?? 0) < STALE_AFTER_MS;
}

/** A holder on this host whose process (the same process, not one that reused its pid) still runs. */
function aliveHere(holder: LockHolder): boolean {
  return isSameProcess(holder.pid, holder.processStart);
}

export type UnlockOutcome = { removed: LockHolder | undefined } | { refused: 'alive-here'; holder: LockHolder } | { removedOdd: string };

/**
 * `mensemble unlock`: removes the ensemble's lock whoever holds it, except a
 * live process on this host (stop that one instead). Returns whose it was.
 */
export function removeLock(file: string): UnlockOutcome {
  const odd = notALockFile(file);
  if (odd) {
    // Not a lock an apply holds (none could write it there): it only stands in every apply's way.
    fs.rmSync(file, { recursive: true, force: true });
    return { removedOdd: odd };
  }
  const seen = readText(file);
  if (seen === undefined) return { removed: undefined };
  const holder = parseHolder(seen);
  // Only a holder provably alive here is refused: a lock without a process start time cannot tell its
  // apply from another program that got the same pid, and the user who asked with --yes is not told to kill that.
  if (holder && holder.host === os.hostname() && holder.processStart !== undefined && aliveHere(holder)) return { refused: 'alive-here', holder };
  // Only the lock read above: one taken meanwhile by a new apply stays.
  if (readText(file) === seen) fs.rmSync(file, { force: true });
  return { removed: holder ?? { pid: 0, host: '?', startedAt: '?', command: '(a lock file mensemble cannot read)' } };
}

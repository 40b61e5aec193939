import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../../../state/run-state.js';
import { configLockFile } from '../../../state/ensemble-folder.js';
import { notALockFile, readHolder, removeLock } from '../../../state/lock.js';
import { UserError } from '../../../util/errors.js';
import { displayPath } from '../../../util/paths.js';
import { configPath } from '../../options.js';

/**
 * `mensemble unlock`: removes the ensemble's lock, as Terraform's
 * force-unlock does, for a holder that cannot be asked (another login node
 * that went away). It names the holder first and needs --yes; a live
 * process on this host is never unlocked (stop it instead). The
 * configuration is not read: a broken one must not keep a lock in place.
 */
export async function unlockCommand(config: string | undefined, flags: { yes?: boolean }): Promise<number> {
  const file = configPath(config);
  const stateDir = path.join(fs.realpathSync(path.dirname(file)), STATE_DIR);
  const lockFile = configLockFile(stateDir, file);
  if (!fs.lstatSync(lockFile, { throwIfNoEntry: false })) {
    process.stdout.write(`The ensemble is not locked (no ${displayPath(lockFile)}).\n`);
    return 0;
  }
  const odd = notALockFile(lockFile);
  if (odd && !flags.yes) throw new UserError(`${displayPath(lockFile)} is ${odd}, not a lock mensemble wrote, and it keeps every apply out. Run \`mensemble unlock --yes\` to remove it.`);
  if (!flags.yes) {
    const h = readHolder(lockFile);
    const holder = h ? `pid ${h.pid} on ${h.host} (\`${h.command}\`, since ${h.startedAt})` : 'a lock file mensemble cannot read';
    throw new UserError(`${displayPath(lockFile)} is held by ${holder}. If that apply is gone (its login node rebooted, it was killed), run \`mensemble unlock --yes\` to remove the lock; an apply that still runs would then go on without it, and two applies could submit the same runs.`);
  }
  const outcome = removeLock(lockFile);
  if ('refused' in outcome) {
    throw new UserError(`Not unlocking: pid ${outcome.holder.pid} on this host (\`${outcome.holder.command}\`, since ${outcome.holder.startedAt}) holds the lock and is running. Stop it (Ctrl-C where it runs, or \`kill ${outcome.holder.pid}\`): it releases its lock as it stops.`);
  }
  if ('removedOdd' in outcome) {
    process.stdout.write(`Removed ${displayPath(lockFile)}: it was ${outcome.removedOdd}, not a lock an apply holds.\n`);
    return 0;
  }
  const h = outcome.removed;
  process.stdout.write(h ? `Removed the lock held by pid ${h.pid} on ${h.host} (\`${h.command}\`, since ${h.startedAt}).\n` : 'The ensemble is not locked.\n');
  return 0;
}

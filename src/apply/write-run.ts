import fs from 'node:fs';
import path from 'node:path';
import { isInside } from '../util/paths.js';
import { removeFileInside } from '../util/no-follow.js';
import type { DesiredRun } from '../plan/types.js';
import { copyFileAtomic, symlinkAtomic, writeFileAtomic } from '../state/atomic-write.js';
import { writeRunState, type FileRecord, type RunState } from '../state/run-state.js';
import { masked } from '../util/umask.js';
import { UserError } from '../util/errors.js';
import { smallCopySource } from './copy-sources.js';

/**
 * Writes a run directory from its desired files and records what was
 * written. Each file is replaced atomically; the state that names the new
 * input hash is written last, so a crash part-way leaves a run that the next
 * plan still shows as needing this render.
 */
export function writeRun(run: DesiredRun, previous: RunState | undefined, options: { replace?: boolean } = {}): RunState {
  // A directory that did not exist has no reader and no old content to protect: files are
  // written in place (no temp file and rename). A crash part-way leaves a directory without
  // state, which the next plan shows as `create` and which is then rewritten atomically.
  // mkdir says whether it created the folder (it returns the first folder it made): no
  // separate existence check, and no window for someone else's folder to be taken as new.
  const created = fs.mkdirSync(run.dir, { recursive: true }) !== undefined;
  const fresh = previous === undefined && created;
  if (!created) refuseLinkedFolders(run);
  const made = new Set<string>([run.dir]);
  const parentOf = (target: string) => {
    const parent = path.dirname(target);
    if (!made.has(parent)) fs.mkdirSync(parent, { recursive: true });
    made.add(parent);
  };
  const files: Record<string, FileRecord> = {};
  for (const file of run.files) {
    const target = path.join(run.dir, file.path);
    if (!fresh) makeRoomFor(run.dir, file.path, file.kind === 'dir', previous);
    let stat: fs.Stats;
    switch (file.kind) {
      case 'dir':
        fs.mkdirSync(target, { recursive: true, mode: file.mode });
        made.add(target);
        files[file.path] = { kind: 'dir', hash: file.hash, mode: file.mode };
        continue;
      case 'rendered':
        parentOf(target);
        if (fresh) stat = writeInPlace(target, file.mode, (fd) => fs.writeFileSync(fd, file.content));
        else {
          writeFileAtomic(target, file.content, file.mode, NOT_DURABLE);
          stat = fs.statSync(target);
        }
        break;
      case 'copy':
        parentOf(target);
        if (fresh) {
          const bytes = smallCopySource(file.source, file.hash);
          if (bytes) stat = writeInPlace(target, file.mode, (fd) => fs.writeFileSync(fd, bytes));
          else {
            fs.copyFileSync(file.source, target, fs.constants.COPYFILE_FICLONE);
            stat = writeInPlace(target, file.mode, () => undefined, 'r+');
          }
        } else {
          copyFileAtomic(file.source, target, file.mode, NOT_DURABLE);
          stat = fs.statSync(target);
        }
        break;
      case 'symlink':
        parentOf(target);
        symlinkAtomic(file.target, target);
        files[file.path] = { kind: 'symlink', hash: file.hash };
        continue;
    }
    files[file.path] = { kind: file.kind, hash: file.hash, mode: file.mode, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
  }
  // Files an earlier render wrote that the templates no longer produce.
  for (const [rel, rec] of Object.entries(previous?.files ?? {})) {
    if (files[rel] || rec.kind === 'dir') continue;
    // A state file is data (ensembles are shared and copied): never delete a path it names
    // outside the run directory, by its spelling or through a folder that became a link.
    removeFileInside(run.dir, path.join(run.dir, rel));
  }
  const state: RunState = {
    version: 1,
    id: run.id,
    batch: run.batch.name,
    inputHash: run.inputHash,
    vars: run.varsCanonical,
    files,
    jobFile: run.batch.jobFile,
    options: run.options,
    renderedAt: new Date().toISOString(),
    attempts: previous?.attempts ?? [],
    tasks: previous?.tasks ?? {},
    completed: previous?.completed,
    owner: run.owner,
    ...(previous?.replaced ? { replaced: previous.replaced } : {}),
  };
  if (options.replace && previous) {
    // Asked for (`--replace`): the run starts over with the same inputs, in the same state write as its files.
    // Its earlier attempts and their logs stay; its tasks run again; it is no longer complete.
    const numbers = previous.attempts.filter((a) => a.inputHash === run.inputHash).map((a) => a.attempt);
    state.replaced = { inputHash: run.inputHash, afterAttempt: Math.max(0, ...numbers), at: new Date().toISOString() };
    state.tasks = Object.fromEntries(Object.entries(state.tasks).filter(([, t]) => t.inputHash !== run.inputHash));
    delete state.completed;
  }
  // The render record need not survive a power cut: lost, the run is rendered
  // again. The intent to submit, written next, is durable (run-driver.ts).
  writeRunState(run.dir, state, NOT_DURABLE);
  return state;
}

const NOT_DURABLE = { durable: false } as const;

/**
 * Before anything is written into an existing run directory: no folder the
 * templates write into may be a symbolic link (planted in a shared run
 * directory, or made by hand), or the render would write wherever it leads.
 * The link itself is a file the templates put there only when they have it.
 */
function refuseLinkedFolders(run: DesiredRun): void {
  const checked = new Set<string>();
  const linkedFolders = new Set(run.files.filter((f) => f.kind === 'symlink').map((f) => path.join(run.dir, f.path)));
  for (const file of run.files) {
    const target = path.join(run.dir, file.path);
    for (let folder = file.kind === 'dir' ? target : path.dirname(target); folder !== run.dir && isInside(run.dir, folder); folder = path.dirname(folder)) {
      if (checked.has(folder)) break;
      checked.add(folder);
      if (linkedFolders.has(folder)) continue;
      const stat = fs.lstatSync(folder, { throwIfNoEntry: false });
      if (stat?.isSymbolicLink()) {
        throw new UserError(
          `${path.relative(run.dir, folder)} in the run directory ${run.dir} is a symbolic link (to ${fs.readlinkSync(folder)}), where the templates have a folder; mensemble will not write through it. ` +
            'Remove the link (what it points to is not touched), then apply again.',
        );
      }
    }
  }
}

/**
 * A template folder's folder that became a file, or a file that became a
 * folder: what stands in the run directory is of the other kind. What an
 * earlier render wrote there is removed (a folder only once it holds nothing
 * else); anything else is the user's, and the run is refused with its name
 * instead of failing on it (EISDIR, EEXIST, ENOTDIR) or deleting it.
 */
function makeRoomFor(runDir: string, rel: string, wantFolder: boolean, previous: RunState | undefined): void {
  const target = path.join(runDir, rel);
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!stat || stat.isDirectory() === wantFolder) return;
  if (!wantFolder) {
    // Ours first, deepest first; then the folder itself, if nothing else is left in it.
    const ours = Object.keys(previous?.files ?? {}).filter((p) => p.startsWith(`${rel}/`)).sort((a, b) => b.length - a.length);
    for (const p of ours) {
      const full = path.join(runDir, p);
      if (previous!.files[p]!.kind === 'dir') removeEmptyFolder(full);
      else removeFileInside(runDir, full);
    }
    if (removeEmptyFolder(target)) return;
    throw new UserError(
      `${rel} in the run directory ${runDir} is a folder holding files mensemble did not write, where the templates now have a file; mensemble will not delete them. Move the folder away, then apply again.`,
    );
  }
  if (previous?.files[rel] && previous.files[rel]!.kind !== 'dir') {
    removeFileInside(runDir, target);
    return;
  }
  throw new UserError(`${rel} in the run directory ${runDir} is a file mensemble did not write, where the templates now have a folder; mensemble will not delete it. Move it away, then apply again.`);
}

/** Removes a folder that holds nothing; says whether it did. */
function removeEmptyFolder(folder: string): boolean {
  try {
    fs.rmdirSync(folder);
    return true;
  } catch (err) {
    if (['ENOTEMPTY', 'EEXIST', 'ENOENT', 'ENOTDIR'].includes((err as NodeJS.ErrnoException).code ?? '')) return false;
    throw err;
  }
}

/** Opens `target`, lets `fill` write it, sets the exact mode (as the template has it) and returns its stat. */
function writeInPlace(target: string, mode: number, fill: (fd: number) => void, flags = 'w'): fs.Stats {
  const fd = fs.openSync(target, flags, mode);
  try {
    fill(fd);
    fs.fchmodSync(fd, masked(mode));
    return fs.fstatSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

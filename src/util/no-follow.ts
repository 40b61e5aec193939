import fs from 'node:fs';
import path from 'node:path';
import { isInside } from './paths.js';

/**
 * The first folder on the way from `root` (not itself) down to `target`'s
 * parent that is not a real folder: a symbolic link, a file, or missing.
 * Spellings are not enough to keep a path inside a run: `data/input.nml`
 * lies outside it as soon as `data` is a link to a shared folder. Whoever
 * deletes or writes by a path from a state file asks this first.
 */
function linkOnTheWay(root: string, target: string): string | undefined {
  if (!isInside(root, target) || target === root) return target;
  const parts = path.relative(root, path.dirname(target)).split(path.sep).filter((p) => p !== '' && p !== '.');
  let folder = root;
  for (const part of parts) {
    folder = path.join(folder, part);
    const stat = fs.lstatSync(folder, { throwIfNoEntry: false });
    if (!stat || !stat.isDirectory()) return folder;
  }
  return undefined;
}

/**
 * Removes `target` (a file or a link, never what a link points to, never a
 * folder) when every folder between `root` and it is a real folder. Says
 * whether it removed something.
 */
export function removeFileInside(root: string, target: string): boolean {
  if (linkOnTheWay(root, target) !== undefined) return false;
  const stat = fs.lstatSync(target, { throwIfNoEntry: false });
  if (!stat || stat.isDirectory()) return false;
  fs.rmSync(target, { force: true });
  return true;
}

import path from 'node:path';
import { UserError } from './errors.js';

/**
 * Resolves a path from the configuration, written relative to `from`
 * (default: `base`, the ensemble's folder). Relative paths must stay inside
 * `base`: a relative path that climbs out of it is almost always a mistake
 * and, on a shared cluster, a dangerous one. A path the user wrote as
 * absolute is taken as it is.
 */
export function placeInside(base: string, written: string, from = base): { path: string } | { problem: string } {
  if (path.isAbsolute(written)) return { path: path.normalize(written) };
  const resolved = path.resolve(from, written);
  if (isInside(base, resolved)) return { path: resolved };
  return {
    problem:
      `\`${written}\` resolves to ${resolved}, outside the ensemble's folder ${base}. ` +
      'Relative paths must stay inside the folder that holds the configuration; write an absolute path if you really mean a place outside it.',
  };
}

/** placeInside, throwing its problem as a UserError that starts with `what`. */
export function resolveInside(base: string, written: string, what: string, from = base): string {
  const placed = placeInside(base, written, from);
  if ('problem' in placed) throw new UserError(`${what} ${placed.problem}`);
  return placed.path;
}

/** A glob of paths inside a folder that leaves it: absolute, or with a `..` segment. */
export function patternLeaves(pattern: string): boolean {
  return path.isAbsolute(pattern) || pattern.split(/[\\/]/).includes('..');
}

export function isInside(base: string, candidate: string): boolean {
  const rel = path.relative(base, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * A path as a process started in `cwd` should open it, for a process that may
 * outlive a move of its folder (a job whose ensemble is renamed while it
 * runs): relative to `cwd` when it lies inside `cwd` or its parent (the run
 * folder, the batch's notices beside it), so that it follows the process's
 * working folder, which moves with the folder; absolute otherwise.
 */
export function fromWorkingFolder(cwd: string, target: string): string {
  return isInside(path.dirname(cwd), target) ? path.relative(cwd, target) || '.' : target;
}

/** A path inside the folder `from` as it is after that folder moved to `to`; any other path as it is. */
export function movedPath(p: string, from: string, to: string): string {
  return path.isAbsolute(p) && isInside(from, p) ? path.join(to, path.relative(from, p)) : p;
}

/** Paths shown to the user are relative to the working directory when that is shorter. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p;
}

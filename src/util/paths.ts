import path from 'node:path';
import { UserError } from './errors.js';

/**
 * Resolves a path from the configuration. Relative paths must stay inside
 * `base` (the ensemble's folder): a relative path that climbs out of it is
 * almost always a mistake and, on a shared cluster, a dangerous one. A path
 * the user wrote as absolute is taken as it is.
 */
export function resolveInside(base: string, written: string, what: string): string {
  if (path.isAbsolute(written)) return path.normalize(written);
  const resolved = path.resolve(base, written);
  if (!isInside(base, resolved)) {
    throw new UserError(
      `${what} \`${written}\` resolves to ${resolved}, outside the ensemble's folder ${base}. ` +
        'Relative paths must stay inside the folder that holds the configuration; write an absolute path if you really mean a place outside it.',
    );
  }
  return resolved;
}

export function isInside(base: string, candidate: string): boolean {
  const rel = path.relative(base, candidate);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/** Paths shown to the user are relative to the working directory when that is shorter. */
export function displayPath(p: string): string {
  const rel = path.relative(process.cwd(), p);
  return rel && !rel.startsWith('..') && rel.length < p.length ? rel : p;
}

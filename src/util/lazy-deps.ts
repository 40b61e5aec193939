import { createRequire } from 'node:module';
import { embedded } from './embedded.js';

// Loading execa takes about 110 ms here and fast-glob about 30 ms: more than
// rendering 1,000 runs. Most commands never need them (an apply on the local
// backend with no tasks runs neither), so they load on first use.

/** execa, loaded when the first task command or SLURM command runs. */
export async function loadExeca(): Promise<typeof import('execa').execa> {
  return (await import('execa')).execa;
}

const require = createRequire(import.meta.url);

/** fast-glob (a CommonJS package, so it can be loaded synchronously where a caller is synchronous). */
export function fastGlob(): typeof import('fast-glob') {
  return embedded()?.fastGlob ?? (require('fast-glob') as typeof import('fast-glob'));
}

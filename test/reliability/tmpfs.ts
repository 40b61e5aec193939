import { spawnSync } from 'node:child_process';
import { tempDir } from '../helpers.js';

/**
 * A tmpfs of `size` mounted on a new temporary folder, for tests of full and
 * read-only disks. Mounting needs root: elsewhere the tests skip with a
 * reason, but under CI (root, as for the SLURM cluster) not being able to
 * mount is a failure.
 */
export function tmpfs(size: string): { mountpoint: string; mounted: boolean; skip: string | false } {
  const mountpoint = tempDir('mensemble-tmpfs-');
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0755`, 'tmpfs', mountpoint]).status === 0;
  const skip = mounted ? false : process.env.CI === 'true' ? false : 'mounting a tmpfs needs root';
  return { mountpoint, mounted, skip };
}

import fs from 'node:fs';
import path from 'node:path';
import type { RunState } from '../state/run-state.js';
import { hashFile, linkHash } from '../util/hash.js';
import type { Drift } from './types.js';

/** Files mensemble wrote that no longer match what it wrote. Cheap when nothing changed (stat only). */
export function detectDrift(dir: string, state: RunState): Drift[] {
  const drift: Drift[] = [];
  for (const [rel, rec] of Object.entries(state.files)) {
    if (rec.kind === 'dir') continue;
    const full = path.join(dir, rel);
    let stat: fs.Stats;
    try {
      stat = fs.lstatSync(full);
    } catch {
      drift.push({ path: rel, change: 'deleted' });
      continue;
    }
    if (rec.kind === 'symlink') {
      if (!matchesOnDisk(full, stat, 'symlink', rec.hash)) drift.push({ path: rel, change: 'link-changed' });
      continue;
    }
    if (stat.size === rec.size && stat.mtimeMs === rec.mtimeMs && stat.ino === rec.ino) continue;
    if (!matchesOnDisk(full, stat, rec.kind, rec.hash)) drift.push({ path: rel, change: 'modified' });
  }
  return drift;
}

/** Whether what is at `full` (its lstat given) is the file or link with this hash: files by content, links by target. */
export function matchesOnDisk(full: string, stat: fs.Stats, kind: 'symlink' | 'rendered' | 'copy', hash: string): boolean {
  if (kind === 'symlink') return stat.isSymbolicLink() && linkHash(fs.readlinkSync(full)) === hash;
  return stat.isFile() && hashFile(full) === hash;
}

import fs from 'node:fs';
import path from 'node:path';
import { hashFile } from '../util/hash.js';
import { readJsonFile, writeJsonAtomic } from './atomic-write.js';

interface Entry {
  size: number;
  mtimeMs: number;
  ino: number;
  hash: string;
}

/**
 * Content hashes of copied (non-template) files, keyed by path and checked
 * against (size, mtime, inode), so a large data file is read once, not on
 * every plan. Kept in the ensemble's `.mensemble/hash-cache.json`.
 */
export class HashCache {
  private entries: Record<string, Entry> = {};
  private dirty = false;

  constructor(private readonly file: string) {
    let loaded: unknown;
    try {
      loaded = readJsonFile<unknown>(file);
    } catch {
      loaded = undefined; // a damaged cache only costs hashing the files again
    }
    if (loaded && typeof loaded === 'object' && !Array.isArray(loaded)) this.entries = loaded as Record<string, Entry>;
  }

  hash(file: string, stat: fs.Stats): string {
    const hit = this.entries[file];
    if (hit && typeof hit.hash === 'string' && hit.size === stat.size && hit.mtimeMs === stat.mtimeMs && hit.ino === stat.ino) return hit.hash;
    const hash = hashFile(file);
    this.entries[file] = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino, hash };
    this.dirty = true;
    return hash;
  }

  /** Saves the cache if it changed and the ensemble's state folder exists (plan never creates it). */
  save(): void {
    if (!this.dirty || !fs.existsSync(path.dirname(this.file))) return;
    writeJsonAtomic(this.file, this.entries);
    this.dirty = false;
  }
}

import fs from 'node:fs';
import path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../state/atomic-write.js';

/**
 * Input hashes of runs rendered before, by render key (template-set
 * fingerprint, the run's canonical variables, job file and scheduler
 * options), in the ensemble's `.mensemble/render-memo.json`. Rendering is a
 * pure function of the render key, so a run whose key is here needs no
 * rendering to be planned: an up-to-date ensemble plans without rendering
 * anything. Losing or deleting the file costs one full render, nothing else.
 */
export class RenderMemo {
  private entries: Record<string, string> = Object.create(null);
  private readonly used = new Set<string>();
  private dirty = false;

  constructor(private readonly file: string) {
    let loaded: Record<string, string> | undefined;
    try {
      loaded = readJsonFile<Record<string, string>>(file);
    } catch {
      loaded = undefined; // a damaged memo is only a slower plan: start afresh
    }
    if (loaded && typeof loaded === 'object' && !Array.isArray(loaded)) Object.assign(this.entries, loaded);
  }

  get(key: string): string | undefined {
    const hit = this.entries[key];
    if (typeof hit !== 'string') return undefined;
    this.used.add(key);
    return hit;
  }

  set(key: string, inputHash: string): void {
    this.entries[key] = inputHash;
    this.used.add(key);
    this.dirty = true;
  }

  /**
   * Saves the memo if it changed and the ensemble's state folder exists
   * (plan never creates it). Keys not used by this plan are kept (another
   * `--target` may need them) until they outnumber the used ones.
   */
  save(): void {
    const keys = Object.keys(this.entries);
    const stale = keys.length - this.used.size;
    if (stale > this.used.size + 1000) {
      const kept: Record<string, string> = Object.create(null);
      for (const k of this.used) kept[k] = this.entries[k]!;
      this.entries = kept;
      this.dirty = true;
    }
    if (!this.dirty || !fs.existsSync(path.dirname(this.file))) return;
    writeJsonAtomic(this.file, this.entries, { durable: false });
    this.dirty = false;
  }
}

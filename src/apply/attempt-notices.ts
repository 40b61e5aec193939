import fs from 'node:fs';
import path from 'node:path';

/** How often each notice folder is listed whatever the file-system watch says: network file systems send no events. */
const SCAN_EVERY_MS = 1000;
/** Events come in bursts (a write and a rename per notice, many jobs ending together): one listing per burst. */
const SETTLE_MS = 20;

/**
 * Hears the notices job wrappers leave when an attempt starts or ends
 * (state/attempt-records.ts): a file-system watch on each notice folder,
 * and a listing of it every second for file systems where a watch hears
 * nothing (NFS, Lustre and GPFS see no other node's writes). Each notice is
 * consumed (deleted) and handed on by name; what it means is read from the
 * attempt's records, so a notice lost or left behind changes nothing.
 */
export class AttemptNotices {
  private readonly folders = new Map<string, { watcher?: fs.FSWatcher }>();
  private timer: NodeJS.Timeout | undefined;
  private pending: NodeJS.Timeout | undefined;

  constructor(private readonly heard: (name: string) => void) {}

  /** Starts listening on a folder (made if missing); a folder already listened to is left as it is. */
  listen(folder: string): void {
    if (this.folders.has(folder)) return;
    const entry: { watcher?: fs.FSWatcher } = {};
    try {
      fs.mkdirSync(folder, { recursive: true });
      entry.watcher = fs.watch(folder, { persistent: false }, () => this.soon());
      // A watch that fails later (the folder removed) leaves the scans to do the work.
      entry.watcher.on('error', () => entry.watcher?.close());
    } catch {
      // No watch here (inotify limits, a file system without it): the scans alone.
    }
    this.folders.set(folder, entry);
    this.timer ??= setInterval(() => this.scan(), SCAN_EVERY_MS).unref();
    this.scan();
  }

  close(): void {
    for (const entry of this.folders.values()) entry.watcher?.close();
    this.folders.clear();
    if (this.timer) clearInterval(this.timer);
    if (this.pending) clearTimeout(this.pending);
    this.timer = this.pending = undefined;
  }

  private soon(): void {
    this.pending ??= setTimeout(() => {
      this.pending = undefined;
      this.scan();
    }, SETTLE_MS);
  }

  private scan(): void {
    for (const folder of this.folders.keys()) {
      let names: string[];
      try {
        names = fs.readdirSync(folder);
      } catch {
        continue;
      }
      const heard = new Set<string>();
      for (const file of names) {
        const m = /^([0-9a-f]+)\.(?:start|end)$/.exec(file);
        if (!m) continue;
        fs.rmSync(path.join(folder, file), { force: true });
        heard.add(m[1]!);
      }
      for (const name of heard) this.heard(name);
    }
  }
}

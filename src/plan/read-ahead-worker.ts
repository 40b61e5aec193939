// The read-ahead thread (plan/read-ahead.ts): reads every run folder's state
// and checks its rendered files for drift, while the main thread computes the
// desired state. It only reads. A folder it cannot make sense of (no state,
// a damaged one, an error) is left out: the main thread looks at it again
// itself, so every problem is reported by one code path, observe.ts's.
import fs from 'node:fs';
import path from 'node:path';
import { workerData, type MessagePort } from 'node:worker_threads';
import { initHashing } from '../util/hash.js';
import { readTextIfExists } from '../util/read-text.js';
import { STATE_DIR, parseRunState, runStatePath } from '../state/run-state.js';
import { detectDrift } from './drift.js';
import type { ReadAheadFound, ReadAheadInput } from './read-ahead.js';

const BATCH = 1000;

async function main(input: ReadAheadInput & { port: MessagePort }): Promise<void> {
  const port = input.port;
  await initHashing();
  let batch: ReadAheadFound[] = [];
  for (const basedir of input.basedirs) {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(basedir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      // Folders and links (to folders, it is hoped): a basedir that also holds many files (data, logs) costs the
      // thread no system call for each.
      if (entry.name === STATE_DIR || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
      const dir = path.join(basedir, entry.name);
      try {
        const file = runStatePath(dir);
        const text = readTextIfExists(file);
        if (text === undefined) continue;
        // A `.mensemble` that is a link is blocked: the main thread looks at the run itself.
        if (!fs.lstatSync(path.dirname(file)).isDirectory()) continue;
        batch.push({ dir, text, drift: detectDrift(dir, parseRunState(text, file)) });
      } catch {
        continue;
      }
      if (batch.length === BATCH) {
        port.postMessage(batch);
        batch = [];
      }
    }
  }
  port.postMessage(batch);
  port.postMessage(null);
}

// Not a top-level await: the single-file build runs this as a CommonJS script.
void main(workerData as ReadAheadInput & { port: MessagePort });

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigCache } from '../config/load.js';
import { NotEncodable, decode, encode } from '../config/value-codec.js';
import { readJsonFile, writeJsonAtomic } from './atomic-write.js';
import { STATE_DIR } from './run-state.js';

/**
 * The configuration cache on disk: `.mensemble/config-cache/<name>.json`
 * beside the configuration, one file per configuration file (a folder may
 * hold several, as model-ensembler's examples do), holding the value of the
 * last version of it that was read and validated, under the key
 * config/load.ts gave it. Written as the render memo is: only where the
 * state folder exists (a plan never creates it), atomically, and a write
 * that fails changes nothing. A missing, damaged or foreign file is a miss.
 */
export function configCacheBeside(configFile: string): ConfigCache {
  const stateDir = path.join(path.dirname(configFile), STATE_DIR);
  const file = path.join(stateDir, 'config-cache', `${crypto.createHash('sha256').update(configFile).digest('hex').slice(0, 16)}.json`);
  return {
    get(key) {
      try {
        const entry = readJsonFile<{ key?: unknown; value?: unknown }>(file);
        return entry && entry.key === key ? { value: decode(entry.value) } : undefined;
      } catch {
        return undefined;
      }
    },
    set(key, value) {
      if (!fs.existsSync(stateDir)) return;
      let encoded: unknown;
      try {
        encoded = encode(value);
      } catch (err) {
        if (err instanceof NotEncodable) return; // read in full every time
        throw err;
      }
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeJsonAtomic(file, { key, value: encoded }, { durable: false });
      } catch {
        // read-only or full: the next command reads the file again
      }
    },
  };
}

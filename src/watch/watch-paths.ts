import path from 'node:path';
import type { EnsembleSpec } from '../config/types.js';
import { RC_NAME, findRcFile } from '../config/rc.js';

/** What `watch` listens to, as folders: editors save by renaming over a file, which a watch on the file itself would lose. */
export interface WatchPaths {
  /** Folders watched one level deep, for the configuration and `.mensemblerc`. */
  shallow: string[];
  /** Template folders, watched with everything inside. */
  deep: string[];
  /** The files inside the shallow folders that matter. */
  files: Set<string>;
}

export function watchPaths(configFile: string, spec: EnsembleSpec | undefined): WatchPaths {
  const configDir = path.dirname(configFile);
  const rc = findRcFile(configDir);
  const files = new Set([configFile, path.join(configDir, RC_NAME)]);
  if (rc) files.add(rc);
  const shallow = [...new Set([...files].map((f) => path.dirname(f)))];
  const deep = [...new Set((spec?.batches ?? []).map((b) => b.templatedir))];
  return { shallow, deep, files };
}

/** True when a change at `file` should re-plan. */
export function isRelevant(file: string, paths: WatchPaths): boolean {
  if (paths.files.has(file)) return true;
  return paths.deep.some((dir) => file === dir || file.startsWith(`${dir}${path.sep}`));
}

import { hash64, linkHash } from '../util/hash.js';
import { renderFile } from './jinja/environment.js';
import type { TemplateSet } from './template-set.js';

/** A file of a run directory as the configuration wants it; rendered content stays in memory until apply. */
export type DesiredFile =
  | { kind: 'dir'; path: string; mode: number; hash: string }
  | { kind: 'rendered'; path: string; mode: number; hash: string; content: string; template: string }
  | { kind: 'copy'; path: string; mode: number; hash: string; source: string }
  | { kind: 'symlink'; path: string; hash: string; target: string };

/** Renders every template of a run in memory and lists the files it copies. Writes nothing. */
export function renderRun(set: TemplateSet, context: object): DesiredFile[] {
  const files: DesiredFile[] = [];
  const templateOutputs = new Set<string>();
  for (const entry of set.entries) if (entry.kind === 'template') templateOutputs.add(entry.output);
  for (const entry of set.entries) {
    switch (entry.kind) {
      case 'dir':
        files.push({ kind: 'dir', path: entry.rel, mode: entry.mode, hash: 'dir' });
        break;
      case 'template': {
        const content = renderFile(set.env, entry.rel, context);
        files.push({ kind: 'rendered', path: entry.output, mode: entry.mode, hash: hash64(content), content, template: entry.rel });
        break;
      }
      case 'copy':
        // A rendered X.j2 wins over a plain X beside it.
        if (!templateOutputs.has(entry.rel)) files.push({ kind: 'copy', path: entry.rel, mode: entry.mode, hash: entry.hash, source: entry.source });
        break;
      case 'symlink':
        files.push({ kind: 'symlink', path: entry.rel, hash: linkHash(entry.target), target: entry.target });
        break;
    }
  }
  return files;
}


import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../state/run-state.js';
import type { BatchSpec } from '../config/types.js';
import { UserError, formatLocation } from '../util/errors.js';
import { displayPath, isInside } from '../util/paths.js';
import type { HashCache } from '../state/hash-cache.js';
import { hash64 } from '../util/hash.js';
import { createEnvironment, type TemplateEnvironment } from './jinja/environment.js';

/** One entry of the template folder, as found on disk. */
export type TemplateEntry =
  | { kind: 'dir'; rel: string; mode: number }
  | { kind: 'template'; rel: string; output: string; mode: number }
  | { kind: 'copy'; rel: string; mode: number; source: string; hash: string; size: number }
  | { kind: 'symlink'; rel: string; target: string };

/** What a batch renders from: its template folder scanned once, and a template environment. */
export interface TemplateSet {
  dir: string;
  env: TemplateEnvironment;
  entries: TemplateEntry[];
  /**
   * A hash of everything in the folder that can change what a run renders
   * (names, modes, template text, copied files' hashes, link targets) and of
   * the renderer's own version: equal fingerprints and equal variables
   * render equal files.
   */
  fingerprint: string;
}

/** Bump when a change to mensemble's renderer changes the output of some template. */
const RENDERER_VERSION = 1;

/** Scans a batch's template folder. Every run of the batch shares the result. */
export function loadTemplateSet(batch: BatchSpec, cache: HashCache): TemplateSet {
  const dir = batch.templatedir;
  let rootStat: fs.Stats;
  try {
    rootStat = fs.statSync(dir);
  } catch {
    throw new UserError(`${formatLocation(batch.location)}: ${batch.where}.templatedir: the template folder ${displayPath(dir)} does not exist.${batch.pathsNote ? ` ${batch.pathsNote}` : ''}`);
  }
  if (!rootStat.isDirectory()) throw new UserError(`${formatLocation(batch.location)}: ${batch.where}.templatedir: ${displayPath(dir)} is not a folder.`);

  const templates = new Set(batch.templates);
  const realRoot = fs.realpathSync(dir);
  const found = new Set<string>();
  const entries: TemplateEntry[] = [];
  const walk = (rel: string): void => {
    const names = fs.readdirSync(path.join(dir, rel)).sort();
    for (const name of names) {
      const childRel = rel ? path.join(rel, name) : name;
      if (childRel === STATE_DIR && !templates.has(childRel)) {
        // Copied into each run, it would stand where mensemble keeps the run's state.
        throw new UserError(
          `${formatLocation(batch.location)}: ${batch.where}.templatedir: ${displayPath(path.join(dir, childRel))} would be copied into each run directory as \`${STATE_DIR}\`, where mensemble keeps the run's state; rename or remove it.`,
        );
      }
      const full = path.join(dir, childRel);
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) {
        const target = fs.readlinkSync(full);
        const leadsTo = path.resolve(path.dirname(full), target);
        if (templates.has(childRel)) {
          // A template is read where the link leads: only inside the template folder.
          const real = fs.existsSync(leadsTo) ? fs.realpathSync(leadsTo) : leadsTo;
          if (!isInside(realRoot, real)) {
            throw new UserError(`${formatLocation(batch.location)}: ${batch.where}.templates: \`${childRel}\` in ${displayPath(dir)} is a symbolic link to ${target}, outside the template folder; a template must be a file inside it.`);
          }
          found.add(childRel);
          entries.push({ kind: 'template', rel: childRel, output: childRel.replace(/\.j2$/, ''), mode: fs.statSync(full).mode & 0o7777 });
        } else if (!path.isAbsolute(target) && !isInside(dir, leadsTo)) {
          throw new UserError(
            `${formatLocation(batch.location)}: ${batch.where}.templatedir: ${displayPath(full)} is a symbolic link to \`${target}\`, which climbs out of the template folder. ` +
              'Each run directory gets a copy of the link, where it would lead somewhere else; make its target absolute if you mean a fixed place.',
          );
        } else {
          entries.push({ kind: 'symlink', rel: childRel, target });
        }
      } else if (stat.isDirectory()) {
        entries.push({ kind: 'dir', rel: childRel, mode: stat.mode & 0o7777 });
        walk(childRel);
      } else if (stat.isFile()) {
        if (templates.has(childRel)) {
          found.add(childRel);
          entries.push({ kind: 'template', rel: childRel, output: childRel.replace(/\.j2$/, ''), mode: stat.mode & 0o7777 });
        } else {
          entries.push({ kind: 'copy', rel: childRel, mode: stat.mode & 0o7777, source: full, hash: cache.hash(full, stat), size: stat.size });
        }
      }
    }
  };
  walk('');
  const missing = batch.templates.filter((t) => !found.has(t));
  if (missing.length > 0) {
    throw new UserError(`${formatLocation(batch.location)}: ${batch.where}.templates: ${missing.map((t) => `\`${t}\``).join(', ')} not found in ${displayPath(dir)}.`);
  }
  const folders = new Set(entries.filter((e) => e.kind === 'dir').map((e) => e.rel));
  for (const e of entries) {
    if (e.kind !== 'template') continue;
    // A template's output must be a file of its own: not a folder of the template folder, not nameless, not mensemble's state.
    const name = e.output.split('/').pop() ?? '';
    if (folders.has(e.output) || name === '' || name === STATE_DIR) {
      const why = folders.has(e.output) ? `which is also a folder in ${displayPath(dir)}` : name === '' ? 'a file without a name' : `mensemble's own state folder`;
      throw new UserError(`${formatLocation(batch.location)}: ${batch.where}.templates: \`${e.rel}\` would render to \`${e.output}\`, ${why}; rename the template.`);
    }
  }
  const outputs = new Set(entries.filter((e) => e.kind !== 'dir').map((e) => (e.kind === 'template' ? e.output : e.rel)));
  if (!outputs.has(batch.jobFile)) {
    const folder = folders.has(batch.jobFile) ? ' (it is a folder)' : '';
    throw new UserError(`${formatLocation(batch.location)}: ${batch.where}.job_file: \`${batch.jobFile}\` is neither a rendered template nor a file in ${displayPath(dir)}${folder}.`);
  }
  return { dir, env: createEnvironment(dir), entries, fingerprint: fingerprintOf(dir, entries) };
}

function fingerprintOf(dir: string, entries: readonly TemplateEntry[]): string {
  const parts: unknown[] = [RENDERER_VERSION];
  for (const e of entries) {
    if (e.kind === 'template') parts.push([e.kind, e.rel, e.output, e.mode, hash64(fs.readFileSync(path.join(dir, e.rel)))]);
    else if (e.kind === 'copy') parts.push([e.kind, e.rel, e.mode, e.hash]);
    else if (e.kind === 'dir') parts.push([e.kind, e.rel, e.mode]);
    else parts.push([e.kind, e.rel, e.target]);
  }
  return hash64(JSON.stringify(parts));
}

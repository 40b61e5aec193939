// model-ensembler's own examples (../shared/model-ensembler/examples/, read
// only: copied first), for the tests that run them unmodified on the local
// backend (test/model-ensembler-examples.test.ts) and on the real SLURM
// cluster (test/slurm.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir, writeTree } from '../helpers.js';

export const SHARED = path.resolve(ROOT, '..', 'shared', 'model-ensembler');
export const skip = fs.existsSync(path.join(SHARED, 'examples')) ? false : `model-ensembler's examples are not at ${SHARED}`;

/**
 * A copy of model-ensembler's repository layout (examples/ and nothing else),
 * and a PATH for running it: the examples' scripts sleep for $RANDOM-derived
 * seconds, and a `sleep` earlier on PATH makes that a tenth of a second,
 * which changes no file they leave (sbatch passes PATH on to the jobs).
 */
export function repository(): { root: string; env: Record<string, string> } {
  const root = tempDir('mensemble-me-');
  fs.cpSync(path.join(SHARED, 'examples'), path.join(root, 'examples'), { recursive: true });
  const bin = tempDir('mensemble-me-bin-');
  writeTree(bin, { 'sleep*': '#!/bin/sh\nexec /bin/sleep 0.1\n' });
  return { root, env: { PATH: `${bin}:${process.env.PATH}` } };
}

/** Every path under `dir` as `find .` lists it, less what `leaveOut` names. */
export function tree(dir: string, leaveOut: (rel: string) => boolean): string[] {
  const out = ['.'];
  const walk = (rel: string) => {
    for (const entry of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel ? `${rel}/${entry.name}` : entry.name;
      if (leaveOut(child)) continue;
      out.push(`./${child}`);
      if (entry.isDirectory()) walk(child);
    }
  };
  walk('');
  return out.sort();
}

/** What mensemble adds of its own beside model-ensembler's files: its state, local job output and task logs (SLURM's slurm-<id>.out too). */
export const mensembleOwn = (rel: string) => /\/slurm-\d+\.out$/.test(rel) || /(^|\/)\.mensemble$/.test(rel) || /\/job-\d+\.log$/.test(rel) || /\/pre_run\.\d+\.execute\.log$/.test(rel);


/** What model-ensembler itself left after its sanity check (`find .` from its repository root). */
export function expectedSanityTree(): string[] {
  return fs.readFileSync(path.join(SHARED, 'expected', 'sanity-check.tree'), 'utf8').split('\n').filter(Boolean).sort();
}

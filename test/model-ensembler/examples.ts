// model-ensembler's own examples, unmodified (test/fixtures/model-ensembler/,
// a copy of ../shared/model-ensembler/), for the tests that run them on the
// local backend (test/model-ensembler-examples.test.ts) and on the real SLURM
// cluster (test/slurm.test.ts). Each test runs a fresh copy.
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir, writeTree } from '../helpers.js';

export const SHARED = path.join(ROOT, 'test', 'fixtures', 'model-ensembler');
/** Where the project's shared copy lives beside the checkout (absent in a clone elsewhere). */
export const UPSTREAM = path.resolve(ROOT, '..', 'shared', 'model-ensembler');

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

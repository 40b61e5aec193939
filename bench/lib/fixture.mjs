// Builds benchmark ensembles. `upToDate` writes every run's directory and a
// completed attempt through mensemble's own modules (no job processes), so a
// 100,000-run "already applied" ensemble takes seconds to prepare.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadEnsemble } from '../../dist/config/load.js';
import { desiredState } from '../../dist/plan/compute.js';
import { writeRun } from '../../dist/apply/write-run.js';
import { writeRunState } from '../../dist/state/run-state.js';

/** A mensemble configuration's template (`dialect: mensemble`); MENSEMBLE_BENCH_DIALECT=model-ensembler measures model-ensembler's `run` instead. */
export const ONE_KB_TEMPLATE = (name) =>
  process.env.MENSEMBLE_BENCH_DIALECT === 'model-ensembler'
    ? `# ${name}: ${'x'.repeat(900)}\nrun = {{ run.id }}\na = {{ run.a }}\nb = {{ run.b }}\nscale = {{ run.scale }}\n`
    : `# ${name}: ${'x'.repeat(900)}\nrun = {{ run.id }}\na = {{ a }}\nb = {{ b }}\nscale = {{ scale }}\n`;

/**
 * An ensemble of `runs` runs (a x b) with two 1 KB templates and a data file
 * of `dataBytes`; `form: 'matrix'` writes them as a matrix, `form: 'runs'` as
 * a model-ensembler `runs:` list, one mapping per run.
 */
export function makeEnsemble(runs, { dataBytes = 1024, job = '#!/bin/sh\ntrue\n', maxjobs = 50, maxruns = 1000, dir, form = 'matrix' } = {}) {
  const root = dir ?? fs.mkdtempSync(path.join(os.tmpdir(), `mensemble-bench-${runs}-`));
  const b = Math.min(runs, 100);
  const a = Math.ceil(runs / b);
  if (a * b !== runs) throw new Error(`runs must be a multiple of ${b}`);
  fs.mkdirSync(path.join(root, 'template'), { recursive: true });
  fs.writeFileSync(path.join(root, 'template', 'model.nml.j2'), ONE_KB_TEMPLATE('model.nml'));
  fs.writeFileSync(path.join(root, 'template', 'job.sh.j2'), `#!/bin/sh\n# ${'y'.repeat(900)}\n${job.replace(/^#!.*\n/, '')}`, { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'template', 'data.bin'), Buffer.alloc(dataBytes, 7));
  fs.writeFileSync(
    path.join(root, 'mensemble.yaml'),
    `${process.env.MENSEMBLE_BENCH_DIALECT === 'model-ensembler' ? '' : 'dialect: mensemble\n'}ensemble:
  vars: { scale: 1.5 }
  batches:
    - name: sweep
      basedir: ./runs
      templatedir: ../template
      templates: [model.nml.j2, job.sh.j2]
      job_file: job.sh
      maxruns: ${maxruns}
      maxjobs: ${maxjobs}
      run_id: "a{{ a }}-b{{ b }}"
${form === 'runs' ? runsList(a, b) : matrix(a, b)}`,
  );
  // Benchmark 1 is about the local backend, even on a machine where SLURM answers.
  // A runs: list of 100,000 runs is about 3 MB, past the default limit on what is read.
  fs.writeFileSync(path.join(root, '.mensemblerc'), `backend: local\npoll_interval: 0.2\n${form === 'runs' ? 'max_config_mb: 16\n' : ''}`);
  return root;
}

const matrix = (a, b) => `      matrix:
        a: [${Array.from({ length: a }, (_, i) => i).join(', ')}]
        b: [${Array.from({ length: b }, (_, i) => i).join(', ')}]
`;
const runsList = (a, b) => `      runs:\n${Array.from({ length: a * b }, (_, i) => `        - a: ${Math.floor(i / b)}\n          b: ${i % b}\n`).join('')}`;

/** Marks every run of the ensemble as rendered and completed, as a finished apply would leave it. */
export async function upToDate(root) {
  // An applied ensemble has its state folder (lock, hash cache, render memo).
  fs.mkdirSync(path.join(root, '.mensemble'), { recursive: true });
  // As the command would read it: a 100,000-run `runs:` list passes the default size limit (.mensemblerc raises it).
  const spec = loadEnsemble(path.join(root, 'mensemble.yaml'), { extraVars: {}, maxConfigMb: 16, cwd: root });
  const desired = await desiredState(spec, []);
  const at = new Date().toISOString();
  for (const run of desired.runs) {
    const state = writeRun(run, undefined);
    state.attempts.push({ attempt: 1, inputHash: run.inputHash, backend: 'local', state: 'completed', jobId: '1', exitCode: 0, submittedAt: at, startedAt: at, endedAt: at });
    state.completed = { inputHash: run.inputHash, at, outcome: 'completed' };
    writeRunState(run.dir, state);
  }
}

export const median = (values) => {
  const s = [...values].sort((x, y) => x - y);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

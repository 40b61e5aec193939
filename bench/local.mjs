// Benchmark 6: the local backend end to end. N runs whose job does nothing
// (`true`), at default settings, `maxjobs` 50: the whole `mensemble apply`
// until every run has completed and is recorded.
//
// Beside it, in the same repeat, the floor: a bare loop that writes the same
// folders and files (two 1 KB files, a 1 KB data file, a 2 KB state, each
// written once) and then starts the same detached wrapper mensemble starts
// local jobs with (dist/util/detached.js, sampling memory as it does for
// jobs) N times, 50 at a time, each waiting for its job to exit. What the
// file system and process creation alone cost.
//   node bench/local.mjs [--runs 10000] [--repeat 3] [--maxjobs 50] [--json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startDetached } from '../dist/util/detached.js';
import { makeEnsemble, median } from './lib/fixture.mjs';
import { BIN, table } from './lib/measure.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', '10000'));
const repeat = Number(arg('--repeat', '3'));
const maxjobs = Number(arg('--maxjobs', '50'));

/** The floor: the same files written by a bare loop, then the same wrapper started `runs` times, `maxjobs` at a time. */
async function floor(dir) {
  const small = 'x'.repeat(1024);
  const state = 's'.repeat(2048);
  const started = performance.now();
  fs.mkdirSync(dir);
  for (let i = 0; i < runs; i++) {
    const run = path.join(dir, `r${i}`);
    fs.mkdirSync(path.join(run, '.mensemble'), { recursive: true });
    fs.writeFileSync(path.join(run, 'model.nml'), small);
    fs.writeFileSync(path.join(run, 'job.sh'), '#!/bin/sh\ntrue\n', { mode: 0o755 });
    fs.writeFileSync(path.join(run, 'data.bin'), small);
    fs.writeFileSync(path.join(run, '.mensemble', 'state.json'), state);
  }
  const writes = (performance.now() - started) / 1000;
  let next = 0;
  const worker = async () => {
    while (next < runs) {
      const run = path.join(dir, `r${next++}`);
      const files = { pid: path.join(run, '.mensemble', 'job.pid'), exit: path.join(run, '.mensemble', 'job.exit'), out: path.join(run, '.mensemble', 'job.out') };
      await startDetached(files, ['/bin/sh', path.join(run, 'job.sh')], { cwd: run, name: 'mensemble-job', measure: true });
      // Its end: the exit file the wrapper writes last.
      while (!fs.existsSync(files.exit)) await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all(Array.from({ length: maxjobs }, worker));
  return { writes, total: (performance.now() - started) / 1000 };
}

function apply(root) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'apply', '--yes'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0 || !out.includes(`Apply complete: ${runs} completed, 0 failed`)) return reject(new Error(`apply exited ${code}: ${out.slice(-300)} ${err.slice(-400)}`));
      resolve({ seconds, mb: Number(err.trim().split('\n').at(-1)) / 1024 });
    });
  });
}

const results = [];
for (let i = 0; i < repeat; i++) {
  const root = makeEnsemble(runs, { dataBytes: 1024, job: '#!/bin/sh\ntrue\n', maxjobs, maxruns: runs });
  // Default settings: nothing but the backend in .mensemblerc.
  fs.writeFileSync(path.join(root, '.mensemblerc'), 'backend: local\n');
  // Alternated, so that a slow spell of the machine falls on both.
  const order = i % 2 === 0 ? ['floor', 'apply'] : ['apply', 'floor'];
  const r = {};
  for (const what of order) {
    if (what === 'floor') r.floor = await floor(path.join(root, 'floor'));
    else r.apply = await apply(root);
  }
  fs.rmSync(root, { recursive: true, force: true });
  results.push(r);
  console.error(`benchmark 6: repeat ${i + 1} of ${repeat}: apply ${r.apply.seconds.toFixed(1)} s, floor ${r.floor.total.toFixed(1)} s (writes ${r.floor.writes.toFixed(1)} s)`);
}
const m = (f) => median(results.map(f));
const row = {
  runs,
  maxjobs,
  'apply s (median)': m((r) => r.apply.seconds).toFixed(1),
  'floor s (median)': m((r) => r.floor.total).toFixed(1),
  'floor writes s': m((r) => r.floor.writes).toFixed(1),
  'x floor (median of ratios)': m((r) => r.apply.seconds / r.floor.total).toFixed(2),
  'apply peak MB': Math.round(m((r) => r.apply.mb)),
};
if (process.argv.includes('--json')) console.log(JSON.stringify({ benchmark: 'local', repeat, row }, null, 2));
else console.log(`Benchmark 6: ${runs} local runs of \`true\`, default settings, ${repeat} alternated repeats\n${table([row])}`);

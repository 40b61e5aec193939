// Benchmark 1: apply a 1,000-run ensemble (two 1 KB templates, a 100 KB data
// file copied into every run) on the local backend with a job that does
// nothing. Reports the time from starting apply until the last run directory
// is written (the last `render` event), the whole apply, and peak memory.
// Beside it, in the same repeat, a bare loop writes the same folders and files
// (no templates, no state logic): what the file system alone costs, so that a
// slow disk shows as a slow floor rather than as slow rendering.
//   node bench/render.mjs [--runs 1000] [--repeat 3] [--json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeEnsemble, median } from './lib/fixture.mjs';
import { BIN, table } from './lib/measure.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', '1000'));
const repeat = Number(arg('--repeat', '3'));

/** Creates what an apply writes for `runs` runs (a folder, two 1 KB files, the 100 KB data file, a 2 KB state) and nothing else: seconds. */
function bareWrites(dir) {
  const small = 'x'.repeat(1024);
  const data = Buffer.alloc(100 * 1024, 7);
  const state = 's'.repeat(2048);
  const started = performance.now();
  fs.mkdirSync(dir);
  for (let i = 0; i < runs; i++) {
    const run = path.join(dir, `r${i}`);
    fs.mkdirSync(run);
    fs.writeFileSync(path.join(run, 'model.nml'), small);
    fs.writeFileSync(path.join(run, 'job.sh'), small);
    fs.writeFileSync(path.join(run, 'data.bin'), data);
    fs.writeFileSync(path.join(run, 'state.json'), state);
  }
  return (performance.now() - started) / 1000;
}

function once() {
  const root = makeEnsemble(runs, { dataBytes: 100 * 1024, job: '#!/bin/sh\ntrue\n', maxjobs: 50, maxruns: runs });
  const bare = bareWrites(path.join(root, 'bare'));
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const startedAt = Date.now();
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, BIN, 'apply', '--yes', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    let lastRender = 0;
    let renders = 0;
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
      for (let i = out.indexOf('\n'); i >= 0; i = out.indexOf('\n')) {
        const line = out.slice(0, i);
        out = out.slice(i + 1);
        if (line.includes('"kind":"render"')) {
          renders++;
          // The event's own time: when the directory was written, not when the pipe delivered the line.
          lastRender = Date.parse(JSON.parse(line).time);
        }
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const total = (performance.now() - started) / 1000;
      fs.rmSync(root, { recursive: true, force: true });
      if (code !== 0 || renders !== runs) return reject(new Error(`apply exited ${code} after ${renders} renders: ${err.slice(-400)}`));
      resolve({ written: (lastRender - startedAt) / 1000, bare, total, mb: Number(err.trim().split('\n').at(-1)) / 1024 });
    });
  });
}

const results = [];
for (let i = 0; i < repeat; i++) results.push(await once());
const row = {
  runs,
  'all dirs written s (median)': median(results.map((r) => r.written)).toFixed(2),
  'bare writes s (median)': median(results.map((r) => r.bare)).toFixed(2),
  'whole apply s (median)': median(results.map((r) => r.total)).toFixed(1),
  'peak MB (median)': Math.round(median(results.map((r) => r.mb))),
  samples: results.map((r) => r.written.toFixed(2)).join(' '),
};
console.log(process.argv.includes('--json') ? JSON.stringify({ benchmark: 'render', ...row }) : table([row]));

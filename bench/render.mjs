// Benchmark 1: apply a 1,000-run ensemble (two 1 KB templates, a 100 KB data
// file copied into every run) on the local backend with a job that does
// nothing. Reports the time from starting apply until the last run directory
// is written (the last `render` event), the whole apply, and peak memory.
//   node bench/render.mjs [--runs 1000] [--repeat 3] [--json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { makeEnsemble, median } from './lib/fixture.mjs';
import { BIN, table } from './lib/measure.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runs = Number(arg('--runs', '1000'));
const repeat = Number(arg('--repeat', '3'));
// Each repeat's ensemble is deleted only after the last repeat. Deleting it
// straight away made the next repeat slower on file systems that skip
// recently freed inodes when creating files (ext4 without a journal, as on
// our VMs: each create then scans past the 5,000 inodes just freed; samples
// grew 0.66 s -> 2.5 s over five repeats). That is the benchmark's own
// deletion being timed, not mensemble.
const made = [];

function once() {
  const root = makeEnsemble(runs, { dataBytes: 100 * 1024, job: '#!/bin/sh\ntrue\n', maxjobs: 50, maxruns: runs });
  made.push(root);
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
      if (code !== 0 || renders !== runs) return reject(new Error(`apply exited ${code} after ${renders} renders: ${err.slice(-400)}`));
      resolve({ written: (lastRender - startedAt) / 1000, total, mb: Number(err.trim().split('\n').at(-1)) / 1024 });
    });
  });
}

const results = [];
try {
  for (let i = 0; i < repeat; i++) results.push(await once());
} finally {
  for (const root of made) fs.rmSync(root, { recursive: true, force: true });
}
const row = {
  runs,
  'all dirs written s (median)': median(results.map((r) => r.written)).toFixed(2),
  'whole apply s (median)': median(results.map((r) => r.total)).toFixed(1),
  'peak MB (median)': Math.round(median(results.map((r) => r.mb))),
  samples: results.map((r) => r.written.toFixed(2)).join(' '),
};
console.log(process.argv.includes('--json') ? JSON.stringify({ benchmark: 'render', ...row }) : table([row]));

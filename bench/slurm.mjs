// Benchmarks 4 and 5, on the local SLURM cluster (sudo bash scripts/slurm-up.sh first).
// Both at default settings (no poll interval, no flags), as users run.
//
// 4. Wall time: 20 runs whose job sleeps 1 s with maxjobs 5. A plain
//    `sbatch --array=0-19%5` of the same job (timed until squeue, asked every
//    0.1 s, no longer shows it) against mensemble apply (until it exits, every
//    run completed and recorded), one job per run and as arrays; interleaved,
//    medians of --repeat.
// 5. Scheduler load: status queries (squeue, sacct, scontrol) per minute of
//    apply for N runs whose job sleeps --job-seconds (15), maxjobs 5 for 20
//    runs and --wide-maxjobs (32) above, counted by logging shims placed
//    before the real commands on PATH.
//
//   node bench/slurm.mjs [--only wall|load] [--repeat 3] [--sizes 20,200] [--job-seconds 15] [--wide-maxjobs 32] [--json]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { median } from './lib/fixture.mjs';
import { BIN, table } from './lib/measure.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const only = arg('--only', 'all');
const repeat = Number(arg('--repeat', '3'));
const sizes = arg('--sizes', '20,200').split(',').map(Number);
const jobSeconds = Number(arg('--job-seconds', '15'));
const wideMaxjobs = Number(arg('--wide-maxjobs', '32'));
const json = process.argv.includes('--json');

if (spawnSync('sinfo', ['-h', '-o', '%T']).status !== 0) {
  console.error('bench/slurm.mjs: no SLURM cluster answers; start one with `sudo bash scripts/slurm-up.sh`.');
  process.exit(1);
}

function ensemble(runs, { sleep, maxjobs, array, pollInterval }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `mensemble-bench-slurm-${runs}-`));
  fs.mkdirSync(path.join(root, 'template'));
  fs.writeFileSync(path.join(root, 'template', 'job.sh.j2'), `#!/bin/sh\nsleep ${sleep}\necho {{ n }} > done.txt\n`);
  fs.writeFileSync(
    path.join(root, 'mensemble.yaml'),
    `dialect: mensemble
ensemble:
  batches:
    - name: b
      basedir: ./runs
      templatedir: ../template
      templates: [job.sh.j2]
      job_file: job.sh
      maxruns: ${runs}
      maxjobs: ${maxjobs}
      array: ${array}
      run_id: "r{{ n }}"
      matrix:
        n: [${Array.from({ length: runs }, (_, i) => i).join(', ')}]
`,
  );
  fs.writeFileSync(path.join(root, '.mensemblerc'), `backend: slurm\n${pollInterval ? `poll_interval: ${pollInterval}\n` : ''}`);
  return root;
}

/** A PATH folder of shims that log each SLURM call and then run the real command. */
function shims(root) {
  const dir = path.join(root, 'shims');
  fs.mkdirSync(dir);
  const log = path.join(root, 'calls.log');
  for (const name of ['sbatch', 'squeue', 'sacct', 'scontrol', 'scancel']) {
    const real = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\necho ${name} >> '${log}'\nexec '${real}' "$@"\n`, { mode: 0o755 });
  }
  return { PATH: `${dir}:${process.env.PATH}`, calls: () => (fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : []) };
}

function apply(root, env = {}) {
  const started = performance.now();
  const r = spawnSync(process.execPath, [BIN, 'apply', '--yes'], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 1 << 28 });
  const seconds = (performance.now() - started) / 1000;
  if (r.status !== 0 || !/Apply complete: \d+ completed, 0 failed/.test(r.stdout)) throw new Error(`apply failed in ${root}: ${r.stderr}${r.stdout.slice(-800)}`);
  return seconds;
}

function plainArray() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-bench-plain-'));
  fs.writeFileSync(path.join(root, 'job.sh'), '#!/bin/sh\nsleep 1\necho $SLURM_ARRAY_TASK_ID > done-$SLURM_ARRAY_TASK_ID.txt\n');
  const started = performance.now();
  const id = spawnSync('sbatch', ['--parsable', '--array=0-19%5', '--no-requeue', 'job.sh'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  if (!/^\d+$/.test(id)) throw new Error(`plain sbatch failed: ${id}`);
  for (;;) {
    const q = spawnSync('squeue', ['-h', '-j', id], { encoding: 'utf8' });
    if (q.status === 0 && q.stdout.trim() === '') break;
    spawnSync('sleep', ['0.1']);
  }
  const seconds = (performance.now() - started) / 1000;
  const done = fs.readdirSync(root).filter((f) => f.startsWith('done-')).length;
  if (done !== 20) throw new Error(`plain array: ${done} of 20 tasks wrote their file`);
  fs.rmSync(root, { recursive: true, force: true });
  return seconds;
}

const results = {};
if (only === 'all' || only === 'wall') {
  const variants = {
    'plain sbatch --array=0-19%5': () => plainArray(),
    'mensemble, defaults (one job per run)': () => apply(ensemble(20, { sleep: 1, maxjobs: 5, array: false })),
    'mensemble, defaults, array: true': () => apply(ensemble(20, { sleep: 1, maxjobs: 5, array: true })),
  };
  const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let i = 0; i < repeat; i++) {
    for (const [name, run] of Object.entries(variants)) times[name].push(run());
    console.error(`benchmark 4: repeat ${i + 1} of ${repeat} done`);
  }
  const base = median(times['plain sbatch --array=0-19%5']);
  results.wall = Object.entries(times).map(([variant, list]) => ({
    variant,
    'median s': median(list).toFixed(2),
    'runs s': list.map((t) => t.toFixed(1)).join(' '),
    'x plain': (median(list) / base).toFixed(2),
  }));
  if (!json) console.log(`Benchmark 4: 20 runs of sleep 1, maxjobs 5, default settings, ${repeat} interleaved repeats\n${table(results.wall)}\n`);
}
if (only === 'all' || only === 'load') {
  results.load = [];
  for (const runs of sizes) {
    for (const array of [false, true]) {
      const maxjobs = runs <= 20 ? 5 : wideMaxjobs;
      const root = ensemble(runs, { sleep: jobSeconds, maxjobs, array });
      const s = shims(root);
      const seconds = apply(root, { PATH: s.PATH });
      const counts = {};
      for (const c of s.calls()) counts[c] = (counts[c] ?? 0) + 1;
      const queries = (counts.squeue ?? 0) + (counts.sacct ?? 0) + (counts.scontrol ?? 0);
      const row = { runs, maxjobs, mode: array ? 'array' : 'job per run', 'apply s': seconds.toFixed(1), sbatch: counts.sbatch ?? 0, squeue: counts.squeue ?? 0, sacct: counts.sacct ?? 0, scontrol: counts.scontrol ?? 0, 'queries per min': ((queries / seconds) * 60).toFixed(2) };
      results.load.push(row);
      // A row as soon as it is measured: the large sizes take minutes each.
      console.error(`benchmark 5: ${JSON.stringify(row)}`);
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
  if (!json) console.log(`Benchmark 5: status queries per minute of apply (sleep ${jobSeconds} jobs, default settings)\n${table(results.load)}`);
}
if (json) console.log(JSON.stringify({ benchmark: 'slurm', repeat, ...results }, null, 2));

// What runs used, what the rest will cost, and the budget, on the local
// backend (the same figures on SLURM come from sacct: test/slurm.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, executions, readState, sweepEnsemble, tempDir } from './helpers.js';

const runIds = (dir: string) => fs.readdirSync(path.join(dir, 'runs')).filter((f) => !f.startsWith('.')).sort();

function addRuns(dir: string, n: number): void {
  const file = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/n: \[[^\]]*\]/, `n: [${Array.from({ length: n }, (_, i) => i + 1).join(', ')}]`));
}

test('local ledger: each attempt records its wall time and CPU time; status totals them per run, batch and ensemble, as text and JSON', () => {
  const dir = tempDir();
  // A job that burns some CPU, so CPU time is not zero.
  sweepEnsemble(dir, { runs: 3, maxjobs: 3, jobBody: '#!/bin/sh\ni=0; while [ $i -lt 30000 ]; do i=$((i+1)); done\nsleep 0.3\n' });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const usages = ['r1', 'r2', 'r3'].map((r) => readState(path.join(dir, 'runs', r)).attempts[0].usage);
  for (const u of usages) {
    assert.equal(u.source, 'wrapper');
    assert.equal(u.cpus, 1, 'a local job counts one core');
    assert.ok(u.elapsedSeconds >= 0.3 && u.elapsedSeconds < 30, JSON.stringify(u));
    assert.equal(u.coreSeconds, u.elapsedSeconds);
    assert.ok(u.cpuSeconds > 0 && u.cpuSeconds <= u.elapsedSeconds + 0.05, JSON.stringify(u));
    assert.deepEqual(u.missing, ['peakMemoryBytes'], 'what the local wrapper cannot tell is named, not guessed');
  }
  const status = JSON.parse(cli(['status', '--json'], dir).stdout);
  const coreHours = usages.map((u) => u.coreSeconds / 3600);
  assert.deepEqual(status.runs.map((r: { usage: { coreHours: number } }) => r.usage.coreHours), coreHours);
  const total = coreHours.reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(status.usage.coreHours - total) < 1e-12);
  assert.equal(status.usage.batches[0].batch, 'sweep');
  assert.ok(Math.abs(status.usage.batches[0].coreHours - total) < 1e-12);
  const cpu = usages.reduce((a, u) => a + u.cpuSeconds, 0) / usages.reduce((a, u) => a + u.coreSeconds, 0);
  assert.ok(Math.abs(status.usage.cpuEfficiency - cpu) < 1e-9);
  assert.equal(status.usage.memoryEfficiency, null);
  const text = cli(['status', '--all'], dir).stdout;
  assert.match(text, /used: <?[\d.]+ core-hours, CPU efficiency \d+%, memory efficiency -/);
  assert.match(text, /RUN +JOB +STATE +ATTEMPT +ELAPSED +CORE-H +CPU +MEM/);
  assert.match(text, /r3 +\d+ +completed +1 /, '--all lists completed runs too');
});

test('the plan estimates the cost of the runs it would submit as N times the basis it names; --max-core-hours below it refuses and submits nothing', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2, maxjobs: 2 });
  // No completed run yet: no basis, and the plan says so rather than guessing.
  const first = JSON.parse(cli(['plan', '--json'], dir).stdout);
  assert.deepEqual(first.cost, { coreHours: null, runs: 2, unestimatedRuns: 2, batches: [{ batch: 'sweep', runs: 2, basis: null, coreHours: null }] });
  assert.match(cli(['plan'], dir).stdout, /Estimated cost: unknown \(2 runs of sweep not estimated: no completed run to go by yet\)\./);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  addRuns(dir, 5);
  const plan = JSON.parse(cli(['plan', '--json'], dir).stdout);
  const basis = ['r1', 'r2'].map((r) => readState(path.join(dir, 'runs', r)).attempts[0].usage.coreSeconds / 3600);
  const perRun = (basis[0]! + basis[1]!) / 2;
  assert.equal(plan.cost.batches[0].basis.runs, 2);
  assert.ok(Math.abs(plan.cost.batches[0].basis.coreHoursPerRun - perRun) < 1e-15);
  assert.equal(plan.cost.runs, 3);
  assert.ok(Math.abs(plan.cost.coreHours - 3 * perRun) < 1e-15, 'three pending runs cost three times the basis');
  assert.match(cli(['plan'], dir).stdout, /Estimated cost: \S+ core-hours for 3 runs \(sweep: \S+ a run, from 2 completed runs\)\./);
  // A budget below the estimate: refused before anything is written or submitted.
  const refused = cli(['apply', '--yes', '--max-core-hours', String(perRun)], dir);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /the plan's estimated cost, [\d.e-]+ core-hours, is above the budget of [\d.e-]+ \(--max-core-hours or max_core_hours in \.mensemblerc\)\. Nothing was submitted\./);
  assert.deepEqual(runIds(dir), ['r1', 'r2']);
  assert.equal(executions(dir).length, 2);
  // The same from .mensemblerc.
  fs.appendFileSync(path.join(dir, '.mensemblerc'), `max_core_hours: ${perRun}\n`);
  assert.equal(cli(['apply', '--yes'], dir).code, 1);
  assert.deepEqual(runIds(dir), ['r1', 'r2']);
  // A budget above it: applied.
  assert.equal(cli(['apply', '--yes', '--max-core-hours', String(10 * perRun + 1)], dir).code, 0);
  assert.equal(executions(dir).length, 5);
});

test('--max-core-hours without an estimate: jobs are submitted until those that ended have used the budget, then the rest wait for a later apply', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 4, maxjobs: 1, sleep: 0.5 });
  // One job's half second is 0.00014 core-hours: the budget is spent by the first job, so the others stay.
  const r = cli(['apply', '--yes', '--max-core-hours', '0.0001'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /have used [\d.]+ core-hours of the 0.0001 allowed \(--max-core-hours\): no more jobs are submitted/);
  assert.equal(executions(dir).length, 1);
  assert.match(r.stdout, /1 completed, 0 failed, 3 left for the next apply/);
  assert.match(cli(['plan'], dir).stdout, /3 to resume/);
});

test('local ledger: the peak memory of a job\'s process tree is sampled every second by its wrapper', () => {
  const dir = tempDir();
  // The tree: the job's shell holds about 60 MB in a variable while a child sleeps; it lives past the first sample.
  sweepEnsemble(dir, { runs: 1, jobBody: '#!/bin/sh\nx=$(head -c 60000000 /dev/zero | tr "\\\\0" a)\nsleep 2.5\necho done > output.txt\n' });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const usage = readState(path.join(dir, 'runs', 'r1')).attempts[0].usage;
  assert.ok(usage.peakMemoryBytes >= 60_000_000 && usage.peakMemoryBytes < 400_000_000, JSON.stringify(usage));
  assert.equal(usage.missing, undefined, 'nothing missing for a job that outlived the first sample');
  assert.ok(usage.elapsedSeconds >= 2.5);
  const status = JSON.parse(cli(['status', '--json'], dir).stdout);
  assert.equal(status.runs[0].lastUsage.peakMemoryBytes, usage.peakMemoryBytes);
});

// Size, not speed: large ensembles must plan within the test's time budget
// (wall-clock figures live in bench/, never in assertions).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, cli, tempDir, writeTree } from './helpers.js';

/**
 * Runs the CLI with a smaller stack (120 KB instead of V8's 984 KB): an
 * array spread into a call (`Math.max(...runs)`) overflows it from about
 * 15,000 elements instead of about 125,000, so 22,500 runs find what took
 * 160,000 (and 170 s of the suite) before. Checked against the code before
 * the fix (eaff996^): with this stack, `plan` and `status` die there with
 * "Maximum call stack size exceeded", as they did at 160,000 runs with the
 * default stack; after it, all pass.
 */
function cliSmallStack(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--stack-size=120', BIN, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 120_000, maxBuffer: 1 << 28 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('a large ensemble (22,500 runs, on a small stack): plan, plan --json, status, status --json and report all work (at 160,000 runs they died with "Maximum call stack size exceeded"); every run to create, ids unique, nothing written', { timeout: 300_000 }, () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:
  vars: { scale: 1.5 }
  batches:
    - name: big
      basedir: ./runs
      templatedir: ../template
      templates: [p.j2, job.sh.j2]
      job_file: job.sh
      maxruns: 100
      maxjobs: 100
      run_id: "a{{ a }}-b{{ b }}"
      matrix:
        a: [${Array.from({ length: 150 }, (_, i) => i).join(', ')}]
        b: [${Array.from({ length: 150 }, (_, i) => i).join(', ')}]
`,
    'template/p.j2': `a = {{ a }}\nb = {{ b }}\nscale = {{ scale }}\n${'# padding\n'.repeat(50)}`,
    'template/job.sh.j2*': '#!/bin/sh\ntrue\n',
    'template/data.bin': 'x'.repeat(100_000),
  });
  const plan = cliSmallStack(['plan'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /Plan: 22500 to create/);
  const json = cliSmallStack(['plan', '--json', '--detailed-exitcode'], dir);
  assert.equal(json.code, 2, json.stderr);
  const planned = JSON.parse(json.stdout);
  assert.equal(planned.summary.create, 22_500);
  assert.equal(planned.runs.length, 22_500);
  assert.equal(new Set(planned.runs.map((x: { id: string }) => x.id)).size, 22_500, 'ids are unique');
  assert.ok(planned.runs.some((x: { id: string }) => x.id === 'a149-b149'));
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'plan wrote no run directory');
  const status = cliSmallStack(['status'], dir);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /22500 runs: 22500 new/);
  const statusJson = cliSmallStack(['status', '--json'], dir);
  assert.equal(statusJson.code, 0, statusJson.stderr);
  assert.equal(JSON.parse(statusJson.stdout).runs.length, 22_500);
  const report = cliSmallStack(['report', '-o', 'r.html'], dir);
  assert.equal(report.code, 0, report.stderr);
  assert.match(fs.readFileSync(path.join(dir, 'r.html'), 'utf8'), /22500 runs in 1 batch/);
});

test('more runs than one ensemble may have are refused before anything is read further, naming the batches', () => {
  const dir = tempDir();
  const values = (n: number) => `[${Array.from({ length: n }, (_, i) => i).join(', ')}]`;
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:
  batch_config: { templatedir: ../template, templates: [job.sh.j2], job_file: job.sh, maxruns: 1, maxjobs: 1 }
  batches:
    - name: one
      basedir: ./one
      matrix: { a: ${values(500)}, b: ${values(600)} }
    - name: two
      basedir: ./two
      matrix: { a: ${values(500)}, b: ${values(500)} }
`,
    'template/job.sh.j2*': '#!/bin/sh\ntrue\n',
  });
  const r = cli(['plan'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /mensemble\.yaml:5:5: ensemble\.batches: the batches have 550,000 runs together \(one: 300,000, two: 250,000\); more than 500,000 runs in one ensemble is refused/);
  assert.equal(fs.existsSync(path.join(dir, '.mensemble')), false);
});

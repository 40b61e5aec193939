// Size, not speed: large ensembles must plan within the test's time budget
// (wall-clock figures live in bench/, never in assertions).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, tempDir, writeTree } from './helpers.js';

test('a 20,000-run matrix plans: every run to create, nothing written', { timeout: 120_000 }, () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `ensemble:
  vars: { scale: 1.5 }
  batches:
    - name: big
      basedir: ./runs
      templatedir: ../template
      templates: [model.nml.j2, job.sh.j2]
      job_file: job.sh
      maxruns: 100
      maxjobs: 100
      run_id: "a{{ a }}-b{{ b }}"
      matrix:
        a: [${Array.from({ length: 200 }, (_, i) => i).join(', ')}]
        b: [${Array.from({ length: 100 }, (_, i) => i).join(', ')}]
`,
    'template/model.nml.j2': `a = {{ a }}\nb = {{ b }}\nscale = {{ scale }}\n${'# padding\n'.repeat(50)}`,
    'template/job.sh.j2': '#!/bin/sh\necho {{ run.id }}\n',
    'template/data.bin': 'x'.repeat(100_000),
  });
  const r = cli(['plan', '--json', '--detailed-exitcode'], dir);
  assert.equal(r.code, 2, r.stderr);
  const plan = JSON.parse(r.stdout);
  assert.equal(plan.summary.create, 20_000);
  assert.equal(plan.runs.length, 20_000);
  assert.equal(new Set(plan.runs.map((x: { id: string }) => x.id)).size, 20_000, 'ids are unique');
  assert.ok(plan.runs.some((x: { id: string }) => x.id === 'a199-b99'));
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'plan wrote no run directory');
});

// Ensemble- and batch-level tasks that have not succeeded are pending work
// (issue 14, item 2): a failed or killed post_batch is shown by the plan and
// run by the next apply, never reused as a stale exit code, and a batch that
// gets new work after its post_batch started runs its pre_batch again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchYaml, cli, tempDir, writeTree } from '../helpers.js';

function ensemble(dir: string, runs: number[], postBatch = 'echo ran >> ../post_batch.log; test -f ../ready'): void {
  writeTree(dir, {
    'mensemble.yaml': `ensemble:
  pre_process:
    - name: execute
      args: { cmd: "echo ran >> pre_process.log" }
  post_process:
    - name: execute
      args: { cmd: "echo ran >> post_process.log" }
  batches:
${batchYaml({ n: runs, maxruns: 2, maxjobs: 2 })}      pre_batch:
        - name: execute
          args: { cmd: "echo ran >> ../pre_batch.log" }
      post_batch:
        - name: execute
          args: { cmd: "${postBatch}" }
`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
}

const count = (dir: string, file: string) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), 'utf8').split('\n').filter(Boolean).length : 0);

test('a failed post_batch is pending work: the plan shows it, the next apply runs it and then post_process', () => {
  const dir = tempDir();
  ensemble(dir, [1, 2]);
  const first = cli(['apply', '--yes'], dir);
  assert.equal(first.code, 1, first.stdout + first.stderr);
  assert.match(first.stderr, /the next apply runs this task again/);
  assert.equal(count(dir, 'jobs.log'), 2);
  assert.equal(count(dir, 'post_process.log'), 0, 'post_process waits for the failed post_batch');

  const plan = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(plan.code, 2, `the owed task is a change: ${plan.stdout}`);
  assert.match(plan.stdout, /↻ task\s+b post_batch execute\s+failed with exit code 1; runs again/);
  assert.match(plan.stdout, /post_process execute\s+has not run yet/);
  assert.match(plan.stdout, /2 ensemble tasks to run/);
  const json = JSON.parse(cli(['plan', '--json'], dir).stdout);
  assert.deepEqual(json.tasks.map((t: { phase: string; status: string; batch?: string; exitCode?: number }) => [t.phase, t.status, t.batch ?? null, t.exitCode ?? null]), [
    ['post_batch', 'failed', 'b', 1],
    ['post_process', 'not-run', null, null],
  ]);
  assert.equal(json.summary.tasks, 2);

  // Still failing: run again (before: the recorded exit code was reused without running it).
  assert.equal(cli(['apply', '--yes'], dir).code, 1);
  assert.equal(count(dir, 'post_batch.log'), 2, 'the failed post_batch ran again');

  fs.writeFileSync(path.join(dir, 'ready'), '');
  const fixed = cli(['apply', '--yes'], dir);
  assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  assert.equal(count(dir, 'post_batch.log'), 3);
  assert.equal(count(dir, 'post_process.log'), 1, 'post_process ran once the post_batch succeeded');
  assert.equal(count(dir, 'jobs.log'), 2, 'no job ran again');
  assert.equal(count(dir, 'pre_process.log'), 1, 'pre_process is not repeated within the session');
  assert.equal(count(dir, 'pre_batch.log'), 1, 'nor pre_batch, without new runs');

  const after = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(after.code, 0, after.stdout);
  assert.match(after.stdout, /No changes\./);
});

test('new runs in a batch whose post_batch failed open a new round: pre_batch runs again, post_batch once after them', () => {
  const dir = tempDir();
  ensemble(dir, [1, 2]);
  assert.equal(cli(['apply', '--yes'], dir).code, 1);
  fs.writeFileSync(path.join(dir, 'ready'), '');
  ensemble(dir, [1, 2, 3]);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(count(dir, 'jobs.log'), 3);
  assert.equal(count(dir, 'pre_batch.log'), 2, 'pre_batch runs before the new run (before: skipped)');
  assert.equal(count(dir, 'post_batch.log'), 2);
  assert.equal(count(dir, 'post_process.log'), 1);
  assert.equal(count(dir, 'pre_process.log'), 1, 'the session is the same: its pre_process stands');
});

test('a post_batch whose apply was killed after it ended is resumed: its result is taken, it does not run twice', () => {
  const dir = tempDir();
  ensemble(dir, [1], 'echo ran >> ../post_batch.log');
  const killed = cli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'after-task-post_batch' });
  assert.equal(killed.code, 137, killed.stdout + '\n--- stderr:\n' + killed.stderr);
  assert.equal(count(dir, 'post_batch.log'), 1);

  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /b post_batch execute\s+was interrupted \(its apply stopped\); resumes/);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /post_batch execute resumed/);
  assert.equal(count(dir, 'post_batch.log'), 1, 'resumed from its recorded result, not run again');
  assert.equal(count(dir, 'post_process.log'), 1);
  assert.match(cli(['plan'], dir).stdout, /No changes\./);
});

test('a failed pre_process runs again once fixed (its old exit code is not reused)', () => {
  const dir = tempDir();
  ensemble(dir, [1], 'true');
  const file = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('echo ran >> pre_process.log', 'echo ran >> pre_process.log; test -f ready'));
  assert.equal(cli(['apply', '--yes'], dir).code, 1);
  fs.writeFileSync(path.join(dir, 'ready'), '');
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(count(dir, 'pre_process.log'), 2);
  assert.equal(count(dir, 'jobs.log'), 1);
});

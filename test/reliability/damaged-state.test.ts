// State files truncated or corrupted by hand: plan says which and how to
// recover, touches nothing, and `mensemble repair` rebuilds them from the
// backend and the run directory, so nothing runs again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, countBy, executions, readState, sweepEnsemble, tempDir } from '../helpers.js';

test('a truncated and a corrupted state file: plan reports them and how to repair; repair re-adopts the jobs and tasks; nothing runs twice', () => {
  const dir = tempDir();
  sweepEnsemble(dir, {
    runs: 4,
    extraBatch: `      post_run:\n        - name: execute\n          args: {cmd: 'basename "$PWD" >> ../../post_run.log'}\n`,
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const before = ['r2', 'r3'].map((id) => readState(path.join(dir, 'runs', id)).attempts[0].jobId);
  const r2 = path.join(dir, 'runs', 'r2', '.mensemble', 'state.json');
  fs.writeFileSync(r2, fs.readFileSync(r2).subarray(0, 120)); // truncated
  fs.writeFileSync(path.join(dir, 'runs', 'r3', '.mensemble', 'state.json'), '{"version": 1, "id": "r3", ###'); // corrupted

  const plan = cli(['plan'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /sweep\/r2\n +! \S+r2\/\.mensemble\/state\.json: the state file is unreadable \(.*\)\. mensemble will not touch this run until it is repaired: `mensemble repair --target sweep\/r2`/);
  assert.match(plan.stdout, /No changes\. 2 runs up to date, 0 in flight\. 2 damaged/);
  const untouched = cli(['apply', '--yes'], dir);
  assert.equal(untouched.code, 0, untouched.stderr);
  assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1], 'apply leaves damaged runs alone');

  const repair = cli(['repair'], dir);
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(repair.stdout, new RegExp(`repaired sweep/r2: attempt 1: job ${before[0]} completed; 1 task done; files match the configuration\\. The damaged file is kept as \\S+state\\.json\\.damaged-`));
  assert.match(repair.stdout, /Repaired 2 runs\./);
  for (const id of ['r2', 'r3']) {
    const damaged = fs.readdirSync(path.join(dir, 'runs', id, '.mensemble')).filter((f) => f.startsWith('state.json.damaged-'));
    assert.equal(damaged.length, 1, `${id}: the damaged file is kept`);
  }
  assert.deepEqual(['r2', 'r3'].map((id) => readState(path.join(dir, 'runs', id)).attempts[0].jobId), before, 'the same jobs, re-adopted');
  assert.match(cli(['plan'], dir).stdout, /No changes\. 4 runs up to date, 0 in flight\.\n/);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1], 'no job ran again');
  const postRun = countBy(fs.readFileSync(path.join(dir, 'post_run.log'), 'utf8').split('\n').filter(Boolean));
  assert.deepEqual([...postRun.values()], [1, 1, 1, 1], 'no post_run task ran again');
  assert.match(cli(['repair'], dir).stdout, /Nothing to repair/);
});

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

test('valid JSON of the wrong shape in a state file is damaged: plan, status and apply name it and go on; repair rebuilds it', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 5 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const shapes: Record<string, (s: any) => void> = {
    r1: (s) => (s.files = null),
    r2: (s) => (s.attempts = [null]),
    r3: (s) => (s.tasks = 5),
    r4: (s) => (s.attempts[0].state = 'weird'),
    r5: (s) => (s.completed = 'yes'),
  };
  for (const [id, damage] of Object.entries(shapes)) {
    const file = path.join(dir, 'runs', id, '.mensemble', 'state.json');
    const state = JSON.parse(fs.readFileSync(file, 'utf8'));
    damage(state);
    fs.writeFileSync(file, JSON.stringify(state));
  }
  // Before: each of these died with an internal error (`Cannot read properties of null`, ...).
  const plan = cli(['plan'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.doesNotMatch(plan.stderr, /internal error/);
  assert.match(plan.stdout, /r1\/\.mensemble\/state\.json: the state file is unreadable \(not a mensemble run state of version 1: files: null, expected an object\)/);
  assert.match(plan.stdout, /not a mensemble run state of version 1: attempts\[0\]: null, expected an object/);
  assert.match(plan.stdout, /tasks: 5, expected an object/);
  assert.match(plan.stdout, /attempts\[0\]\.state: "weird", expected a job state/);
  assert.match(plan.stdout, /completed: "yes", expected an object/);
  assert.match(plan.stdout, /5 damaged/);
  for (const args of [['status'], ['status', '--json'], ['apply', '--yes'], ['report', '-o', 'r.html']]) {
    const r = cli(args, dir);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.doesNotMatch(r.stderr, /internal error/);
  }
  assert.equal(executions(dir).length, 5, 'apply left the damaged runs alone');
  const repair = cli(['repair'], dir);
  assert.equal(repair.code, 0, repair.stderr);
  assert.match(repair.stdout, /Repaired 5 runs\./);
  assert.match(cli(['plan'], dir).stdout, /No changes\. 5 runs up to date/);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.equal(executions(dir).length, 5, 'no job ran again');
});

test('a damaged hash cache or session file costs at most some work again, never an internal error', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const session = fs.readdirSync(path.join(dir, '.mensemble')).find((f) => /^session-.*\.json$/.test(f))!;
  assert.ok(session, 'the apply wrote its session file');
  for (const [file, content] of [['hash-cache.json', '{"x": null, '], ['hash-cache.json', '[1]'], [session, '{"version": 2, "id": 1}'], [session, 'null']]) {
    fs.writeFileSync(path.join(dir, '.mensemble', file!), content!);
    const r = cli(['plan'], dir);
    assert.equal(r.code, 0, `${file} ${content}: ${r.stderr}`);
    assert.match(r.stdout, /No changes\./);
    assert.equal(cli(['apply', '--yes'], dir).code, 0);
  }
  assert.equal(executions(dir).length, 2);
});

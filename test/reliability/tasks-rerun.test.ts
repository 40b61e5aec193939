// What a hostile tester found about tasks (issue 14): a failed task must run
// again, an edited one is a new task, a log folder need not exist, and YAML
// dates are calendar values whatever the process's time zone.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchYaml, cli, tempDir, writeTree } from '../helpers.js';

function ensemble(dir: string, preRun: string, postRun = ''): void {
  writeTree(dir, {
    'mensemble.yaml': `ensemble:
  batches:
${batchYaml({ n: [1, 2], attempts: 3 })}      pre_run:
${preRun}
${postRun}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\n',
    '.mensemblerc': 'poll_interval: 0.1\ncheck_interval: 0.2\n',
  });
}

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

test('a failed pre_run execute task runs again on the next apply once its cause is fixed, and an edited command is run, not resumed', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "echo ran >> ../../pre.log; test -f ../../ready" }');
  const first = cli(['apply', '--yes'], dir);
  assert.equal(first.code, 3, 'both runs fail in pre_run');
  assert.equal(lines(path.join(dir, 'pre.log')).length, 2);
  assert.equal(lines(path.join(dir, 'jobs.log')).length, 0);

  fs.writeFileSync(path.join(dir, 'ready'), '');
  const second = cli(['apply', '--yes'], dir);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.equal(lines(path.join(dir, 'pre.log')).length, 4, 'the failed task ran again (before: its old exit code was reused)');
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r2']);

  // An edited task is a new task even for runs whose inputs did not change; a succeeded one is not run again.
  fs.rmSync(path.join(dir, 'ready'));
  const third = cli(['apply', '--yes'], dir);
  assert.equal(third.code, 0);
  assert.match(third.stdout, /No changes\./);
  assert.equal(lines(path.join(dir, 'pre.log')).length, 4, 'a succeeded task is not run again');
});

test('a pre_run command edited after it failed runs as edited, not as the recorded failure', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "false" }');
  assert.equal(cli(['apply', '--yes'], dir).code, 3);
  const file = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('cmd: "false"', 'cmd: "true"'));
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /`true` exited with code 1/);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r2']);
});

test('a failed post_run task runs again on the next apply; the job does not', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "true" }', '      post_run:\n        - name: execute\n          args: { cmd: "echo ran >> ../../post.log; test -f ../../ready" }');
  assert.equal(cli(['apply', '--yes'], dir).code, 3);
  assert.equal(lines(path.join(dir, 'jobs.log')).length, 2);
  fs.writeFileSync(path.join(dir, 'ready'), '');
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(lines(path.join(dir, 'post.log')).length, 4);
  assert.equal(lines(path.join(dir, 'jobs.log')).length, 2, 'the completed jobs are not run again');
});

test('a task log in a folder that does not exist yet is written there (it was an internal ENOENT)', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "echo hello", log: logs/pre.log }');
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r1', 'logs', 'pre.log'), 'utf8'), 'hello\n');
});

test('YAML dates are calendar values: another TZ neither changes what renders nor re-plans the runs', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "true" }');
  const file = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('ensemble:\n', 'ensemble:\n  vars:\n    start: 1990-01-01\n    at: 2001-12-14 21:59:43\n'));
  writeTree(dir, { 'tpl/date.txt.j2': '{{ run.start }} {{ run.start.day }} {{ run.at }}\n' });
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('templates: [job.sh.j2]', 'templates: [job.sh.j2, date.txt.j2]'));
  assert.equal(cli(['apply', '--yes'], dir, { TZ: 'UTC' }).code, 0);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r1', 'date.txt'), 'utf8'), '1990-01-01 1 2001-12-14 21:59:43');
  for (const tz of ['America/Los_Angeles', 'Asia/Tokyo']) {
    const r = cli(['plan'], dir, { TZ: tz });
    assert.match(r.stdout, /No changes\. 2 runs up to date/, `${tz}: ${r.stdout}`);
  }
});

test('an intent to submit recorded with a time in the future (clock skew) is resolved at once, not waited for until that time', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "true" }');
  // Killed after the intent is on disk and before the job starts.
  const crashed = cli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'before-submit' });
  assert.notEqual(crashed.code, 0);
  const statePath = ['r1', 'r2'].map((id) => path.join(dir, 'runs', id, '.mensemble', 'state.json')).find((f) => fs.existsSync(f) && JSON.parse(fs.readFileSync(f, 'utf8')).attempts.at(-1)?.state === 'submitting');
  assert.ok(statePath, 'a run was left with an intent and no job');
  const state = JSON.parse(fs.readFileSync(statePath, 'utf8'));
  const intent = state.attempts.at(-1);
  intent.submittedAt = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
  fs.writeFileSync(statePath, JSON.stringify(state));
  // Before, this apply slept until tomorrow (the helper gives up after 120 s).
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r2']);
});

test('a task whose working folder does not exist fails its run with the key and the folder, and the apply goes on (it ended mensemble with an unhandled spawn error)', () => {
  const dir = tempDir();
  ensemble(dir, '        - name: execute\n          args: { cmd: "echo hi", cwd: not-there }');
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at |internal error|ENOENT/, 'no stack trace');
  assert.match(r.stdout, /b\/r1: failed: ensemble\.batches\[0\]\.pre_run\[0\]\.args\.cwd: the folder \S+runs\/r1\/not-there the task would work in does not exist/);
  assert.match(r.stdout, /Apply complete: 0 completed, 2 failed/);
});

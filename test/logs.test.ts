import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { cli, cliAsync, sweepEnsemble, tempDir, writeTree } from './helpers.js';

const JOB = `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
echo "step 1 of {{ run.id }}"
sleep {{ pause }}
echo "step 2 of {{ run.id }}"
echo done > output.txt
`;

test('logs shows a run\'s job output and its task logs; unknown runs get a clear error', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2, jobBody: JOB.replace('{{ pause }}', '0') });
  const config = path.join(dir, 'mensemble.yaml');
  fs.appendFileSync(config, `      post_run:\n        - name: execute\n          args: {cmd: "echo archived; pwd", log: true}\n`);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const r = cli(['logs', 'r2'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `==> runs/r2/job-1.log <==\nstep 1 of r2\nstep 2 of r2\n\n==> runs/r2/post_run.0.execute.log <==\narchived\n${fs.realpathSync(path.join(dir, 'runs', 'r2'))}\n`);
  assert.equal(cli(['logs', 'sweep/r1'], dir).stdout.split('\n')[1], 'step 1 of r1');
  const bad = cli(['logs', 'r9'], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /No run `r9` in this ensemble\. Did you mean/);
});

test('logs finds a task log where the task wrote it: a cwd given as run.<key> is the run variable, as the task reads it', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1, jobBody: JOB.replace('{{ pause }}', '0') });
  const config = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('  vars:\n', '  vars:\n    work: work\n'));
  fs.mkdirSync(path.join(dir, 'runs', 'r1', 'work'), { recursive: true });
  fs.appendFileSync(config, `      post_run:\n        - name: execute\n          args: {cmd: "echo in work", cwd: run.work, log: true}\n`);
  const applied = cli(['apply', '--yes'], dir);
  assert.equal(applied.code, 0, applied.stdout + applied.stderr);
  const log = path.join(dir, 'runs', 'r1', 'work', 'post_run.0.execute.log');
  assert.equal(fs.readFileSync(log, 'utf8'), 'in work\n', 'the task wrote its log in the folder run.work names');
  const r = cli(['logs', 'r1'], dir);
  assert.equal(r.code, 0, r.stderr);
  // Before, logs looked in a folder literally called `run.work` and showed no task log.
  assert.match(r.stdout, /==> runs\/r1\/work\/post_run\.0\.execute\.log <==\nin work\n/);
});

test('logs --follow stopped before the job ends exits 130 on SIGINT and 143 on SIGTERM, not 0 as when the job ended (it exited 0)', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1, jobBody: JOB.replace('{{ pause }}', '30') });
  writeTree(dir, { '.mensemblerc': 'poll_interval: 0.2\n' });
  assert.equal(cli(['apply', '--yes', '--no-wait'], dir).code, 0);
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    const follow = cliAsync(['logs', 'r1', '--follow'], dir);
    // Once it has printed the first step, it is following.
    const log = path.join(dir, 'runs', 'r1', 'job-1.log');
    for (let i = 0; i < 200 && !(fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('step 1')); i++) await sleep(50);
    await sleep(700);
    process.kill(follow.pid, signal);
    const r = await follow.done;
    assert.equal(r.code, code, `${signal}: ${r.stderr}`);
  }
  cli(['cancel'], dir);
});

test('logs --follow prints output as the job writes it and ends when the job ends', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1, jobBody: JOB.replace('{{ pause }}', '2') });
  writeTree(dir, { '.mensemblerc': 'poll_interval: 0.2\n' });
  assert.equal(cli(['apply', '--yes', '--no-wait'], dir).code, 0);
  const follow = cliAsync(['logs', 'r1', '--follow'], dir);
  const r = await follow.done;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '==> runs/r1/job-1.log <==\nstep 1 of r1\nstep 2 of r1\n');
  assert.match(r.stderr, /job \d+ completed/);
});

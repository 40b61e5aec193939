import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { cli, executions, jobUntilReleased, releaseJobs, sweepEnsemble, tempDir } from './helpers.js';

test('apply --detach confirms, then applies in the background with a log; status shows the running apply', async () => {
  const dir = tempDir();
  // The jobs run until the test's word, so the apply still runs when status looks (they slept 2 s, and had ended
  // before status looked on a busy machine).
  sweepEnsemble(dir, { runs: 2, jobBody: jobUntilReleased() });
  const r = cli(['apply', '--detach', '--yes'], dir);
  assert.equal(r.code, 0, r.stderr);
  const m = /Applying in the background: pid (\d+), log (\.mensemble\/apply-[^\s]+\.log)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  const [, pid, log] = m;
  assert.match(r.stdout, /Plan: 2 to create/, 'the plan is shown before detaching');
  const status = cli(['status'], dir);
  assert.match(status.stdout, new RegExp(`An apply is running: pid ${pid} on .* since .*, log ${log!.replace(/\./g, '\\.')}`));
  releaseJobs(dir);
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  for (let i = 0; i < 200 && fs.existsSync(lock); i++) await sleep(100);
  assert.equal(fs.existsSync(lock), false, 'the background apply finished and released the lock');
  assert.match(fs.readFileSync(path.join(dir, log!), 'utf8'), /Apply complete: 2 completed, 0 failed\./);
  assert.deepEqual(executions(dir).sort(), ['r1', 'r2']);
  assert.doesNotMatch(cli(['status'], dir).stdout, /An apply is running/);
});

test('apply --detach without --yes and without a terminal refuses, and starts nothing', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const r = cli(['apply', '--detach'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no terminal to confirm the plan in/);
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false);
  assert.deepEqual(fs.existsSync(path.join(dir, '.mensemble')) ? fs.readdirSync(path.join(dir, '.mensemble')).filter((f) => f.startsWith('apply-')) : [], []);
});

test('issue 31, item 12: -yd, -dy and --detach=true detach once: one background apply, one log, every run applied', async () => {
  for (const spelling of [['-yd'], ['-dy'], ['--detach=true', '--yes']]) {
    const dir = tempDir();
    sweepEnsemble(dir, { runs: 2 });
    const r = cli(['apply', ...spelling], dir);
    assert.equal(r.code, 0, `${spelling}: ${r.stdout}${r.stderr}`);
    const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
    for (let i = 0; i < 200 && (executions(dir).length < 2 || fs.existsSync(lock)); i++) await sleep(100);
    const logs = fs.readdirSync(path.join(dir, '.mensemble')).filter((f) => /^apply-.*\.log$/.test(f));
    assert.equal(logs.length, 1, `${spelling}: before, each background apply detached again (${logs.length} logs)`);
    assert.match(fs.readFileSync(path.join(dir, '.mensemble', logs[0]!), 'utf8'), /Apply complete: 2 completed, 0 failed\./);
    assert.deepEqual(executions(dir).sort(), ['r1', 'r2']);
  }
});

// What the second hostile probe found (issue 31), items that need the
// command and the file system: each test failed before its fix.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { BIN, batchYaml, cli, jobUntilReleased, listTree, readState, releaseJobs, runCli, tempDir, writeTree } from '../helpers.js';

/** An ensemble whose runs `r<n>` append their id to `jobs.log` in its folder. */
function loggingEnsemble(dir: string, n: number[]): void {
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
}

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

test('item 1: a stale file is never deleted through a folder of the run that became a link', () => {
  const top = tempDir();
  const dir = path.join(top, 'ens');
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] }).replace('templates: [job.sh.j2]', 'templates: [job.sh.j2, data/input.nml.j2]')}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\n',
    'tpl/data/input.nml.j2': '&nml n = {{ n }} /\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  // The run's data/ is replaced by a link to a shared folder holding a file of the same name.
  const shared = path.join(top, 'shared');
  fs.mkdirSync(shared);
  fs.writeFileSync(path.join(shared, 'input.nml'), 'shared data\n');
  const data = path.join(dir, 'runs', 'r1', 'data');
  fs.rmSync(data, { recursive: true });
  fs.symlinkSync(shared, data);
  // The template that wrote data/input.nml is dropped.
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace(', data/input.nml.j2', ''));
  fs.rmSync(path.join(dir, 'tpl', 'data'), { recursive: true });
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(fs.readFileSync(path.join(shared, 'input.nml'), 'utf8'), 'shared data\n', 'before: the clean-up deleted the shared file through the link');
  assert.equal(lines(path.join(dir, 'jobs.log')).length, 2, 'the run itself was rendered again and ran');
});

test('item 2: a settings file another user could write is refused with its path, before anything is written', () => {
  const top = tempDir();
  const dir = path.join(top, 'project', 'ens');
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho ran > ran.txt\n',
  });
  // A parent folder's settings file names a "shell": a program that would run as the user.
  const rc = path.join(top, 'project', '.mensemblerc');
  const evil = path.join(top, 'evil.sh');
  fs.writeFileSync(evil, `#!/bin/sh\ntouch ${path.join(top, 'PWNED')}\nexec /bin/sh "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(rc, `shell: ${evil}\n`);
  fs.chmodSync(rc, 0o646);
  const before = listTree(top);
  const refused = (why: RegExp) => {
    for (const args of [['apply', '--yes'], ['plan']]) {
      const r = cli(args, dir);
      assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, new RegExp(`settings file ${rc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not used: ${why.source}`));
    }
    assert.deepEqual(listTree(top), before, 'nothing written');
    assert.equal(fs.existsSync(path.join(top, 'PWNED')), false);
  };
  refused(/it is writable by every user \(mode 646\)/);

  if (process.getuid?.() === 0) {
    // Writable by a group of other users.
    fs.chmodSync(rc, 0o664);
    fs.chownSync(rc, 0, 65534);
    refused(/it is writable by its group \((nogroup \(65534\)|gid 65534), mode 664\)/);
    // Group-writable in the user's own private group (umask 002) gives nobody else a way in: used.
    fs.writeFileSync(rc, 'poll_interval: 0.1\n');
    fs.chownSync(rc, 0, 0);
    assert.equal(cli(['plan'], dir).code, 0);
    fs.writeFileSync(rc, `shell: ${evil}\n`);
    // Owned by another user (nobody), not writable by others: still refused, naming the owner.
    fs.chmodSync(rc, 0o644);
    fs.chownSync(rc, 65534, 65534);
    const r = cli(['apply', '--yes'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /is not used: it is owned by (nobody \(65534\)|uid 65534), not by you/);
    assert.deepEqual(listTree(top), before);
  }
  // One of the user's own, not writable by others, is used.
  fs.rmSync(rc);
  fs.writeFileSync(rc, 'poll_interval: 0.1\n', { mode: 0o644 });
  fs.chmodSync(rc, 0o644);
  const ok = cli(['apply', '--yes'], dir);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

function twoConfigurations(dir: string): void {
  const config = (n: number[], postBatch: string) => `dialect: mensemble\nensemble:
  pre_process:
    - name: execute
      args: { cmd: "echo ran >> pre_process.log" }
  batches:
${batchYaml({ n })}      pre_batch:
        - name: execute
          args: { cmd: "echo ran >> ../pre_batch.log" }
      post_batch:
        - name: execute
          args: { cmd: "${postBatch}" }
`;
  writeTree(dir, {
    'a.yaml': config([1, 2], 'test -f ../ready'),
    'b.yaml': config([3, 4], 'true'),
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\necho result > result.txt\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
}

test('item 3: two configurations sharing a basedir and a batch name never plan or prune each other\'s runs', () => {
  const dir = tempDir();
  twoConfigurations(dir);
  fs.writeFileSync(path.join(dir, 'ready'), '');
  assert.equal(cli(['apply', '--yes', 'a.yaml'], dir).code, 0);
  assert.equal(cli(['apply', '--yes', 'b.yaml'], dir).code, 0);
  for (const [config, others] of [['a.yaml', ['r3', 'r4']], ['b.yaml', ['r1', 'r2']]] as const) {
    const plan = cli(['plan', '--detailed-exitcode', config], dir);
    assert.equal(plan.code, 0, `${config}: before, the other configuration's runs were planned as - remove: ${plan.stdout}`);
    assert.doesNotMatch(plan.stdout, /remove/);
    const r = cli(['apply', '--yes', '--prune', config], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const id of others) assert.ok(fs.existsSync(path.join(dir, 'runs', id, 'result.txt')), `${config} --prune kept ${id} and its results`);
  }
  // A run each configuration itself dropped is still its own to prune.
  fs.writeFileSync(path.join(dir, 'a.yaml'), fs.readFileSync(path.join(dir, 'a.yaml'), 'utf8').replace('n: [1, 2]', 'n: [1]').replace('maxruns: 2', 'maxruns: 1').replace('maxjobs: 2', 'maxjobs: 1'));
  const plan = cli(['plan', '--prune', 'a.yaml'], dir);
  assert.match(plan.stdout, /- remove\s+b\/r2/);
  assert.doesNotMatch(plan.stdout, /r3|r4/);
  assert.equal(readState(path.join(dir, 'runs', 'r3')).owner.config, 'b.yaml', 'a run records the configuration that wrote it');
});

test('item 4: two configurations in one folder each have their own session: the second runs its own pre_process and pre_batch', () => {
  const dir = tempDir();
  twoConfigurations(dir);
  // a's post_batch fails: its session stays open, to be resumed by a's next apply.
  const a = cli(['apply', '--yes', 'a.yaml'], dir);
  assert.equal(a.code, 1, a.stdout + a.stderr);
  assert.equal(lines(path.join(dir, 'pre_process.log')).length, 1);
  const b = cli(['apply', '--yes', 'b.yaml'], dir);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.equal(lines(path.join(dir, 'pre_process.log')).length, 2, 'before: b resumed a\'s session and skipped its pre_process');
  assert.equal(lines(path.join(dir, 'pre_batch.log')).length, 2, 'and its pre_batch');
  // a's own session is still open: its next apply resumes it (no pre_process again).
  fs.writeFileSync(path.join(dir, 'ready'), '');
  assert.equal(cli(['apply', '--yes', 'a.yaml'], dir).code, 0);
  assert.equal(lines(path.join(dir, 'pre_process.log')).length, 2, 'a resumed its own session');
});

test('item 5: a changed run killed between its intent and its new job never adopts the old job (local)', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  vars: { years: 10 }\n  batches:\n${batchYaml({ n: [1] })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }} {{ run.years }}" >> ../../jobs.log\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('years: 10', 'years: 20'));
  const killed = cli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'before-submit' });
  assert.equal(killed.code, 137, killed.stdout + killed.stderr);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')), ['r1 10', 'r1 20'], 'before: the old finished job-1 was adopted and the new inputs never ran');
  const state = readState(path.join(dir, 'runs', 'r1'));
  assert.equal(state.completed.inputHash, state.inputHash);
});

test('item 7: watch --apply re-reads each run under the lock and never overwrites a run an apply submitted since its plan', async () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`,
    'tpl/job.sh.j2*': jobUntilReleased().replace('../../executions.log', '../../jobs.log'),
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  // watch plans `+ create r1`, then waits 8 s before it takes the lock: an apply submits r1 meanwhile.
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: dir, MENSEMBLE_TEST_PAUSE_AT: 'watch-before-lock:8000' };
  delete env.FORCE_COLOR;
  const watch = spawn(process.execPath, [BIN, 'watch', '--apply'], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  watch.stdout.on('data', (d) => (out += d));
  watch.stderr.on('data', (d) => (out += d));
  const closed = new Promise((resolve) => watch.on('close', resolve));
  const waitFor = async (re: RegExp, seconds = 30) => {
    for (let i = 0; i < seconds * 10 && !re.test(out); i++) await sleep(100);
    assert.match(out, re);
  };
  try {
    await waitFor(/1 to create/);
    const applied = await runCli(['apply', '--yes', '--no-wait'], dir);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.equal(readState(path.join(dir, 'runs', 'r1')).attempts.length, 1);
    await waitFor(/not rendering 1 run: changed on disk since this plan|rendered 1 run/);
    assert.match(out, /not rendering 1 run: changed on disk since this plan/, 'before: watch rendered r1 again from its stale plan');
  } finally {
    watch.kill('SIGINT');
    await closed;
  }
  assert.equal(readState(path.join(dir, 'runs', 'r1')).attempts.length, 1, 'the submitted attempt is still recorded');
  releaseJobs(dir);
  const r = await runCli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')), ['r1'], 'the job ran once');
});

test('item 8: post_run [move, remove] (model-ensembler\'s usual clean-up) finishes the runs for good: completed, and never run again', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:
  batches:
${batchYaml({ n: [1, 2] })}      post_run:
        - name: move
          args: { dest: ../../archive }
        - name: remove
`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\necho result > result.txt\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  const first = cli(['apply', '--yes'], dir);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.match(first.stdout, /2 completed, 0 failed/, 'before: "0 completed ... 2 left"');
  for (const id of ['r1', 'r2']) {
    assert.equal(fs.existsSync(path.join(dir, 'runs', id)), false, `${id}'s folder was removed, as asked`);
    assert.equal(fs.readFileSync(path.join(dir, 'archive', id, 'result.txt'), 'utf8'), 'result\n');
  }
  const plan = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(plan.code, 0, `before: both runs were planned as + create: ${plan.stdout}`);
  assert.match(plan.stdout, /No changes\./);
  const status = JSON.parse(cli(['status', '--json'], dir).stdout);
  assert.deepEqual(status.runs.map((r: { id: string; state: string }) => [r.id, r.state]), [['r1', 'completed'], ['r2', 'completed']]);
  const again = cli(['apply', '--yes'], dir);
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r2'], 'each job ran once');
  // Changed inputs run again, as for any run.
  fs.writeFileSync(path.join(dir, 'tpl', 'job.sh.j2'), '#!/bin/sh\necho "{{ run.id }} v2" >> ../../jobs.log\n', { mode: 0o755 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r1 v2', 'r2', 'r2 v2']);
});

test('item 10: a local job that outlives a move of its ensemble records its end in the new place: completed, not lost, not run again', async () => {
  const top = tempDir();
  const before = path.join(top, 'ens');
  writeTree(before, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1], attempts: 3 })}`,
    'tpl/job.sh.j2*': jobUntilReleased().replace('../../executions.log', '../../jobs.log'),
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  const first = cli(['apply', '--yes', '--no-wait'], before);
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const after = path.join(top, 'moved');
  fs.renameSync(before, after);
  releaseJobs(after);
  const exit = path.join(after, 'runs', 'r1', '.mensemble', 'job-1.exit');
  for (let i = 0; i < 100 && !fs.existsSync(exit); i++) await sleep(100);
  assert.ok(fs.existsSync(exit), 'before: the wrapper wrote its exit code to the old absolute path');
  const r = cli(['apply', '--yes'], after);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const state = readState(path.join(after, 'runs', 'r1'));
  assert.deepEqual(state.attempts.map((a: { state: string }) => a.state), ['completed']);
  assert.deepEqual(lines(path.join(after, 'jobs.log')), ['r1'], 'the job ran once');
});

test('item 13: an interval Node.js cannot keep (above 24 days) is refused, from a flag, a settings file or a check task, before anything is written', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}      pre_run:\n        - name: check\n          args: { cmd: "false", interval: 2592000 }\n`,
    'tpl/job.sh.j2*': '#!/bin/sh\ntrue\n',
  });
  const before = listTree(dir);
  let r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /mensemble\.yaml:\d+:\d+: .*interval/);
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('interval: 2592000', 'interval: 1'));
  const fixed = listTree(dir);
  assert.deepEqual(fixed, before);
  r = cli(['apply', '--yes', '--poll-interval', '3000000'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /--poll-interval 3000000: expected a number of seconds above 0 and at most 2073600 \(24 days\)/);
  fs.writeFileSync(path.join(dir, '.mensemblerc'), 'check_interval: 2592000\n');
  r = cli(['plan'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /\.mensemblerc:1:17: check_interval: expected a number of seconds above 0 and at most 2073600/);
  assert.deepEqual(listTree(dir), [...fixed, '.mensemblerc'].sort());
});

test('item 25: -x __proto__=3 is refused as the same key in a configuration is, not silently dropped', () => {
  const dir = tempDir();
  writeTree(dir, { 'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`, 'tpl/job.sh.j2*': '#!/bin/sh\ntrue\n' });
  const before = listTree(dir);
  for (const command of ['plan', 'apply']) {
    const r = cli([command, '--yes', '-x', '__proto__=3'].filter((a) => command === 'apply' || a !== '--yes'), dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /-x `__proto__=3`: the name `__proto__` is not one mensemble can hold/);
  }
  assert.deepEqual(listTree(dir), before);
});

test('item 20: the local backend runs a job file as the kernel (and SLURM) do: `#!interpreter -u -B` passes `-u -B` as one argument', () => {
  for (const executable of [true, false]) {
    const dir = tempDir();
    const show = path.join(dir, 'show-args');
    writeTree(dir, {
      'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`,
      [`tpl/job.sh.j2${executable ? '*' : ''}`]: `#!${show} -u -B\nthe job's body\n`,
      'show-args*': '#!/bin/sh\n{ echo "$#"; for a in "$@"; do echo "[$a]"; done; } > args.txt\n',
      '.mensemblerc': 'poll_interval: 0.1\n',
    });
    const r = cli(['apply', '--yes'], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const args = fs.readFileSync(path.join(dir, 'runs', 'r1', 'args.txt'), 'utf8').split('\n');
    assert.deepEqual(args.slice(0, 2), ['2', '[-u -B]'], `executable ${executable}: before, the line was split into -u and -B`);
    assert.match(args[2]!, /runs\/r1\/job\.sh\]$/);
  }
});

test('item 18: a FIFO at a run\'s state.json (or at the lock) hangs no command: that run is damaged, the others go on', () => {
  const dir = tempDir();
  loggingEnsemble(dir, [1, 2]);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const state = path.join(dir, 'runs', 'r1', '.mensemble', 'state.json');
  fs.rmSync(state);
  assert.equal(spawnSync('mkfifo', [state]).status, 0);
  // Edited: both runs have work, r2 must still get it done.
  fs.writeFileSync(path.join(dir, 'tpl', 'job.sh.j2'), '#!/bin/sh\necho "{{ run.id }} v2" >> ../../jobs.log\n', { mode: 0o755 });
  for (const args of [['plan'], ['status'], ['apply', '--yes'], ['report', '--output', 'report.html']]) {
    const started = Date.now();
    const r = cli(args, dir, {});
    assert.notEqual(r.code, 137, `${args[0]} was killed`);
    assert.ok(Date.now() - started < 60_000, `${args[0]}: before, it hung on the FIFO`);
    assert.doesNotMatch(r.stderr, /internal error/i, `${args[0]}: ${r.stderr}`);
    if (args[0] === 'plan') assert.match(r.stdout, /r1[\s\S]*not a regular file/);
  }
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r2', 'r2 v2'], 'r2 was applied; r1 left alone');
  // A FIFO at the lock's path.
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  assert.equal(spawnSync('mkfifo', [lock]).status, 0);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /lock is a special file \(not a regular file\), not a lock mensemble wrote/);
});

test('item 17: an in-flight attempt naming an unknown backend damages that run only: plan, status and apply go on, repair fixes it', () => {
  const dir = tempDir();
  loggingEnsemble(dir, [1, 2]);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const file = path.join(dir, 'runs', 'r1', '.mensemble', 'state.json');
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  Object.assign(state.attempts[0], { state: 'running', backend: 'pbs' });
  fs.writeFileSync(file, JSON.stringify(state));
  const plan = cli(['plan'], dir);
  assert.equal(plan.code, 0, `before: "Unknown backend \`pbs\`" for the whole ensemble: ${plan.stderr}`);
  assert.match(plan.stdout, /1 damaged/);
  const status = cli(['status'], dir);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /r1 .* damaged .*attempt 1 names a backend this mensemble does not have \(Unknown backend `pbs`/);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const repaired = cli(['repair'], dir);
  assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
  assert.match(repaired.stdout, /repaired b\/r1/);
  assert.match(cli(['plan'], dir).stdout, /No changes\. 2 runs up to date/);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')).sort(), ['r1', 'r2'], 'no job ran again');
});

test('item 19: logs after a move read the new place, before and after the next apply carries the records over', () => {
  const top = tempDir();
  writeTree(path.join(top, 'ens'), {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "output of {{ run.id }}"\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  assert.equal(cli(['apply', '--yes'], path.join(top, 'ens')).code, 0);
  const moved = path.join(top, 'moved');
  fs.renameSync(path.join(top, 'ens'), moved);
  for (const when of ['before', 'after']) {
    if (when === 'after') assert.equal(cli(['apply', '--yes'], moved).code, 0);
    const r = cli(['logs', 'r1'], moved);
    assert.equal(r.code, 0, `${when} the apply: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /output of r1/, `${when}: before the fix, logs looked in the old folder`);
  }
});

test('item 14: a run\'s .mensemble that is a link outside the ensemble is blocked: nothing written or deleted there', () => {
  const top = tempDir();
  const dir = path.join(top, 'ens');
  loggingEnsemble(dir, [1, 2]);
  const outside = path.join(top, 'outside');
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'job-1.pid'), 'precious\n');
  fs.mkdirSync(path.join(dir, 'runs', 'r1'), { recursive: true });
  fs.symlinkSync(outside, path.join(dir, 'runs', 'r1', '.mensemble'));
  const plan = cli(['plan'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /r1[\s\S]*\.mensemble is a symbolic link \(to .*outside\) where the run directory's \.mensemble folder should be/);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(fs.readdirSync(outside), ['job-1.pid'], 'before: state and pid files were written there, same-named files deleted first');
  assert.equal(fs.readFileSync(path.join(outside, 'job-1.pid'), 'utf8'), 'precious\n');
  assert.deepEqual(lines(path.join(dir, 'jobs.log')), ['r2'], 'the other run went on');
});

test('item 15: a template folder\'s folder that becomes a file (and back), and a .mensemble in the template folder, end in no internal error', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1, 2] })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\n',
    'tpl/conf/a.txt': 'a\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  // conf/ becomes a file.
  fs.rmSync(path.join(dir, 'tpl', 'conf'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'tpl', 'conf'), 'now a file\n');
  // r2's job left a result in conf/: that folder is not only mensemble's.
  fs.writeFileSync(path.join(dir, 'runs', 'r2', 'conf', 'result.dat'), 'result\n');
  let r = cli(['apply', '--yes'], dir);
  assert.doesNotMatch(r.stderr, /internal error/, `before: EISDIR: ${r.stderr}`);
  assert.equal(r.code, 3, `the run that cannot be rendered failed, named: ${r.stdout}${r.stderr}`);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r1', 'conf'), 'utf8'), 'now a file\n', 'r1: the folder mensemble wrote became the file');
  assert.match(r.stdout + r.stderr, /conf in the run directory .*r2 is a folder holding files mensemble did not write/);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r2', 'conf', 'result.dat'), 'utf8'), 'result\n', 'r2: the result is kept');
  // And back: conf becomes a folder again.
  fs.rmSync(path.join(dir, 'runs', 'r2', 'conf'), { recursive: true });
  fs.rmSync(path.join(dir, 'tpl', 'conf'));
  writeTree(dir, { 'tpl/conf/b.txt': 'b\n' });
  r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, `before: EEXIST/ENOTDIR: ${r.stdout}${r.stderr}`);
  for (const id of ['r1', 'r2']) assert.equal(fs.readFileSync(path.join(dir, 'runs', id, 'conf', 'b.txt'), 'utf8'), 'b\n');
  // A file named .mensemble in the template folder is refused by name, before anything is written.
  fs.writeFileSync(path.join(dir, 'tpl', '.mensemble'), 'x\n');
  const before = listTree(dir);
  r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /mensemble\.yaml:\d+:\d+: .*templatedir: .*tpl\/\.mensemble would be copied into each run directory as `\.mensemble`/);
  assert.deepEqual(listTree(dir), before);
});

test('item 16: a run folder that is a dangling link (a scratch purge) is blocked, and a basedir that is a file is refused with file and line; nothing written', () => {
  const dir = tempDir();
  loggingEnsemble(dir, [1, 2]);
  fs.mkdirSync(path.join(dir, 'runs'));
  fs.symlinkSync('/scratch/purged/r1', path.join(dir, 'runs', 'r1'));
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /r1 is a symbolic link \(to \/scratch\/purged\/r1, which does not exist\) where the run directory should be/, `before: + create, then an internal error: ${plan.stdout}`);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')), ['r2']);
  assert.equal(fs.lstatSync(path.join(dir, 'runs', 'r1')).isSymbolicLink(), true, 'the link is left as it was');

  const other = tempDir();
  writeTree(other, { 'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`, 'tpl/job.sh.j2*': '#!/bin/sh\ntrue\n', runs: 'a file\n' });
  const before = listTree(other);
  for (const command of ['plan', 'apply']) {
    const refused = cli(command === 'apply' ? ['apply', '--yes'] : ['plan'], other);
    assert.equal(refused.code, 1, refused.stdout + refused.stderr);
    assert.match(refused.stderr, /mensemble\.yaml:\d+:\d+: ensemble\.batches\[0\]\.basedir: .*runs is a file, not a folder/);
    assert.doesNotMatch(refused.stderr, /internal error/);
  }
  assert.deepEqual(listTree(other), before, 'before: .mensemble/ was written anyway');
});

test('item 23: init into a dangling link says so, without an internal error', () => {
  const dir = tempDir();
  fs.symlinkSync(path.join(dir, 'nowhere'), path.join(dir, 'dl'));
  const r = cli(['init', 'dl'], dir);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /Not initialising .*dl: it is a symbolic link to .*nowhere, which does not exist/);
  assert.doesNotMatch(r.stderr, /internal error/);
});

/** The most jobs that ran at once, from the `start <id> <t>` and `end <id> <t>` lines the jobs wrote. */
function mostAtOnce(log: string): number {
  const events = lines(log).map((l) => l.split(' ')).map(([what, , t]) => ({ t: Number(t), d: what === 'start' ? 1 : -1 }));
  events.sort((a, b) => a.t - b.t || a.d - b.d);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.d));
  return most;
}

test('item 11: apply --no-wait keeps maxjobs: 6 runs with maxjobs 2 never run more than 2 at once, and all complete without another command (local)', async () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1, 2, 3, 4, 5, 6], maxjobs: 2 })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "start {{ run.id }} $(date +%s.%N)" >> ../../times.log\nsleep 0.6\necho "end {{ run.id }} $(date +%s.%N)" >> ../../times.log\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  const r = cli(['apply', '--yes', '--no-wait'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /--no-wait: batch b has 6 runs to submit or follow and runs at most 2 at once \(maxjobs, maxruns\); so that no limit is passed, the apply goes on in the background/);
  assert.match(r.stdout, /Applying in the background: pid \d+/);
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  for (let i = 0; i < 300 && (lines(path.join(dir, 'times.log')).length < 12 || fs.existsSync(lock)); i++) await sleep(100);
  assert.equal(mostAtOnce(path.join(dir, 'times.log')), 2, 'before: all 6 started in the same second');
  assert.deepEqual(lines(path.join(dir, 'times.log')).filter((l) => l.startsWith('start')).map((l) => l.split(' ')[1]).sort(), ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'], 'each ran once');
  const status = JSON.parse(cli(['status', '--json'], dir).stdout);
  assert.deepEqual(status.summary, { completed: 6 });
  // What fits goes out and returns as before: nothing in the background.
  const small = tempDir();
  loggingEnsemble(small, [1, 2]);
  const fits = cli(['apply', '--yes', '--no-wait'], small);
  assert.equal(fits.code, 0, fits.stderr);
  assert.doesNotMatch(fits.stdout, /background/);
});

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, cli, cliAsync, countBy, runCli, executions, jobUntilReleased, readState, releaseJobs, sweepEnsemble, tempDir } from './helpers.js';
import { processStartTime } from '../src/util/process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('killed right after the job started but before its id was recorded: the next apply adopts it', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3, sleep: 0.5 });
  const crashed = cli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'after-submit' });
  assert.equal(crashed.code, 137, 'killed by SIGKILL');
  const intent = readState(path.join(dir, 'runs/r1')).attempts;
  assert.equal(intent.length, 1);
  assert.equal(intent[0].state, 'submitting', 'the intent was recorded, the job id was not');
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /> resume +sweep\/r1 +submitted but the job id was not recorded/);
  const resumed = cli(['apply', '--yes'], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /sweep\/r1: adopted job \d+ submitted by an earlier mensemble \(attempt 1\)/);
  assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1]);
  assert.equal(readState(path.join(dir, 'runs/r1')).attempts.length, 1);
});

test('SIGKILL at random instants during apply: re-running converges and no run executes twice', async () => {
  const seed = Number(process.env.MENSEMBLE_CRASH_SEED ?? Date.now() % 100000);
  let x = seed;
  const random = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 8, maxjobs: 3, sleep: 0.3 });
  for (let i = 0; i < 6; i++) {
    const run = cliAsync(['apply', '--yes'], dir);
    await sleep(100 + random() * 900);
    run.kill();
    await run.done;
    // Every state file that exists must parse after every kill. (A directory
    // killed mid-render may have none yet; the next plan shows it as create.)
    for (const name of fs.existsSync(path.join(dir, 'runs')) ? fs.readdirSync(path.join(dir, 'runs')) : []) {
      if (fs.existsSync(path.join(dir, 'runs', name, '.mensemble', 'state.json'))) readState(path.join(dir, 'runs', name));
    }
  }
  const last = cli(['apply', '--yes'], dir);
  assert.equal(last.code, 0, `seed ${seed}: ${last.stderr}`);
  const counts = countBy(executions(dir));
  assert.equal(counts.size, 8, `seed ${seed}: every run ran`);
  for (const [id, n] of counts) assert.equal(n, 1, `seed ${seed}: ${id} executed ${n} times`);
  assert.match(cli(['plan'], dir).stdout, /No changes\. 8 runs up to date/, `seed ${seed}`);
});

test('a second apply on the same ensemble is refused, naming the holder', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1, sleep: 2 });
  const first = cliAsync(['apply', '--yes'], dir);
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  for (let i = 0; i < 100 && !fs.existsSync(lock); i++) await sleep(50);
  const second = cli(['apply', '--yes'], dir);
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`locked by another mensemble process: pid ${first.pid} on ${os.hostname()}, running \`mensemble apply --yes\` since \\d{4}-`));
  // plan is read-only and works meanwhile
  assert.equal(cli(['plan'], dir).code, 0);
  const done = await first.done;
  assert.equal(done.code, 0, done.stderr);
  assert.equal(fs.existsSync(lock), false, 'the lock is released');
  assert.deepEqual(executions(dir), ['r1']);
});

/** Starts `apply --yes` and returns once its first job runs (maxjobs 1: the others wait for it), with the lock's path. */
async function applyUntilFirstJob(dir: string): Promise<{ first: ReturnType<typeof cliAsync>; lock: string }> {
  const first = cliAsync(['apply', '--yes'], dir);
  for (let i = 0; i < 200 && executions(dir).length === 0; i++) await sleep(25);
  assert.equal(executions(dir).length, 1, 'the first job started');
  return { first, lock: path.join(dir, '.mensemble', 'mensemble.yaml.lock') };
}

test('a lock deleted while an apply runs: the holder stops before its next submission, so no run is submitted twice', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 8, maxjobs: 1, sleep: 0.4 });
  const { first, lock } = await applyUntilFirstJob(dir);
  fs.rmSync(lock); // what a user does to a lock they think is stale
  // The run folder's lock (state/ensemble-lock.ts) still names the first apply: the second may be refused while it runs.
  const second = cli(['apply', '--yes'], dir);
  const done = await first.done;
  if (second.code !== 0) assert.match(second.stderr, new RegExp(`The run folder runs \\(batch \`sweep\`\\) is locked by another mensemble process: pid ${first.pid}`));
  assert.equal(done.code, 1, done.stdout + done.stderr);
  const third = cli(['apply', '--yes'], dir);
  assert.equal(third.code, 0, third.stdout + third.stderr);
  // Which words it uses depends on whether the second apply had taken the lock when the first looked (both right):
  // the next test pins down the 'taken by' wording.
  assert.match(done.stderr, new RegExp(`lock \\S+ was (taken by pid \\d+ on ${os.hostname()} \\(\`mensemble apply --yes\`\\)|removed) while this apply ran, so it stops before submitting anything more`));
  // Before: both applies submitted the runs the first had not reached (45 of 50 ran twice).
  assert.deepEqual([...countBy(executions(dir)).entries()].filter(([, n]) => n !== 1), [], `every run ran once\n--- first:\n${done.stdout}\n--- second:\n${second.stdout}`);
  assert.equal(executions(dir).length, 8);
  assert.match(cli(['plan'], dir).stdout, /No changes\. 8 runs up to date/);
});

test('a lock taken over by another process while an apply runs: the holder names the new holder and stops', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 4, maxjobs: 1, sleep: 1 });
  const { first, lock } = await applyUntilFirstJob(dir);
  // Another live process (this test) holds the lock now, as a second apply would.
  const holder = { pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: 'mensemble apply --yes' };
  fs.writeFileSync(`${lock}.new`, `${JSON.stringify(holder)}\n`);
  fs.renameSync(`${lock}.new`, lock);
  const done = await first.done;
  assert.equal(done.code, 1, done.stdout + done.stderr);
  assert.match(done.stderr, new RegExp(`lock \\S+ was taken by pid ${process.pid} on ${os.hostname()} \\(\`mensemble apply --yes\`\\) while this apply ran, so it stops before submitting anything more`));
  assert.equal(executions(dir).length, 1, 'nothing more was submitted');
  assert.equal(fs.readFileSync(lock, 'utf8'), `${JSON.stringify(holder)}\n`, "the new holder's lock is left alone");
});

test('a lock file of the wrong shape names no holder and is taken over', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  fs.mkdirSync(path.join(dir, '.mensemble'));
  for (const content of ['null', '{"pid": 1, "host": "' + os.hostname() + '"}', '{"pid": "x"}']) {
    fs.writeFileSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock'), content);
    const r = cli(['apply', '--yes'], dir);
    assert.equal(r.code, 0, `${content}: ${r.stderr}`);
  }
  assert.deepEqual(executions(dir), ['r1']);
});

test('a lock left by a dead process is taken over', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  fs.mkdirSync(path.join(dir, '.mensemble'));
  fs.writeFileSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock'), JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), startedAt: '2026-01-01T00:00:00Z', command: 'mensemble apply' }));
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(executions(dir), ['r1']);
});

test('applies started at the same instant, on a fresh ensemble and over a dead holder\'s lock: exactly one wins, the others name it', async () => {
  for (let round = 0; round < 4; round++) {
    const dir = tempDir();
    sweepEnsemble(dir, { runs: 2, sleep: 0.5 });
    if (round > 0) {
      const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
      fs.mkdirSync(path.join(dir, '.mensemble'));
      fs.writeFileSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock'), JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), startedAt: '2026-01-01T00:00:00Z', command: 'mensemble apply' }));
    }
    // Each contender pauses after judging the old holder dead, so all of them act on that judgement together.
    const contenders = Array.from({ length: 4 }, () => cliAsync(['apply', '--yes'], dir, { MENSEMBLE_TEST_PAUSE_AT: 'lock-takeover:400' }));
    const results = await Promise.all(contenders.map((c) => c.done));
    const won = results.filter((r) => r.code === 0);
    assert.equal(won.length, 1, results.map((r) => `${r.code}: ${r.stderr}`).join('\n'));
    for (const r of results.filter((x) => x.code !== 0)) {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /locked by another mensemble process: pid \d+ on /);
    }
    assert.deepEqual([...countBy(executions(dir)).values()], [1, 1]);
    assert.deepEqual(fs.readdirSync(path.join(dir, '.mensemble')).filter((f) => f.includes('.lock')), [], 'no lock or takeover file left behind');
  }
});

test('a job that outlives a killed mensemble is adopted, not run again', async () => {
  const dir = tempDir();
  // The jobs run until the test's word, so that they still run when the plan looks (they slept 1.5 s, and had
  // ended before the plan on a busy machine).
  sweepEnsemble(dir, { runs: 2, jobBody: jobUntilReleased(120) });
  const run = cliAsync(['apply', '--yes'], dir);
  // Wait until both jobs run AND both job ids are recorded: the job can start
  // before mensemble writes its id, and that window is the 'resume' case.
  const recorded = (id: string) => {
    try { return readState(path.join(dir, 'runs', id)).attempts.at(-1)?.jobId !== undefined; } catch { return false; }
  };
  for (let i = 0; i < 600 && !(executions(dir).length === 2 && recorded('r1') && recorded('r2')); i++) await sleep(50);
  run.kill();
  await run.done;
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /2 in flight/);
  releaseJobs(dir);
  const resumed = cli(['apply', '--yes'], dir);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.deepEqual([...countBy(executions(dir)).values()], [1, 1]);
  assert.equal(fs.readFileSync(path.join(dir, 'runs/r2/output.txt'), 'utf8'), 'done\n');
});

test('a reader that stops reading (apply --json | head -1) stops the apply quietly with 141, lock released; the next apply finishes every run once', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 6, maxjobs: 2, sleep: 0.3 });
  // The first line is the plan; the reader is gone before the first event line is written.
  const piped = spawnSync('bash', ['-c', '"$@" | head -n 1; echo "exit ${PIPESTATUS[0]}" >&2', 'bash', process.execPath, BIN, 'apply', '--yes', '--json'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.match(piped.stdout, /^\{"type":"plan"/);
  assert.equal(piped.stderr, 'exit 141\n', 'no stack trace, the code a shell expects of a closed pipe');
  assert.equal(fs.existsSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock')), false, 'the lock is released');
  const next = cli(['apply', '--yes'], dir);
  assert.equal(next.code, 0, next.stdout + next.stderr);
  assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1, 1, 1]);
});

test('a lock held on another login node: refused while its heartbeat goes on, taken over with a warning once it stops (it had to be removed by hand)', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2, maxjobs: 1, sleep: 2 });
  const env = { MENSEMBLE_TEST_LOCK_HEARTBEAT_MS: '200' };
  // An apply on another host: its own host name, in a UTS namespace of its own.
  const other = spawn('unshare', ['--uts', 'sh', '-c', 'hostname login2 && exec "$0" "$@"', process.execPath, BIN, 'apply', '--yes'], {
    cwd: dir,
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: 'ignore',
  });
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  for (let i = 0; i < 200 && !(fs.existsSync(lock) && fs.readFileSync(lock, 'utf8').includes('"login2"')); i++) await sleep(25);
  assert.match(fs.readFileSync(lock, 'utf8'), /"host":"login2"/);
  await sleep(600); // longer than a beat: the lock is fresh because it is refreshed, not because it is new
  const refused = cli(['apply', '--yes'], dir, env);
  assert.equal(refused.code, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /locked by another mensemble process: pid \d+ on login2, .*a holder on another host whose heartbeat stops for 1 s is taken over/);
  other.kill('SIGKILL'); // the login node goes away
  await new Promise((resolve) => other.once('exit', resolve));
  await sleep(1200);
  const taken = cli(['apply', '--yes'], dir, env);
  assert.equal(taken.code, 0, taken.stdout + taken.stderr);
  assert.match(taken.stderr, /mensemble: warning: took over the ensemble's lock from pid \d+ on login2 \(`mensemble apply --yes`\): its heartbeat stopped \d+ s ago/);
  assert.deepEqual([...countBy(executions(dir)).values()], [1, 1], 'every run ran once');
});

test('mensemble unlock names the holder and removes the lock only with --yes; a live holder on this host is never unlocked', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  fs.mkdirSync(path.dirname(lock));
  fs.writeFileSync(lock, `${JSON.stringify({ pid: 4242, host: 'login3', startedAt: '2026-12-01T10:00:00.000Z', command: 'mensemble apply --yes', heartbeat: true })}\n`);
  const asked = cli(['unlock'], dir);
  assert.equal(asked.code, 1);
  assert.match(asked.stderr, /\.mensemble\/mensemble\.yaml\.lock is held by pid 4242 on login3 \(`mensemble apply --yes`, since 2026-12-01T10:00:00\.000Z\)\. .*`mensemble unlock --yes`/);
  assert.equal(fs.existsSync(lock), true, 'nothing removed without --yes');
  const removed = cli(['unlock', '--yes'], dir);
  assert.equal(removed.code, 0, removed.stderr);
  assert.match(removed.stdout, /^Removed the lock held by pid 4242 on login3 \(`mensemble apply --yes`, since 2026-12-01T10:00:00\.000Z\)\.$/m);
  assert.equal(fs.existsSync(lock), false);
  assert.match(cli(['unlock'], dir).stdout, /The ensemble is not locked/);
  // This test's own process, alive on this host.
  fs.writeFileSync(lock, `${JSON.stringify({ pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: 'mensemble apply', processStart: processStartTime(process.pid) })}\n`);
  const live = cli(['unlock', '--yes'], dir);
  assert.equal(live.code, 1);
  assert.match(live.stderr, new RegExp(`Not unlocking: pid ${process.pid} on this host .* is running`));
  assert.equal(fs.existsSync(lock), true);
});

test('issue 31, item 22: a lock without a process start time whose pid is now another program: nobody is told to kill it, and unlock --yes removes the lock', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
  fs.mkdirSync(path.dirname(lock));
  const unrelated = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    fs.writeFileSync(lock, `${JSON.stringify({ pid: unrelated.pid, host: os.hostname(), startedAt: '2026-12-01T10:00:00.000Z', command: 'mensemble apply --yes' })}\n`);
    const apply = cli(['apply', '--yes'], dir);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stderr, /cannot tell whether it is that apply or another program that got the same pid/);
    const removed = cli(['unlock', '--yes'], dir);
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    for (const out of [apply.stderr, removed.stdout, removed.stderr]) assert.doesNotMatch(out, /\bkill\b|stop it/i, 'before: unlock said `kill <pid>` of an unrelated process');
    assert.equal(fs.existsSync(lock), false);
    assert.equal(unrelated.exitCode, null, 'the unrelated process still runs');
  } finally {
    unrelated.kill();
  }
});

test('issue 31, item 21: a folder or a dangling link at the lock\'s path is named by apply, and unlock --yes removes it', () => {
  for (const kind of ['folder', 'dangling link']) {
    const dir = tempDir();
    sweepEnsemble(dir, { runs: 1 });
    const lock = path.join(dir, '.mensemble', 'mensemble.yaml.lock');
    fs.mkdirSync(path.dirname(lock));
    if (kind === 'folder') fs.mkdirSync(path.join(lock, 'inside'), { recursive: true });
    else fs.symlinkSync(path.join(dir, 'nowhere'), lock);
    const apply = cli(['apply', '--yes'], dir);
    assert.equal(apply.code, 1, apply.stdout + apply.stderr);
    assert.match(apply.stderr, kind === 'folder' ? /\.mensemble\/mensemble\.yaml\.lock is a folder, not a lock mensemble wrote/ : /\.mensemble\/mensemble\.yaml\.lock is a symbolic link \(to .*nowhere, which does not exist\), not a lock mensemble wrote/);
    assert.doesNotMatch(apply.stderr, /keep taking it/, `${kind}: before, "other processes keep taking it"`);
    const asked = cli(['unlock'], dir);
    assert.equal(asked.code, 1, `${kind}: before, unlock said "not locked": ${asked.stdout}`);
    assert.match(asked.stderr, /not a lock mensemble wrote.*`mensemble unlock --yes`/);
    const removed = cli(['unlock', '--yes'], dir);
    assert.equal(removed.code, 0, removed.stdout + removed.stderr);
    assert.match(removed.stdout, /Removed .*\.mensemble\/mensemble\.yaml\.lock: it was a (folder|symbolic link)/);
    assert.equal(fs.lstatSync(lock, { throwIfNoEntry: false }), undefined);
    assert.equal(cli(['apply', '--yes'], dir).code, 0);
  }
});

test('issue 33, item 4: two configurations of one folder apply at once; two that share a run folder are refused by name, and no run runs twice', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2, jobBody: jobUntilReleased() });
  const yaml = fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8');
  // b.yaml: its own run folder; c.yaml: the same run folder as mensemble.yaml.
  fs.writeFileSync(path.join(dir, 'b.yaml'), yaml.replace('basedir: ./runs', 'basedir: ./runs-b'));
  fs.writeFileSync(path.join(dir, 'c.yaml'), yaml);
  const first = cliAsync(['apply', '--yes', 'mensemble.yaml'], dir);
  for (let i = 0; i < 200 && executions(dir).length === 0; i++) await sleep(25);
  assert.ok(executions(dir).length > 0, 'the first apply runs a job');
  const second = runCli(['apply', '--yes', 'b.yaml'], dir);
  const third = cli(['apply', '--yes', 'c.yaml'], dir);
  assert.equal(third.code, 1, third.stdout);
  assert.match(third.stderr, new RegExp(`The run folder runs \\(batch \`sweep\`\\) is locked by another mensemble process: pid ${first.pid} on ${os.hostname()}, running \`mensemble apply --yes mensemble.yaml\` of .*mensemble\\.yaml since`));
  assert.equal(fs.existsSync(path.join(dir, '.mensemble', 'c.yaml.lock')), false, 'the refused apply released its own lock');
  releaseJobs(dir);
  const [a, b] = [await first.done, await second];
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.endsWith('.lock')), [], 'the run folders\' locks are gone');
  // c.yaml now finds mensemble.yaml's runs done (same ids, same inputs): nothing runs twice.
  assert.equal(cli(['apply', '--yes', 'c.yaml'], dir).code, 0);
  assert.deepEqual([...countBy(executions(dir)).values()], [2, 2], 'r1 and r2: once in runs/, once in runs-b/');
});

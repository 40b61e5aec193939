// Issue 33: what a first afternoon with mensemble hit, item by item.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { BIN, cli, countBy, executions, sweepEnsemble, tempDir } from './helpers.js';

test('issue 33, item 7: Ctrl-C at the confirmation prompt is a cancel: one line, exit 130, nothing written', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  // A terminal (script(1) gives the command a pseudo-terminal); the keystroke goes in through it.
  const child = spawn('script', ['-qfec', `${process.execPath} ${BIN} apply`, '/dev/null'], { cwd: dir, env: { ...process.env, HOME: dir, NO_COLOR: '1' }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  for (let i = 0; i < 200 && !out.includes('Only `yes` is accepted'); i++) await sleep(50);
  assert.match(out, /Apply these changes\?/);
  child.stdin.write('\x03');
  const code = await exited;
  assert.equal(code, 130, out);
  assert.doesNotMatch(out, /internal error|Aborted with Ctrl\+C/);
  assert.match(out, /Apply cancelled \(Ctrl-C\); nothing was changed\./);
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'nothing written');
});

test('issue 33, item 2: a run whose pre_run task failed is failed in status, status --json and the plan, naming the task and its exit code, until an apply runs it again', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const config = path.join(dir, 'mensemble.yaml');
  fs.appendFileSync(config, '      pre_run:\n        - name: execute\n          args: {cmd: "test ! -f ../../broken || exit 3"}\n');
  fs.writeFileSync(path.join(dir, 'broken'), '');
  const failed = cli(['apply', '--yes'], dir);
  assert.equal(failed.code, 3, failed.stdout + failed.stderr);
  const status = JSON.parse(cli(['status', '--json'], dir).stdout);
  for (const row of status.runs) {
    assert.equal(row.state, 'failed', `before: rendered, "next apply: resume": ${JSON.stringify(row)}`);
    assert.equal(row.exitCode, 3);
    assert.equal(row.reason, 'pre_run[0] execute failed');
  }
  assert.match(cli(['status'], dir).stdout, /failed/);
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /sweep\/r1 +pre_run\[0\] execute failed with exit code 3 \(\d{4}-[^)]+\); runs again/);
  fs.rmSync(path.join(dir, 'broken'));
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.deepEqual(JSON.parse(cli(['status', '--json'], dir).stdout).runs.map((r: { state: string }) => r.state), ['completed', 'completed']);
});

test('issue 33, item 5: --replace <batch>/<run> runs a failed or a completed run again: planned -/+ replace "asked for", earlier attempts and logs kept, attempt numbers go on', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2, jobBody: '#!/bin/sh\necho "{{ run.id }}" >> ../../executions.log\necho "attempt output"\ntest -f ../../ok || exit 4\n' });
  const failed = cli(['apply', '--yes'], dir);
  assert.equal(failed.code, 3, failed.stdout + failed.stderr);
  assert.match(cli(['plan'], dir).stdout, /No changes\./, 'no attempts left: nothing to do without --replace');
  fs.writeFileSync(path.join(dir, 'ok'), '');
  const plan = cli(['plan', '--replace', 'sweep/r1', '--detailed-exitcode'], dir);
  assert.equal(plan.code, 2);
  assert.match(plan.stdout, /-\/\+ replace +sweep\/r1 +asked for \(--replace\)/);
  assert.match(plan.stdout, /Plan: 0 to create, 0 to update, 1 to replace, 0 to retry, 0 to remove; 1 unchanged/);
  const r = cli(['apply', '--yes', '--replace', 'sweep/r1'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const run = path.join(dir, 'runs', 'r1');
  const state = JSON.parse(fs.readFileSync(path.join(run, '.mensemble', 'state.json'), 'utf8'));
  assert.deepEqual(state.attempts.map((a: { attempt: number; state: string }) => [a.attempt, a.state]), [[1, 'failed'], [2, 'completed']]);
  assert.ok(fs.existsSync(path.join(run, 'job-1.log')) && fs.existsSync(path.join(run, 'job-2.log')), 'the first attempt\'s log is kept beside the second\'s');
  // A completed run may be replaced too, and numbers go on; r2 stays failed until asked for.
  assert.equal(cli(['apply', '--yes', '--replace', 'sweep/r1', '--replace', 'sweep/r2'], dir).code, 0);
  const again = JSON.parse(fs.readFileSync(path.join(run, '.mensemble', 'state.json'), 'utf8'));
  assert.deepEqual(again.attempts.map((a: { attempt: number }) => a.attempt), [1, 2, 3]);
  assert.deepEqual(countBy(executions(dir)), new Map([['r1', 3], ['r2', 2]]));
  assert.match(cli(['plan'], dir).stdout, /No changes\. 2 runs up to date/);
  // A run that is not there is refused by name, with the closest one.
  const wrong = cli(['plan', '--replace', 'sweep/r11'], dir);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /--replace sweep\/r11: there is no such run among the runs planned\. Did you mean `sweep\/r1`\?/);
});

test('issue 33, item 10: live progress at 60 columns keeps every count (the bar narrows first), pins failures above the events, shows hours, and TERM=dumb gets plain lines', async () => {
  const { LiveProgress, elapsed } = await import('../src/ui/live-progress.js');
  const { makeColors } = await import('../src/ui/color.js');
  const entries = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, batch: 'sweep-batch', action: 'create' }));
  const live = new LiveProgress({ entries } as never, makeColors(false), () => undefined, () => 60);
  const event = (runId: string, kind: string, state?: string) => live.report({ kind, batch: 'sweep-batch', runId, state, exitCode: state === 'failed' ? 4 : undefined } as never);
  event('r0', 'finished', 'failed');
  for (let i = 1; i < 12; i++) event(`r${i}`, 'finished', 'completed');
  const frame = live.frame(60);
  live.stop();
  const batchLine = frame[0]!;
  assert.ok([...batchLine].length <= 59, `${[...batchLine].length}: ${batchLine}`);
  assert.match(batchLine, /12\/30 +11 completed +0 running +0 queued +1 failed/, `before: the counts were cut ("0 runn…"): ${batchLine}`);
  assert.match(frame.join('\n'), /failed:\n {2}sweep-batch\/r0: /, 'the failure is pinned');
  assert.ok(frame.indexOf('failed:') < frame.findIndex((l) => /r11/.test(l)), 'above the last events');
  assert.equal(elapsed(3_723_000), '1:02:03', 'hours are shown');
  assert.equal(elapsed(83_000), '01:23');

  // A dumb terminal cannot redraw: plain event lines, no escape codes.
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const r = spawnSync('script', ['-qfec', `${process.execPath} ${BIN} apply --yes`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...process.env, HOME: dir, TERM: 'dumb', NO_COLOR: '1' } });
  assert.equal(r.status, 0, r.stdout);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'no cursor movement or colour');
  assert.match(r.stdout, /sweep\/r1: completed/);
});

test('issue 33, item 8: the command line: --color=never, no command, an unknown one, mensemble.yml and model-ensembler\'s file names, a run named without its batch, help that fits 80 columns', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const color = cli(['plan', '--color=never'], dir);
  assert.equal(color.code, 0, `before: \`never\` was taken for the configuration: ${color.stderr}`);
  assert.doesNotMatch(color.stdout, /\u001b\[/);
  assert.match(cli(['plan', '--color=always'], dir).stdout, /\u001b\[/);
  const badColor = cli(['plan', '--color=sometimes'], dir);
  assert.equal(badColor.code, 2);
  assert.match(badColor.stderr, /`--color=sometimes`: the colour is `always`, `never` or `auto`/);

  const none = cli([], dir);
  assert.equal(none.code, 2, 'before: help and exit 0');
  assert.match(none.stderr, /^mensemble: No command given\. Commands: init, plan, apply, /);
  const unknown = cli(['aplly'], dir);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown command `aplly`\. Did you mean `apply`\?/);
  const missing = cli(['logs'], dir);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /^mensemble: `mensemble logs` needs <run>: `mensemble logs <run> \[config\]`\. See `mensemble help logs`\./, 'before: the parser\'s "missing required args"');
  const noValue = cli(['plan', '--target'], dir);
  assert.equal(noValue.code, 2);
  assert.match(noValue.stderr, /--target needs a value: --target <batch\[\/run\]>/);

  // mensemble.yml is found; with neither name, the YAML files that look like ensembles are listed.
  fs.renameSync(path.join(dir, 'mensemble.yaml'), path.join(dir, 'mensemble.yml'));
  assert.equal(cli(['plan'], dir).code, 0);
  fs.renameSync(path.join(dir, 'mensemble.yml'), path.join(dir, 'sanity-check.yml'));
  fs.writeFileSync(path.join(dir, 'other.yaml'), 'not: an ensemble\n');
  const lost = cli(['plan'], dir);
  assert.equal(lost.code, 1);
  assert.match(lost.stderr, /there is no mensemble\.yaml or mensemble\.yml here .*The YAML files here that look like ensembles: sanity-check\.yml; for example `mensemble plan sanity-check\.yml`\./);
  assert.doesNotMatch(lost.stderr, /other\.yaml/);

  const target = cli(['plan', 'sanity-check.yml', '--target', 'r1'], dir);
  assert.equal(target.code, 1);
  assert.match(target.stderr, /`r1` is a run of batch `sweep`: did you mean `--target sweep\/r1`\?/);

  const help = spawnSync(process.execPath, [BIN, '--help'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '80' } });
  assert.equal(help.status, 0);
  for (const line of help.stdout.split('\n')) assert.ok(line.length <= 80, `${line.length} columns: ${line}`);
  assert.match(help.stdout, /Options every ensemble command takes:[\s\S]*--target[\s\S]*Exit codes:[\s\S]*130, 143[\s\S]*Documentation: README\.md\s+and docs\//);
  const applyHelp = spawnSync(process.execPath, [BIN, 'help', 'apply'], { encoding: 'utf8' });
  for (const line of applyHelp.stdout.split('\n')) assert.ok(line.length <= 100, `${line.length} columns: ${line}`);
  assert.match(applyHelp.stdout, /--replace <batch\/run>/);
});

test('issue 33, item 9: the end of an apply says how long it took, what it used, and for each failure its cause and the logs command', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3, jobBody: '#!/bin/sh\n[ "{{ run.id }}" = r2 ] && exit 5\ntrue\n' });
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /Apply complete: 2 completed, 1 failed\. Took \d+(\.\d)? s[;.]/);
  assert.match(r.stdout, /Failed \(1\):\n {2}sweep\/r2 +failed \(exit code 5\) +\(mensemble logs sweep\/r2\)/);
  const json = cli(['apply', '--yes', '--json', '--replace', 'sweep/r2'], dir);
  const result = JSON.parse(json.stdout.trim().split('\n').at(-1)!);
  assert.equal(result.type, 'result');
  assert.equal(typeof result.durationSeconds, 'number');
  assert.deepEqual(result.failures, [{ run: 'sweep/r2', state: 'failed', exitCode: 5, reason: null, task: null, logs: 'mensemble logs sweep/r2' }]);
});

test('issue 33, item 12: --profile (or MENSEMBLE_PROFILE) reads a section of .mensemblerc over its top level; an unknown profile or a bad sbatch default is refused with its line', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  fs.writeFileSync(path.join(dir, '.mensemblerc'), 'backend: local\nprofiles:\n  archer2:\n    backend: slurm\n    slurm: {partition: standard, account: n02}\n  laptop:\n    poll_interval: 0.1\n');
  const wrong = cli(['plan', '--profile', 'archer'], dir);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /--profile archer: .*\.mensemblerc has no profile `archer`\. Did you mean `archer2`\? Profiles: archer2, laptop\./);
  const env = cli(['plan'], dir, { MENSEMBLE_PROFILE: 'nope' });
  assert.match(env.stderr, /--profile nope: .*has no profile `nope`/);
  const withProfile = cli(['plan', '--profile', 'laptop'], dir);
  assert.match(withProfile.stdout, /Settings: profile laptop of .*\.mensemblerc\./, 'plan says which profile is in force');
  assert.deepEqual(JSON.parse(cli(['plan', '--json'], dir, { MENSEMBLE_PROFILE: 'laptop' }).stdout).profile.name, 'laptop');
  assert.equal(cli(['apply', '--yes', '--profile', 'laptop'], dir).code, 0);
  fs.writeFileSync(path.join(dir, '.mensemblerc'), 'profiles:\n  archer2:\n    slurm: {chdir: /tmp}\n');
  const reserved = cli(['plan', '--profile', 'archer2'], dir);
  assert.equal(reserved.code, 1);
  assert.match(reserved.stderr, /\.mensemblerc:3:\d+: profiles\.archer2\.slurm: expected a mapping of sbatch options .*not parsable, chdir/);
});

test('issue 33, item 8: apply -q prints the plan\'s summary line, the failures as they happen and the result, no line per run', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 4, jobBody: '#!/bin/sh\n[ "{{ run.id }}" = r3 ] && exit 6\ntrue\n' });
  const r = cli(['apply', '--yes', '-q'], dir);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  const lines = r.stdout.split('\n').filter(Boolean);
  assert.match(lines[0]!, /^Plan: 4 to create/);
  assert.deepEqual(lines.filter((l) => /sweep\/r\d/.test(l) && !/^ {2}sweep/.test(l)).map((l) => l.replace(/^\S+ \S+ {2}/, '')), ['sweep/r3: failed (exit code 6) after 1 attempt'], r.stdout);
  assert.doesNotMatch(r.stdout, /rendered|submitted|completed \(exit/);
  assert.match(r.stdout, /Apply complete: 3 completed, 1 failed\./);
});

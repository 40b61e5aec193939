import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { batchYaml, cli, cliAsync, countBy, executions, listTree, numbers, readState, sweepEnsemble, tempDir, writeTree } from './helpers.js';

test('apply creates every run once; a second plan shows no changes and a second apply does nothing', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 4 });
  const plan = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(plan.code, 2);
  assert.match(plan.stdout, /\+ create +sweep\/r1 +new run/);
  assert.match(plan.stdout, /Plan: 4 to create, 0 to update, 0 to replace, 0 to retry, 0 to remove; 0 unchanged, 0 in flight\./);
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'plan writes no run directory');

  const apply = cli(['apply', '--yes'], dir);
  assert.equal(apply.code, 0, apply.stderr);
  assert.match(apply.stdout, /Apply complete: 4 completed, 0 failed\./);
  assert.deepEqual([...countBy(executions(dir)).entries()].sort(), [['r1', 1], ['r2', 1], ['r3', 1], ['r4', 1]]);
  assert.equal(fs.readFileSync(path.join(dir, 'runs/r3/params'), 'utf8'), 'n = 3\nscale = 1.5');
  assert.equal(readState(path.join(dir, 'runs/r3')).attempts[0].state, 'completed');

  const again = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /No changes\. 4 runs up to date, 0 in flight\./);
  const reapply = cli(['apply', '--yes'], dir);
  assert.equal(reapply.code, 0);
  assert.equal(executions(dir).length, 4, 'nothing ran again');
});

test('editing one run variable plans that run only; editing a shared template plans every run', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const config = path.join(dir, 'mensemble.yaml');
  // Replace the matrix by explicit runs: r1 and r2 keep their values, r3 gets a new variable.
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/matrix:\n\s+n: \[1, 2, 3\]/, 'runs:\n        - {n: 1}\n        - {n: 2}\n        - {n: 3, extra: 7}'));
  const plan = cli(['plan', '--json'], dir);
  const doc = JSON.parse(plan.stdout);
  assert.deepEqual(doc.summary, { create: 0, update: 0, replace: 1, retry: 0, resume: 0, moved: 0, remove: 0, kept: 0, unchanged: 2, inflight: 0, damaged: 0, blocked: 0, tasks: 0 });
  const changed = doc.runs.filter((r: { action: string }) => r.action !== 'none');
  assert.equal(changed.length, 1);
  assert.equal(changed[0].id, 'r3');
  assert.match(changed[0].reason, /variable extra added \(= 7\)/);

  fs.writeFileSync(path.join(dir, 'template/params.j2'), 'n = {{ n }}\nscale = {{ run.scale }}\nnew = 1\n');
  const all = JSON.parse(cli(['plan', '--json'], dir).stdout);
  assert.equal(all.summary.replace, 3);
  for (const r of all.runs) assert.match(r.reason, /params changed \(template params\.j2\)/);

  const vars = cli(['plan', '-x', 'scale=2.0'], dir);
  assert.match(vars.stdout, /variable scale: 1\.5 → "2\.0"/);
});

test('--target restricts plan and apply to a batch or one run', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  const apply = cli(['apply', '--yes', '--target', 'sweep/r2'], dir);
  assert.equal(apply.code, 0, apply.stderr);
  assert.deepEqual(executions(dir), ['r2']);
  assert.equal(fs.existsSync(path.join(dir, 'runs/r1')), false);
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /Plan: 2 to create, .*; 1 unchanged/);
  const bad = cli(['plan', '--target', 'sweep/r9'], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /batch `sweep` has no run `r9`\. Did you mean `r1`\?/);
  const badBatch = cli(['plan', '--target', 'swep'], dir);
  assert.match(badBatch.stderr, /there is no batch `swep`\. Did you mean `sweep`\?/);
});

test('hand edits inside a run directory show as drift', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  assert.equal(cli(['apply', '--yes', '--no-wait'], dir).code, 0);
  // Wait for both jobs, then edit a rendered file of a finished run.
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  fs.appendFileSync(path.join(dir, 'runs/r1/params'), '\n# edited');
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /drift: params was modified since it was rendered/);
  assert.match(plan.stdout, /No changes\./, 'a run that already ran is not re-run for drift');
});

test('plan and status say the same when the run folders are read on a second thread (as from 20,000 runs) as when they are read on one', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 6 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  fs.appendFileSync(path.join(dir, 'runs/r1/params'), '\n# edited');
  fs.rmSync(path.join(dir, 'runs/r2/params'));
  fs.writeFileSync(path.join(dir, 'runs/r3/.mensemble/state.json'), '{"version": 1, ');
  fs.rmSync(path.join(dir, 'runs/r4'), { recursive: true });
  fs.rmSync(path.join(dir, 'runs/r5/.mensemble'), { recursive: true });
  // Below the threshold, and with it lowered: the test setting also makes a thread that fails an error, not a fallback.
  const threads = { MENSEMBLE_TEST_READ_AHEAD_FROM: '0' };
  for (const args of [['plan', '--json'], ['plan'], ['status', '--json']]) {
    const alone = cli(args, dir);
    const ahead = cli(args, dir, threads);
    assert.equal(ahead.stderr, alone.stderr, args.join(' '));
    assert.equal(ahead.code, alone.code, args.join(' '));
    assert.equal(ahead.stdout, alone.stdout, args.join(' '));
  }
  const plan = cli(['plan'], dir, threads);
  assert.match(plan.stdout, /drift: params was modified since it was rendered/);
  assert.match(plan.stdout, /note +sweep\/r3\n +! .*r3\/\.mensemble\/state\.json: the state file is unreadable/);
  assert.match(plan.stdout, /\+ create +sweep\/r4 +new run/);
  // A targeted plan reads its few runs on the main thread.
  assert.equal(cli(['plan', '--target', 'sweep/r1'], dir, threads).code, 0);
});

test('drift before submission re-renders the file (update)', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  writeTree(dir, { 'mensemble.yaml': fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8') + '      pre_run:\n        - name: check\n          args: {cmd: "test -f go", fail: true}\n' });
  const first = cli(['apply', '--yes'], dir);
  assert.equal(first.code, 3, 'the pre_run check fails the run');
  fs.rmSync(path.join(dir, 'runs/r1/params'));
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /~ update +sweep\/r1 +params was deleted by hand since it was rendered/);
  fs.writeFileSync(path.join(dir, 'runs/r1/go'), '');
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.equal(fs.readFileSync(path.join(dir, 'runs/r1/params'), 'utf8'), 'n = 1\nscale = 1.5');
});

test('a failing job is retried up to max_attempts and reported with its exit code', () => {
  const dir = tempDir();
  sweepEnsemble(dir, {
    runs: 2,
    jobBody: '#!/bin/sh\necho "{{ run.id }}" >> ../../executions.log\n{% if n == 2 %}exit 3{% endif %}\n',
  });
  const config = path.join(dir, 'mensemble.yaml');
  fs.appendFileSync(config, '      retry:\n        max_attempts: 3\n');
  const apply = cli(['apply', '--yes'], dir);
  assert.equal(apply.code, 3, 'a run ended failed');
  assert.match(apply.stdout, /sweep\/r2: failed \(exit code 3\) after 3 attempts/);
  assert.match(apply.stdout, /Apply complete: 1 completed, 1 failed\./);
  assert.equal(countBy(executions(dir)).get('r2'), 3);
  assert.equal(countBy(executions(dir)).get('r1'), 1);
  const state = readState(path.join(dir, 'runs/r2'));
  assert.deepEqual(state.attempts.map((a: { exitCode: number }) => a.exitCode), [3, 3, 3]);
  const plan = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(plan.code, 0, 'no attempts left: nothing to do');
  assert.match(plan.stdout, /failed \(exit code 3\) on attempt 3 of 3; no attempts left/);
  // Raising max_attempts does not change inputs, and offers a retry.
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('max_attempts: 3', 'max_attempts: 4'));
  assert.match(cli(['plan'], dir).stdout, /↻ retry +sweep\/r2 +attempt 3 of 4 failed \(exit code 3\)/);
});

test('apply without a terminal refuses to act without --yes', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const r = cli(['apply'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /no terminal to confirm the plan in.*--yes/);
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false);
});

test('apply --backend slurm where SLURM is not installed stops at once, naming the command, and writes nothing', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const before = listTree(dir);
  const r = cli(['apply', '--yes', '--backend', 'slurm'], dir, { PATH: '/nonexistent' });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^mensemble: `sbatch` was not found on PATH\. The slurm backend needs SLURM's client commands/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  assert.deepEqual(listTree(dir), before);
});

test('issue 33, item 6: runs removed from the configuration are a note, not pending work, unless the plan is for --prune; only apply --prune deletes them', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const config = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('[1, 2, 3]', '[1, 2]'));
  const plan = cli(['plan', '--detailed-exitcode'], dir);
  assert.equal(plan.code, 0, 'before: 2 (changes) for ever, while apply did nothing');
  assert.match(plan.stdout, /note +sweep\/r3 +no longer in the configuration\n +! kept: only `mensemble apply --prune` removes its folder/);
  assert.match(plan.stdout, /No changes\. 2 runs up to date, 0 in flight\. 1 run no longer in the configuration is kept \(`mensemble apply --prune` removes it\)\./);
  const json = JSON.parse(cli(['plan', '--json'], dir).stdout);
  assert.deepEqual({ remove: json.summary.remove, kept: json.summary.kept }, { remove: 0, kept: 1 });
  assert.deepEqual(json.runs.find((r: { id: string }) => r.id === 'r3').notes.map((n: { kind: string }) => n.kind), ['kept']);
  // With --prune they are changes.
  const pruning = cli(['plan', '--prune', '--detailed-exitcode'], dir);
  assert.equal(pruning.code, 2);
  assert.match(pruning.stdout, /- remove +sweep\/r3 +no longer in the configuration/);
  assert.match(pruning.stdout, /1 to remove; 2 unchanged/);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.ok(fs.existsSync(path.join(dir, 'runs/r3')), 'apply without --prune keeps it');
  assert.equal(cli(['apply', '--yes', '--prune'], dir).code, 0);
  assert.equal(fs.existsSync(path.join(dir, 'runs/r3')), false);
  assert.ok(fs.existsSync(path.join(dir, 'runs/r2')));
});

test('tasks run once per inputs: a resumed apply does not repeat finished tasks', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const config = path.join(dir, 'mensemble.yaml');
  fs.appendFileSync(config, '      pre_run:\n        - name: execute\n          args: {cmd: "echo pre >> ../../tasks.log"}\n      post_run:\n        - name: execute\n          args: {cmd: "echo post >> ../../tasks.log"}\n');
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const log = fs.readFileSync(path.join(dir, 'tasks.log'), 'utf8').trim().split('\n');
  assert.deepEqual(countBy(log), new Map([['pre', 2], ['post', 2]]));
});

test('a running job whose inputs changed is left alone unless --replace-running', async () => {
  const dir = tempDir();
  // The first job runs until it is cancelled (at most a minute), however long the commands below take on a
  // loaded machine (it slept 3 s, and had ended before the replacing apply on a busy one); its replacement ends at once.
  sweepEnsemble(dir, {
    runs: 1,
    jobBody: `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
if [ ! -f ../../first-started ]; then touch ../../first-started; i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi
echo done > output.txt
`,
  });
  assert.equal(cli(['apply', '--yes', '--no-wait'], dir).code, 0);
  fs.writeFileSync(path.join(dir, 'template/params.j2'), 'n = {{ n }}\nchanged = 1\n');
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /inputs changed \(params changed \(template params\.j2\)\) but job \d+ is running; it is left alone/);
  assert.match(plan.stdout, /1 in flight/);
  const replace = cli(['plan', '--replace-running'], dir);
  assert.match(replace.stdout, /-\/\+ replace +sweep\/r1 +params changed/);
  assert.match(replace.stdout, /job \d+ will be cancelled/);
  const apply = cli(['apply', '--yes', '--replace-running'], dir);
  assert.equal(apply.code, 0, apply.stderr);
  assert.match(apply.stdout, /cancelled job \d+ to replace it/);
  const state = readState(path.join(dir, 'runs/r1'));
  assert.deepEqual(state.attempts.map((a: { state: string }) => a.state), ['cancelled', 'completed']);
  assert.equal(fs.readFileSync(path.join(dir, 'runs/r1/params'), 'utf8'), 'n = 1\nchanged = 1');
});

test('a template mode change is an input change', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  fs.chmodSync(path.join(dir, 'template/params.j2'), 0o600);
  assert.match(cli(['plan'], dir).stdout, /-\/\+ replace +sweep\/r1 +params mode 644 → 600/);
});

test('apply --json prints newline-delimited JSON: the plan, events, the result', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const r = cli(['apply', '--yes', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines[0].type, 'plan');
  assert.equal(lines[0].summary.create, 2);
  assert.equal(lines.at(-1).type, 'result');
  assert.deepEqual(lines.at(-1).completed.sort(), ['sweep/r1', 'sweep/r2']);
  assert.ok(lines.every((l) => l.version === 2), 'every line carries the envelope');
  const submits = lines.filter((l) => l.type === 'event' && l.kind === 'submitted');
  assert.deepEqual(submits.map((e) => e.runId).sort(), ['r1', 'r2']);
  assert.ok(submits.every((e) => /^\d+$/.test(e.jobId) && e.attempt === 1 && !Number.isNaN(Date.parse(e.time))));
  assert.ok(submits.every((e) => e.message === `submitted job ${e.jobId} (attempt 1)`), 'the words beside the fields');
  const finished = lines.filter((l) => l.type === 'event' && l.kind === 'finished');
  assert.deepEqual(finished.map((e) => [e.runId, e.state, e.attempts]).sort(), [['r1', 'completed', 1], ['r2', 'completed', 1]]);
  assert.doesNotMatch(r.stdout, /\u001b\[/, 'no escape codes');
});

test('a dashed flag before the configuration does not swallow it (plan --detailed-exitcode <config>, apply --replace-running <config>)', () => {
  const top = tempDir();
  const dir = path.join(top, 'ens');
  sweepEnsemble(dir, { runs: 2 });
  // Before: the flag took the path as its value, and the command looked for ./mensemble.yaml instead.
  const plan = cli(['plan', '--detailed-exitcode', 'ens/mensemble.yaml'], top);
  assert.equal(plan.code, 2, plan.stderr);
  assert.match(plan.stdout, /Plan: 2 to create/);
  const apply = cli(['apply', '--replace-running', '--replace-moved', 'ens/mensemble.yaml', '--yes'], top);
  assert.equal(apply.code, 0, apply.stderr);
  assert.equal(executions(dir).length, 2);
});

test('apply --json without --yes is refused before anything is planned or written (its prompt went into the JSON on stdout)', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const r = cli(['apply', '--json'], dir);
  assert.equal(r.code, 1);
  // Under --json the refusal is itself JSON on stdout (a diagnostics document), nothing else.
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.type, 'error');
  assert.equal(doc.exitCode, 1);
  assert.match(doc.diagnostics[0].message, /`apply --json` needs --yes: a program reading the JSON cannot answer the confirmation prompt/);
  assert.equal(r.stderr, '');
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false);
  assert.equal(fs.existsSync(path.join(dir, '.mensemble')), false);
});

test('a local job that ends at once shows a start before its end: both times are the job\'s own (the start was when mensemble looked, after the end)', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `ensemble:\n  batches:\n${batchYaml({ n: numbers(12) })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\ntrue\n',
  });
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const status = JSON.parse(cli(['status', '--json'], dir).stdout) as { runs: Array<{ id: string; startedAt: string; endedAt: string }> };
  assert.equal(status.runs.length, 12);
  for (const run of status.runs) assert.ok(Date.parse(run.startedAt) <= Date.parse(run.endedAt), `${run.id}: started ${run.startedAt}, ended ${run.endedAt}`);
});

test('local jobs are started by a small launcher process of the apply, which ends with it', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, {
    runs: 3,
    // The job's parent is the wrapper that records its pid and exit code; the wrapper's parent started it.
    jobBody: '#!/bin/sh\necho "{{ run.id }}" >> ../../executions.log\nps -o args= -p "$(ps -o ppid= -p $PPID | tr -d " ")" > starter.txt\n',
  });
  const run = cliAsync(['apply', '--yes'], dir);
  const r = await run.done;
  assert.equal(r.code, 0, r.stderr);
  for (const n of [1, 2, 3]) assert.match(fs.readFileSync(path.join(dir, `runs/r${n}/starter.txt`), 'utf8'), new RegExp(`^mensemble-launcher ${run.pid}\\b`));
  await new Promise((resolve) => setTimeout(resolve, 200));
  const left = spawnSync('pgrep', ['-f', `^mensemble-launcher ${run.pid}`], { encoding: 'utf8' });
  assert.equal(left.stdout, '', 'no launcher outlives its apply');
});

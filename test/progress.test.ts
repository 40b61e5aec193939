import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { BIN, sweepEnsemble, tempDir } from './helpers.js';

function envWithout(...names: string[]): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const n of names) delete env[n];
  return env;
}

test('apply without a terminal prints plain lines with no escape codes at all', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  const r = spawnSync(process.execPath, [BIN, 'apply', '--yes'], { cwd: dir, encoding: 'utf8', env: { ...envWithout('NO_COLOR', 'FORCE_COLOR'), HOME: dir } });
  assert.equal(r.status, 0, r.stderr);
  assert.doesNotMatch(r.stdout + r.stderr, /\u001b/);
  assert.match(r.stdout, /^\d\d:\d\d:\d\d \S+ {2}sweep\/r1: submitted job \d+ \(attempt 1\)$/m);
});

test('apply in a terminal shows live progress: a bar per batch, counts, elapsed time, redrawn in place; NO_COLOR drops the colours only', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  // `script` gives the command a pseudo-terminal, as an interactive session would.
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync('script', ['-qfec', `${process.execPath} ${BIN} apply --yes`, '/dev/null'], { cwd: dir, encoding: 'utf8', env: { ...env, HOME: dir, COLUMNS: '120' } });
  // CI=true (the suite under CI) means no colour to Node even on a terminal; a person's terminal has no CI.
  const r = run(envWithout('NO_COLOR', 'FORCE_COLOR', 'CI'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const plain = r.stdout.replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
  assert.match(plain, /sweep █+ 3\/3 {2}3 completed {2}0 running {2}0 queued/);
  assert.match(plain, /elapsed \d\d:\d\d/);
  assert.match(r.stdout, /\u001b\[\d+A\r\u001b\[0J/, 'frames are redrawn in place');
  assert.match(r.stdout, /\u001b\[32m/, 'in colour');
  assert.match(plain, /Apply complete: 3 completed, 0 failed\./);

  const again = tempDir();
  sweepEnsemble(again, { runs: 2 });
  const nc = spawnSync('script', ['-qfec', `${process.execPath} ${BIN} apply --yes`, '/dev/null'], { cwd: again, encoding: 'utf8', env: { ...envWithout('FORCE_COLOR', 'CI'), NO_COLOR: '1', HOME: again } });
  assert.equal(nc.status, 0, nc.stdout);
  assert.match(nc.stdout, /\u001b\[\d+A/, 'still redrawn in place');
  assert.doesNotMatch(nc.stdout, /\u001b\[(3\d|1|2|22|39)m/, 'but without colours');
});

test('live progress in a 60-column terminal never wraps (each frame left a stale copy of its wrapped lines), and the cursor is hidden while drawing and shown again', () => {
  const dir = tempDir();
  // A long batch name and long run ids: the batch line and the event lines are wider than 60 columns.
  sweepEnsemble(dir, { runs: 3 });
  const config = `${dir}/mensemble.yaml`;
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('name: sweep', 'name: a-batch-with-a-rather-long-name').replace('run_id: "r{{ n }}"', 'run_id: "a-run-with-a-long-identifier-{{ n }}"'));
  const r = spawnSync('script', ['-qfec', 'stty cols 60 rows 40; exec "$MENSEMBLE_NODE" "$MENSEMBLE_BIN" apply --yes', '/dev/null'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...envWithout('NO_COLOR', 'FORCE_COLOR', 'CI', 'COLUMNS'), HOME: dir, MENSEMBLE_NODE: process.execPath, MENSEMBLE_BIN: BIN },
  });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const all = r.stdout.replace(/\u001b\[\d+A\r\u001b\[0J/g, '\n').replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');
  // The frames: after the plan's summary line, before the result.
  const plain = all.slice(all.indexOf('\n', all.indexOf('Plan: ')), all.indexOf('Apply complete'));
  const progress = plain.split(/\r?\n/).filter((l) => /elapsed|█|░|^ {2}\S/.test(l));
  assert.ok(progress.length > 0, plain);
  for (const line of progress) assert.ok([...line].length <= 60, `${[...line].length} columns: ${line}`);
  assert.match(r.stdout, /\u001b\[\?25l/, 'the cursor is hidden while frames are drawn');
  assert.ok(r.stdout.lastIndexOf('\u001b[?25h') > r.stdout.lastIndexOf('\u001b[?25l'), 'and shown again at the end');
});

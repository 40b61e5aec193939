// A run directory deleted by hand during an apply: mensemble does not bring
// it back holding state alone, nor submit a job into it; it says so, the other
// runs carry on, and the next apply renders and runs it afresh.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, cliAsync, countBy, executions, readState, sweepEnsemble, tempDir } from '../helpers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('run directories deleted mid-apply (one running, one not yet submitted) are reported, not recreated, and run afresh by the next apply', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 6, maxjobs: 2, sleep: 1 });
  const apply = cliAsync(['apply', '--yes'], dir);
  // r1 is running and r5 is rendered but waits for a slot (maxjobs 2).
  const running = () => {
    try {
      return readState(path.join(dir, 'runs', 'r1')).attempts[0]?.state === 'running' && fs.existsSync(path.join(dir, 'runs', 'r5', 'job.sh'));
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 100 && !running(); i++) await sleep(50);
  assert.ok(running(), 'r1 running, r5 rendered');
  // As `rm -rf` by a user while the job runs; its wrapper may write a file (its memory peak) in between: retried then.
  fs.rmSync(path.join(dir, 'runs', 'r1'), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  fs.rmSync(path.join(dir, 'runs', 'r5'), { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  const r = await apply.done;
  assert.equal(r.code, 0, r.stderr);
  for (const id of ['r1', 'r5']) assert.match(r.stdout, new RegExp(`sweep/${id}: the run directory \\S+/runs/${id} was deleted while mensemble worked on it`));
  assert.match(r.stdout, /Apply complete: 4 completed, 0 failed, 2 left for the next apply/);
  assert.doesNotMatch(r.stdout + r.stderr, /could not query|internal error/);
  assert.equal(fs.existsSync(path.join(dir, 'runs', 'r1')), false, 'not recreated');
  assert.equal(fs.existsSync(path.join(dir, 'runs', 'r5')), false, 'not recreated');
  assert.equal(executions(dir).includes('r5'), false, 'no job was submitted into the deleted r5');

  assert.match(cli(['plan'], dir).stdout, /\+ create +sweep\/r1[\s\S]*\+ create +sweep\/r5/);
  const again = cli(['apply', '--yes'], dir);
  assert.equal(again.code, 0, again.stderr);
  const counts = countBy(executions(dir));
  for (const id of ['r2', 'r3', 'r4', 'r5', 'r6']) assert.equal(counts.get(id), 1, `${id} ran once`);
  // r1's first job lost its directory while it ran (it may not have logged yet); it is started afresh.
  assert.ok(counts.get('r1') === 1 || counts.get('r1') === 2, `r1 ran ${counts.get('r1')} times`);
  assert.equal(readState(path.join(dir, 'runs', 'r1')).attempts.length, 1, 'r1 starts afresh with one attempt');
  assert.match(cli(['plan'], dir).stdout, /No changes\. 6 runs up to date/);
});

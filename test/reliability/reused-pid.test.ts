// A pid recorded by a local job is never trusted alone (issue 14, item 11):
// after a crash between starting a job and recording it, and a reboot, a
// process that got the same pid is not taken for the job, and cancel does not
// signal it. The job's wrapper writes its own start time and boot id.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchYaml, cli, tempDir, writeTree } from '../helpers.js';

function ensemble(dir: string): void {
  writeTree(dir, {
    'mensemble.yaml': `ensemble:\n  batches:\n${batchYaml({ n: [1], attempts: 2 })}`,
    // The first attempt hangs (until the "reboot" kills it); the second finishes at once.
    'tpl/job.sh.j2*': '#!/bin/sh\nif [ -f ../../first ]; then rm ../../first; sleep 30; fi\necho ran >> ../../jobs.log\n',
    'first': '',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

for (const reused of ['a live process', 'pid 1']) {
  test(`a pid file naming ${reused} after a crash and a "reboot" is not adopted; the attempt is lost and retried`, async () => {
    const dir = tempDir();
    ensemble(dir);
    const crashed = cli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'after-submit' });
    assert.equal(crashed.code, 137, crashed.stdout + crashed.stderr);
    const pidFile = fs.readdirSync(path.join(dir, 'runs', 'r1', '.mensemble')).find((f) => f === 'job-1.pid');
    assert.ok(pidFile, 'the job wrote its pid file');
    const file = path.join(dir, 'runs', 'r1', '.mensemble', pidFile!);
    const written = fs.readFileSync(file, 'utf8');
    assert.match(written, /^\d+ \d+@[0-9a-f-]+\n$/, 'pid, start time and boot id');
    const jobPid = Number(written.split(' ')[0]);
    // The reboot comes once the first attempt is in its sleep: killed before its `rm`, it would leave the marker
    // behind and the second attempt would sleep too (under load the wrapper's pid file comes well before the script).
    for (let i = 0; i < 400 && fs.existsSync(path.join(dir, 'first')); i++) await new Promise((r) => setTimeout(r, 25));
    assert.equal(fs.existsSync(path.join(dir, 'first')), false, 'the first attempt reached its sleep');
    process.kill(-jobPid, 'SIGKILL'); // the reboot
    // A process that got the same pid after the reboot.
    const other = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    other.unref();
    const otherPid = reused === 'pid 1' ? 1 : other.pid!;
    fs.writeFileSync(file, written.replace(/^\d+/, String(otherPid)));
    try {
      const started = Date.now();
      const r = cli(['apply', '--yes'], dir);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.ok(Date.now() - started < 15_000, `apply did not wait on the unrelated process: ${r.stdout}`);
      assert.match(r.stdout, new RegExp(`job ${otherPid} ended LOST: the process ended without recording an exit code`), 'judged lost at once, not followed');
      assert.equal(fs.readFileSync(path.join(dir, 'jobs.log'), 'utf8'), 'ran\n', 'the second attempt ran');
      const state = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'r1', '.mensemble', 'state.json'), 'utf8'));
      assert.deepEqual(state.attempts.map((a: { state: string }) => a.state), ['lost', 'completed']);
      assert.equal(cli(['cancel'], dir).code, 0);
      assert.ok(alive(other.pid!), 'the unrelated process was never signalled');
    } finally {
      other.kill('SIGKILL');
    }
  });
}

// The disk fills up in the middle of an apply (a 1 MB tmpfs): mensemble says
// so plainly, every state file still parses, and once there is room the next
// apply finishes. A job that ran while the disk was full could not record its
// exit code (its attempt is LOST, and retried); every other run executes
// exactly once. Needs root to mount the tmpfs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchYaml, cli, countBy, executions, numbers, readState, tempDir, writeTree } from '../helpers.js';
import { assertStatesParse } from './campaign.js';
import { tmpfs } from './tmpfs.js';

const { mountpoint, mounted, skip } = tmpfs('1m');

test('disk full while rendering and writing state: a plain error, states intact, and the next apply resumes', { skip }, () => {
  assert.ok(mounted, 'could not mount a tmpfs (CI runs as root)');
  try {
    const dir = path.join(mountpoint, 'ens');
    const runs = 20;
    // Executions are counted off the full disk, so that every one is seen.
    const counter = tempDir();
    writeTree(dir, {
      'mensemble.yaml': `ensemble:\n  batches:\n${batchYaml({ n: numbers(runs), maxjobs: 4, attempts: 2 })}`,
      'tpl/job.sh.j2*': `#!/bin/sh\necho "{{ run.id }}" >> ${counter}/executions.log\n`,
      // 20 copies of 60 KB do not fit in 1 MB.
      'tpl/data.bin': 'x'.repeat(60_000),
      '.mensemblerc': 'backend: local\npoll_interval: 0.2\n',
    });
    const full = cli(['apply', '--yes'], dir);
    assert.equal(full.code, 1, full.stdout + full.stderr);
    assert.match(full.stderr, /^mensemble: the disk is full: no space left on the device while writing.*run the command again when this is fixed/m);
    assert.doesNotMatch(full.stderr, /internal error|\n\s+at /);
    assertStatesParse(dir, 'after the disk filled up');
    assert.equal(fs.existsSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock')), false, 'the lock is released');

    assert.equal(spawnSync('mount', ['-o', 'remount,size=8m', mountpoint]).status, 0);
    const resumed = cli(['apply', '--yes'], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stdout, /Apply complete: \d+ completed, 0 failed/);
    const counts = countBy(executions(counter));
    for (let n = 1; n <= runs; n++) {
      const attempts = readState(path.join(dir, 'runs', `r${n}`)).attempts;
      const lost = attempts.filter((a: { state: string }) => a.state === 'lost').length;
      assert.equal(attempts.at(-1).state, 'completed', `r${n}`);
      // A lost attempt may or may not have run its job; nothing else runs twice.
      assert.ok(counts.get(`r${n}`)! >= 1 && counts.get(`r${n}`)! <= 1 + lost, `r${n} executed ${counts.get(`r${n}`)} times with ${lost} lost attempts`);
    }
    assert.match(cli(['plan'], dir).stdout, new RegExp(`No changes\\. ${runs} runs up to date`));
  } finally {
    spawnSync('umount', [mountpoint]);
  }
});

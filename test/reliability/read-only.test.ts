// plan and status only read: on a read-only file system (a snapshot, a
// colleague's view of a shared ensemble) they work and skip their caches.
// Needs root to mount the tmpfs, as CI has.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, sweepEnsemble } from '../helpers.js';
import { tmpfs } from './tmpfs.js';

const { mountpoint, mounted, skip } = tmpfs('16m');

test('plan and status work on a read-only copy of an applied ensemble, also after a template changed', { skip }, () => {
  assert.ok(mounted, 'could not mount a tmpfs (CI runs as root)');
  try {
    const dir = path.join(mountpoint, 'ens');
    sweepEnsemble(dir, { runs: 3 });
    assert.equal(cli(['apply', '--yes'], dir).code, 0);
    // A template changed since: plan has new hashes to cache, and must not need to write them.
    fs.appendFileSync(path.join(dir, 'template', 'params.j2'), 'more = 1\n');
    assert.equal(spawnSync('mount', ['-o', 'remount,ro', mountpoint]).status, 0);
    const plan = cli(['plan'], dir);
    assert.equal(plan.code, 0, plan.stderr);
    assert.match(plan.stdout, /Plan: 0 to create, 3 to update|3 to replace/);
    const status = cli(['status'], dir);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(cli(['plan', '--json'], dir).code, 0);
  } finally {
    spawnSync('umount', [mountpoint]);
  }
});

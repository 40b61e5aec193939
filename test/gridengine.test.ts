// Grid Engine on one machine (issue 34): the suite brings up a real cell from
// Debian's packages (scripts/sge-up.sh), runs real jobs in it, and tears it
// down by its daemons' pid files (scripts/sge-down.sh). These are the facts
// the `sge` backend is built on, checked on every run of the suite so that a
// fresh machine's install (debconf answers, host alias, root's min_uid) is
// proven, never assumed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { ROOT, tempDir, writeTree } from './helpers.js';
import { ensureCell, sge, tearDownCell } from './gridengine/cell.js';

const skip = ensureCell();
let tornDown = false;
after(() => {
  if (!tornDown && !skip) tearDownCell();
});

/** The fields of `qacct -j <id>` once accounting has the job (it is written as the job leaves qstat). */
async function accounted(id: string, seconds = 60): Promise<Record<string, string>> {
  for (let i = 0; i < seconds * 4; i++) {
    try {
      const text = sge('qacct', ['-j', id]);
      return Object.fromEntries(text.split('\n').map((l) => /^(\w+)\s+(.*?)\s*$/.exec(l)).filter((m): m is RegExpExecArray => m !== null).map((m) => [m[1]!, m[2]!]));
    } catch {
      await sleep(250);
    }
  }
  assert.fail(`qacct never had job ${id}`);
}

test('a Grid Engine cell from Debian\'s packages runs a job submitted with qsub -terse in its folder; qacct has its exit code; a job over its h_rt is ended (failed 37, exit 137)', { skip, timeout: 180_000 }, async () => {
  const dir = tempDir('mensemble-sge-');
  writeTree(dir, {
    'job.sh*': '#!/bin/sh\necho "job $JOB_ID in $(pwd)" > where.txt\nexit 3\n',
    'long.sh*': '#!/bin/sh\nsleep 60\n',
  });
  const id = sge('qsub', ['-terse', '-cwd', '-N', 'mensemble-cell-test', '-o', 'job.out', '-j', 'y', 'job.sh'], dir).trim();
  assert.match(id, /^\d+$/, 'qsub -terse prints the job id alone');
  const done = await accounted(id);
  assert.equal(done.exit_status, '3');
  assert.equal(done.failed, '0');
  assert.equal(fs.readFileSync(path.join(dir, 'where.txt'), 'utf8'), `job ${id} in ${fs.realpathSync(dir)}\n`);

  const long = sge('qsub', ['-terse', '-cwd', '-l', 'h_rt=0:0:3', '-o', 'long.out', '-j', 'y', 'long.sh'], dir).trim();
  const killed = await accounted(long, 90);
  assert.match(killed.failed ?? '', /^37\b/, `the time limit: ${JSON.stringify(killed)}`);
  assert.match(killed.exit_status ?? '', /^137\b/, 'killed by the signal');
});

test('sge-down.sh stops the cell by its pid files: no Grid Engine daemon is left', { skip, timeout: 120_000 }, () => {
  tearDownCell();
  tornDown = true;
  const left: string[] = [];
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    let exe = '';
    try {
      exe = path.basename(fs.readlinkSync(`/proc/${p}/exe`));
    } catch {
      continue;
    }
    if (/^sge_(qmaster|execd|shepherd)$/.test(exe)) left.push(`${p} ${exe}`);
  }
  assert.deepEqual(left, []);
  // Its pid files outlive the daemons; a pid in one may since be another program's (it was once a restarted
  // slurmctld, which this script then stopped): sge-down.sh signals only the daemon a pid file names.
  const other = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    fs.writeFileSync('/var/spool/gridengine/qmaster/qmaster.pid', `${other.pid}\n`);
    const down = spawnSync('bash', [path.join(ROOT, 'scripts/sge-down.sh')], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(down.status, 0, down.stderr);
    // Not reaped while this test holds the event loop: a signalled child shows as a zombie (state Z).
    const state = fs.readFileSync(`/proc/${other.pid}/stat`, 'utf8').split(') ')[1]?.[0];
    assert.notEqual(state, 'Z', 'before: sge-down.sh waited 20 s, then sent it SIGTERM');
  } finally {
    other.kill('SIGKILL');
  }
});

// Hostile values in configuration data never reach a shell; files mensemble
// creates follow the user's umask and are never world-writable; nothing is
// written outside the ensemble's folder. (The same ensemble runs on the real
// SLURM cluster in test/slurm.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BIN, listTree, tempDir } from './helpers.js';
import { HOSTILE_RUNS, expectedParams, hostileEnsemble, pwnedFiles } from './security/hostile.js';

function applyWithUmask(dir: string, umask: string, env: Record<string, string>): { code: number | null; out: string } {
  const r = spawnSync('bash', ['-c', `umask ${umask}; exec "$@"`, 'bash', process.execPath, BIN, 'apply', '--yes', '--backend', 'local'], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

test('values with $(...), backticks, quotes, spaces and line breaks in variables, run ids and paths reach no shell, and nothing is written outside the ensemble', () => {
  const root = tempDir('mensemble-hostile-');
  const home = path.join(root, 'home');
  const tmp = path.join(root, 'tmp');
  fs.mkdirSync(home);
  fs.mkdirSync(tmp);
  const dir = hostileEnsemble(path.join(root, 'ens'));
  const before = listTree(root);

  const r = applyWithUmask(dir, '022', { HOME: home, TMPDIR: tmp });
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, new RegExp(`Apply complete: ${HOSTILE_RUNS.length} completed, 0 failed`));
  assert.deepEqual(pwnedFiles(root), [], 'no command hidden in a value ran');
  const basedir = path.join(dir, "runs $(touch PWNED-basedir) 'b'");
  for (const run of HOSTILE_RUNS) {
    const runDir = path.join(basedir, run.id);
    assert.equal(fs.readFileSync(path.join(runDir, 'params.txt'), 'utf8'), expectedParams(run.text), `${run.id}: the values are written as they are`);
    assert.equal(fs.readFileSync(path.join(runDir, 'seen.txt'), 'utf8'), expectedParams(run.text), `${run.id}: the job ran in its own directory`);
    assert.ok(fs.existsSync(path.join(runDir, 'log $(touch PWNED-log) `x`.txt')), `${run.id}: the task log is named as written`);
    assert.ok(fs.existsSync(path.join(dir, 'archive $(touch PWNED-dest)', run.id, 'seen.txt')), `${run.id}: moved to a destination named as written`);
  }
  // Every new path is inside the ensemble's folder; HOME and TMPDIR stay empty.
  const added = listTree(root).filter((p) => !before.includes(p));
  assert.deepEqual(added.filter((p) => !p.startsWith('ens/')), []);
  assert.deepEqual(fs.readdirSync(home), []);
  assert.deepEqual(fs.readdirSync(tmp), []);
});

test('files mensemble creates follow the umask: never world-writable, and private under umask 077', () => {
  for (const umask of ['022', '077']) {
    const root = tempDir('mensemble-umask-');
    const dir = hostileEnsemble(path.join(root, 'ens'));
    // A world-writable template must not give world-writable copies.
    fs.chmodSync(path.join(dir, 'tpl', 'job.sh.j2'), 0o777);
    fs.chmodSync(path.join(dir, 'tpl', 'params.txt.j2'), 0o666);
    const mine = new Set(listTree(dir));
    const r = applyWithUmask(dir, umask, {});
    assert.equal(r.code, 0, r.out);
    const forbidden = umask === '077' ? 0o077 : 0o002;
    const created = listTree(dir).filter((p) => !mine.has(p));
    assert.ok(created.some((p) => p.endsWith('.mensemble/state.json')) && created.some((p) => p.endsWith('/job.sh')));
    for (const rel of created) {
      const stat = fs.lstatSync(path.join(dir, rel));
      if (stat.isSymbolicLink()) continue;
      assert.equal(stat.mode & forbidden, 0, `umask ${umask}: ${rel} has mode ${(stat.mode & 0o7777).toString(8)}`);
    }
    if (umask === '077') {
      const job = fs.statSync(path.join(dir, "runs $(touch PWNED-basedir) 'b'", HOSTILE_RUNS[0]!.id, 'job.sh'));
      assert.equal(job.mode & 0o777, 0o700, 'the job file keeps its execute bit for the user');
    }
  }
});

// What the second hostile probe found (issue 31), items that need the
// command and the file system: each test failed before its fix.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchYaml, cli, listTree, readState, tempDir, writeTree } from '../helpers.js';

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

test('item 1: a stale file is never deleted through a folder of the run that became a link', () => {
  const top = tempDir();
  const dir = path.join(top, 'ens');
  writeTree(dir, {
    'mensemble.yaml': `ensemble:\n  batches:\n${batchYaml({ n: [1] }).replace('templates: [job.sh.j2]', 'templates: [job.sh.j2, data/input.nml.j2]')}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\n',
    'tpl/data/input.nml.j2': '&nml n = {{ n }} /\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  // The run's data/ is replaced by a link to a shared folder holding a file of the same name.
  const shared = path.join(top, 'shared');
  fs.mkdirSync(shared);
  fs.writeFileSync(path.join(shared, 'input.nml'), 'shared data\n');
  const data = path.join(dir, 'runs', 'r1', 'data');
  fs.rmSync(data, { recursive: true });
  fs.symlinkSync(shared, data);
  // The template that wrote data/input.nml is dropped.
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace(', data/input.nml.j2', ''));
  fs.rmSync(path.join(dir, 'tpl', 'data'), { recursive: true });
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(fs.readFileSync(path.join(shared, 'input.nml'), 'utf8'), 'shared data\n', 'before: the clean-up deleted the shared file through the link');
  assert.equal(lines(path.join(dir, 'jobs.log')).length, 2, 'the run itself was rendered again and ran');
});

test('item 2: a settings file another user could write is refused with its path, before anything is written', () => {
  const top = tempDir();
  const dir = path.join(top, 'project', 'ens');
  writeTree(dir, {
    'mensemble.yaml': `ensemble:\n  batches:\n${batchYaml({ n: [1] })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho ran > ran.txt\n',
  });
  // A parent folder's settings file names a "shell": a program that would run as the user.
  const rc = path.join(top, 'project', '.mensemblerc');
  const evil = path.join(top, 'evil.sh');
  fs.writeFileSync(evil, `#!/bin/sh\ntouch ${path.join(top, 'PWNED')}\nexec /bin/sh "$@"\n`, { mode: 0o755 });
  fs.writeFileSync(rc, `shell: ${evil}\n`);
  fs.chmodSync(rc, 0o664);
  const before = listTree(top);
  for (const args of [['apply', '--yes'], ['plan']]) {
    const r = cli(args, dir);
    assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`settings file ${rc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not used: it is writable by its group`));
  }
  assert.deepEqual(listTree(top), before, 'nothing written');
  assert.equal(fs.existsSync(path.join(top, 'PWNED')), false);

  if (process.getuid?.() === 0) {
    // Owned by another user (nobody), not writable by others: still refused, naming the owner.
    fs.chmodSync(rc, 0o644);
    fs.chownSync(rc, 65534, 65534);
    const r = cli(['apply', '--yes'], dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /is not used: it is owned by (nobody \(65534\)|uid 65534), not by you/);
    assert.deepEqual(listTree(top), before);
  }
  // One of the user's own, not writable by others, is used.
  fs.rmSync(rc);
  fs.writeFileSync(rc, 'poll_interval: 0.1\n', { mode: 0o644 });
  fs.chmodSync(rc, 0o644);
  const ok = cli(['apply', '--yes'], dir);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
});

function twoConfigurations(dir: string): void {
  const config = (n: number[], postBatch: string) => `ensemble:
  pre_process:
    - name: execute
      args: { cmd: "echo ran >> pre_process.log" }
  batches:
${batchYaml({ n })}      pre_batch:
        - name: execute
          args: { cmd: "echo ran >> ../pre_batch.log" }
      post_batch:
        - name: execute
          args: { cmd: "${postBatch}" }
`;
  writeTree(dir, {
    'a.yaml': config([1, 2], 'test -f ../ready'),
    'b.yaml': config([3, 4], 'true'),
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../jobs.log\necho result > result.txt\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
}

test('item 3: two configurations sharing a basedir and a batch name never plan or prune each other\'s runs', () => {
  const dir = tempDir();
  twoConfigurations(dir);
  fs.writeFileSync(path.join(dir, 'ready'), '');
  assert.equal(cli(['apply', '--yes', 'a.yaml'], dir).code, 0);
  assert.equal(cli(['apply', '--yes', 'b.yaml'], dir).code, 0);
  for (const [config, others] of [['a.yaml', ['r3', 'r4']], ['b.yaml', ['r1', 'r2']]] as const) {
    const plan = cli(['plan', '--detailed-exitcode', config], dir);
    assert.equal(plan.code, 0, `${config}: before, the other configuration's runs were planned as - remove: ${plan.stdout}`);
    assert.doesNotMatch(plan.stdout, /remove/);
    const r = cli(['apply', '--yes', '--prune', config], dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const id of others) assert.ok(fs.existsSync(path.join(dir, 'runs', id, 'result.txt')), `${config} --prune kept ${id} and its results`);
  }
  // A run each configuration itself dropped is still its own to prune.
  fs.writeFileSync(path.join(dir, 'a.yaml'), fs.readFileSync(path.join(dir, 'a.yaml'), 'utf8').replace('n: [1, 2]', 'n: [1]').replace('maxruns: 2', 'maxruns: 1').replace('maxjobs: 2', 'maxjobs: 1'));
  const plan = cli(['plan', 'a.yaml'], dir);
  assert.match(plan.stdout, /- remove\s+b\/r2/);
  assert.doesNotMatch(plan.stdout, /r3|r4/);
  assert.equal(readState(path.join(dir, 'runs', 'r3')).owner.config, 'b.yaml', 'a run records the configuration that wrote it');
});

test('item 4: two configurations in one folder each have their own session: the second runs its own pre_process and pre_batch', () => {
  const dir = tempDir();
  twoConfigurations(dir);
  // a's post_batch fails: its session stays open, to be resumed by a's next apply.
  const a = cli(['apply', '--yes', 'a.yaml'], dir);
  assert.equal(a.code, 1, a.stdout + a.stderr);
  assert.equal(lines(path.join(dir, 'pre_process.log')).length, 1);
  const b = cli(['apply', '--yes', 'b.yaml'], dir);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.equal(lines(path.join(dir, 'pre_process.log')).length, 2, 'before: b resumed a\'s session and skipped its pre_process');
  assert.equal(lines(path.join(dir, 'pre_batch.log')).length, 2, 'and its pre_batch');
  // a's own session is still open: its next apply resumes it (no pre_process again).
  fs.writeFileSync(path.join(dir, 'ready'), '');
  assert.equal(cli(['apply', '--yes', 'a.yaml'], dir).code, 0);
  assert.equal(lines(path.join(dir, 'pre_process.log')).length, 2, 'a resumed its own session');
});

test('item 5: a changed run killed between its intent and its new job never adopts the old job (local)', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `ensemble:\n  vars: { years: 10 }\n  batches:\n${batchYaml({ n: [1] })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }} {{ run.years }}" >> ../../jobs.log\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('years: 10', 'years: 20'));
  const killed = cli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'before-submit' });
  assert.equal(killed.code, 137, killed.stdout + killed.stderr);
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(lines(path.join(dir, 'jobs.log')), ['r1 10', 'r1 20'], 'before: the old finished job-1 was adopted and the new inputs never ran');
  const state = readState(path.join(dir, 'runs', 'r1'));
  assert.equal(state.completed.inputHash, state.inputHash);
});

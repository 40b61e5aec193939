// An ensemble's runs do not depend on how its folder is spelled or where it
// was moved (issue 14, item 5): a path through a symbolic link changes
// nothing, and a renamed folder carries its runs' records over instead of
// running every completed run again.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { batchYaml, cli, tempDir, writeTree } from '../helpers.js';

function ensemble(dir: string, job = '#!/bin/sh\necho "{{ run.id }}" >> ../../../jobs.log\n'): void {
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:
  batches:
${batchYaml({ n: [1, 2] })}      post_run:
        - name: execute
          args: { cmd: "echo {{ run.id }} >> ../../../post_run.log" }
`,
    'tpl/job.sh.j2*': job,
    'tpl/data.txt': 'shared input\n',
    '.mensemblerc': 'poll_interval: 0.1\n',
  });
}

const count = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);

test('planning through a symbolic link to the ensemble changes nothing', () => {
  const top = tempDir();
  const ens = path.join(top, 'ens');
  ensemble(ens);
  assert.equal(cli(['apply', '--yes'], ens).code, 0);
  fs.symlinkSync(ens, path.join(top, 'link'));
  const viaLink = cli(['plan', 'link/mensemble.yaml', '--detailed-exitcode'], top);
  assert.equal(viaLink.code, 0, `before: every run was planned -/+ replace (variable dir: .../ens/... -> .../link/...): ${viaLink.stdout}${viaLink.stderr}`);
  assert.match(viaLink.stdout, /No changes\. 2 runs up to date/);
  const doc = JSON.parse(cli(['plan', '--json', 'link/mensemble.yaml'], top).stdout);
  assert.deepEqual(doc.runs.map((r: { dir: string }) => r.dir), [path.join(fs.realpathSync(ens), 'runs', 'r1'), path.join(fs.realpathSync(ens), 'runs', 'r2')]);
  const r = cli(['apply', '--yes', 'link/mensemble.yaml'], top);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(count(path.join(top, 'jobs.log')), 2, 'no job ran again');
});

test('a renamed ensemble carries its completed runs over: the plan says they moved, apply runs nothing again', () => {
  const top = tempDir();
  ensemble(path.join(top, 'ens'));
  assert.equal(cli(['apply', '--yes'], path.join(top, 'ens')).code, 0);
  fs.renameSync(path.join(top, 'ens'), path.join(top, 'ens2'));
  const moved = path.join(top, 'ens2');

  const plan = cli(['plan', '--detailed-exitcode'], moved);
  assert.equal(plan.code, 2, plan.stdout);
  assert.match(plan.stdout, new RegExp(`↪ moved\\s+b/r1\\s+moved from ${path.join(fs.realpathSync(top), 'ens', 'runs', 'r1').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}; nothing to re-render`));
  assert.match(plan.stdout, /its jobs are not run again \(use --replace-moved to run it afresh\)/);
  assert.match(plan.stdout, /2 moved/);
  assert.doesNotMatch(plan.stdout, /replace\s+b\//);

  const r = cli(['apply', '--yes'], moved);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /2 moved \(record carried over, not run again\)/);
  assert.equal(count(path.join(top, 'jobs.log')), 2, 'before: apply --yes ran every job again');
  assert.equal(count(path.join(top, 'post_run.log')), 2, 'nor their tasks');
  const state = JSON.parse(fs.readFileSync(path.join(moved, 'runs', 'r1', '.mensemble', 'state.json'), 'utf8'));
  assert.equal(JSON.parse(state.vars.dir), path.join(fs.realpathSync(moved), 'runs', 'r1'));
  assert.equal(state.attempts.length, 1);
  assert.equal(state.attempts[0].inputHash, state.inputHash, 'the attempt is carried over to the new input hash');
  assert.match(cli(['plan'], moved).stdout, /No changes\. 2 runs up to date/);
});

test('a moved run whose files use run.dir has them re-rendered, without running its job again; --replace-moved runs it afresh', () => {
  const top = tempDir();
  ensemble(path.join(top, 'ens'), '#!/bin/sh\n# here: {{ run.dir }}\necho "{{ run.id }}" >> ../../../jobs.log\n');
  assert.equal(cli(['apply', '--yes'], path.join(top, 'ens')).code, 0);
  fs.renameSync(path.join(top, 'ens'), path.join(top, 'ens2'));
  const moved = path.join(top, 'ens2');
  const plan = cli(['plan'], moved);
  assert.match(plan.stdout, /b\/r1\s+moved from .*; re-renders job\.sh \(it uses run\.dir\)/);

  const replace = cli(['plan', '--replace-moved'], moved);
  assert.match(replace.stdout, /-\/\+ replace\s+b\/r1\s+variable dir:/);

  assert.equal(cli(['apply', '--yes'], moved).code, 0);
  assert.equal(count(path.join(top, 'jobs.log')), 2);
  const job = fs.readFileSync(path.join(moved, 'runs', 'r1', 'job.sh'), 'utf8');
  assert.match(job, new RegExp(`# here: ${path.join(fs.realpathSync(moved), 'runs', 'r1').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\n`));
  assert.match(cli(['plan'], moved).stdout, /No changes\./);

  fs.renameSync(moved, path.join(top, 'ens3'));
  const again = cli(['apply', '--yes', '--replace-moved'], path.join(top, 'ens3'));
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.equal(count(path.join(top, 'jobs.log')), 4, 'asked to, it runs them afresh');
});

test('a moved run with an edited variable is a plain change (replace), not a move', () => {
  const top = tempDir();
  ensemble(path.join(top, 'ens'));
  assert.equal(cli(['apply', '--yes'], path.join(top, 'ens')).code, 0);
  fs.renameSync(path.join(top, 'ens'), path.join(top, 'ens2'));
  const file = path.join(top, 'ens2', 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('n: [1, 2]', 'n: [1, 2]\n      vars: { years: 3 }'));
  const plan = cli(['plan'], path.join(top, 'ens2'));
  assert.match(plan.stdout, /-\/\+ replace\s+b\/r1\s+variable dir:/);
  assert.match(plan.stdout, /variable years added/);
});

test('a run moved while a submission was being recorded is left alone with a note, never submitted from the new place', () => {
  const top = tempDir();
  ensemble(path.join(top, 'ens'));
  assert.equal(cli(['apply', '--yes'], path.join(top, 'ens')).code, 0);
  const file = path.join(top, 'ens', 'runs', 'r1', '.mensemble', 'state.json');
  const state = JSON.parse(fs.readFileSync(file, 'utf8'));
  state.attempts.push({ ...state.attempts[0], attempt: 2, state: 'submitting', jobId: undefined, submittedAt: new Date().toISOString() });
  delete state.completed;
  fs.writeFileSync(file, JSON.stringify(state));
  fs.renameSync(path.join(top, 'ens'), path.join(top, 'ens2'));
  const plan = cli(['plan'], path.join(top, 'ens2'));
  assert.match(plan.stdout, /b\/r1[\s\S]*moved from .* while attempt 2 was being submitted; mensemble cannot tell from here whether that job exists/);
  const r = cli(['apply', '--yes'], path.join(top, 'ens2'));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(count(path.join(top, 'jobs.log')), 2, 'nothing was submitted for it');
});

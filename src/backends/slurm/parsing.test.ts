import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hasIdentity, jobIdentity } from './identity.js';
import { parseOneLiner } from './queries.js';
import { isTransientMessage } from './run-command.js';
import { sbatchArgs } from './sbatch-args.js';
import { mapSlurmState, parseExitCode } from './states.js';

test('SLURM states map onto mensemble states; unknown ones are left undecided', () => {
  assert.equal(mapSlurmState('PENDING'), 'queued');
  assert.equal(mapSlurmState('COMPLETING'), 'running');
  assert.equal(mapSlurmState('CANCELLED by 0'), 'cancelled');
  assert.equal(mapSlurmState('OUT_OF_MEMORY'), 'out_of_memory');
  assert.equal(mapSlurmState('NODE_FAIL'), 'node_fail');
  assert.equal(mapSlurmState('DEADLINE'), 'deadline');
  assert.equal(mapSlurmState('SOMETHING_NEW'), undefined);
});

test('exit codes: status:signal, a signal becomes 128 + signal', () => {
  assert.deepEqual(parseExitCode('3:0'), { exitCode: 3, signal: undefined });
  assert.deepEqual(parseExitCode('0:9'), { exitCode: 137, signal: 9 });
  assert.deepEqual(parseExitCode(''), { exitCode: null });
});

test('scontrol one-liners keep values with spaces whole', () => {
  const f = parseOneLiner('JobId=7 JobName=my job JobState=FAILED Reason=NonZeroExitCode ExitCode=3:0 WorkDir=/tmp/a b Comment=mensemble:k:1:r 1  StdErr=/x');
  assert.equal(f.get('JobName'), 'my job');
  assert.equal(f.get('WorkDir'), '/tmp/a b');
  assert.equal(f.get('Comment'), 'mensemble:k:1:r 1');
  assert.equal(f.get('ExitCode'), '3:0');
});

test('a job is recognised by the identity in its comment, not by its id alone', () => {
  const id = jobIdentity({ ensembleKey: 'abc', attempt: 2, runId: 'r 1' });
  assert.equal(hasIdentity({ comment: id }, id), true);
  assert.equal(hasIdentity({ comment: `${id} user text` }, id), true);
  assert.equal(hasIdentity({ comment: 'mensemble:abc:2:r 10' }, id), false);
  assert.equal(hasIdentity({ raw: `JobId=1 Comment=${id} StdErr=/x` }, id), true);
});

test('a run id is never the start of another run\'s identity: run `r` does not take the job of run `r x` (issue 31, item 6)', () => {
  const r = jobIdentity({ ensembleKey: 'k', attempt: 1, runId: 'r' });
  const rx = jobIdentity({ ensembleKey: 'k', attempt: 1, runId: 'r x' });
  assert.equal(rx, 'mensemble:k:1:r%20x', 'ids with spaces are encoded');
  assert.equal(jobIdentity({ ensembleKey: 'k', attempt: 1, runId: 'co2-280_s1.b' }), 'mensemble:k:1:co2-280_s1.b', 'plain ids read as before');
  assert.equal(hasIdentity({ comment: rx }, r), false, 'before: the comment of `r x` started with `r`\'s identity and a space');
  assert.equal(hasIdentity({ comment: `${rx} user text` }, r), false);
  assert.equal(hasIdentity({ raw: `JobId=2 Comment=${rx} StdErr=/x` }, r), false);
  assert.equal(hasIdentity({ comment: `${r} user text` }, r), true, 'the user\'s own comment still follows the identity');
  assert.notEqual(jobIdentity({ ensembleKey: 'k', attempt: 1, runId: 'r%20x' }), rx, 'the encoding tells a literal % apart');
});

test('transient SLURM errors are told apart from permanent ones', () => {
  assert.equal(isTransientMessage('sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)'), true);
  assert.equal(isTransientMessage('squeue: error: Socket timed out on send/recv operation'), true);
  assert.equal(isTransientMessage('sbatch: error: Batch job submission failed: Invalid partition name specified'), false);
});

test('sbatch arguments: options as flags, identity in the comment, the job name left to the job file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-sbatch-'));
  fs.writeFileSync(path.join(dir, 'job.sh'), '#!/bin/sh\n#SBATCH --time=1\necho hi\n');
  const request = { ensembleKey: 'k', batch: 'b', runId: 'r1', runDir: dir, jobFile: 'job.sh', attempt: 1, knownJobIds: [] };
  assert.deepEqual(sbatchArgs({ ...request, options: { partition: 'debug', p: 'x', exclusive: true, hold: false, comment: 'mine' } }, ['wrapper', 'a']), [
    '--parsable',
    '--comment=mensemble:k:1:r1 mine',
    '--no-requeue',
    '--job-name=r1',
    '--partition=debug',
    '-p',
    'x',
    '--exclusive',
    'wrapper',
    'a',
  ]);
  fs.writeFileSync(path.join(dir, 'job.sh'), '#!/bin/sh\n#SBATCH -J own\necho hi\n');
  assert.deepEqual(sbatchArgs({ ...request, options: { requeue: true } }, ['wrapper']), ['--parsable', '--comment=mensemble:k:1:r1', '--requeue', 'wrapper']);
});

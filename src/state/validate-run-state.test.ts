import assert from 'node:assert/strict';
import { test } from 'node:test';
import { escalatedOptions } from '../plan/retry-policy.js';
import { runStateProblem } from './validate-run-state.js';

const state = (escalated: unknown) => ({
  version: 1,
  id: 'r1',
  batch: 'b',
  inputHash: 'h',
  vars: {},
  files: {},
  jobFile: 'job.sh',
  options: '{}',
  renderedAt: '2026-12-07T00:00:00.000Z',
  attempts: [{ attempt: 1, inputHash: 'h', backend: 'slurm', state: 'failed', submittedAt: '2026-12-07T00:00:00.000Z', escalated }],
  tasks: {},
});

test('issue 31, item 9: a state file\'s escalated record holds only mem and time, in the forms mensemble writes', () => {
  assert.equal(runStateProblem(state({ mem: '12288M', time: '02:00:00' })), undefined);
  assert.equal(runStateProblem(state({ time: '1-02:00:00' })), undefined);
  assert.match(runStateProblem(state({ mem: '12288M', output: '/tmp/outside.log' }))!, /attempts\[0\]\.escalated\.output: not an option a retry raises/);
  assert.match(runStateProblem(state({ chdir: '/' }))!, /escalated\.chdir/);
  assert.match(runStateProblem(state({ wrap: 'rm -rf ~' }))!, /escalated\.wrap/);
  assert.match(runStateProblem(state({ mem: '1G --output=/x' }))!, /escalated\.mem: .* expected whole MiB/);
  assert.match(runStateProblem(state({ time: '2:00; x' }))!, /escalated\.time/);
});

test('issue 31, item 9: only mem and time of an escalation reach the scheduler\'s options', () => {
  const options = escalatedOptions({ partition: 'debug', 'mem-per-cpu': '1G', t: 10 }, { mem: '3072M', time: '00:20:00', output: '/tmp/x', chdir: '/' } as Record<string, string>);
  assert.deepEqual(options, { partition: 'debug', mem: '3072M', time: '00:20:00' });
  assert.deepEqual(escalatedOptions({ mem: '1G', partition: 'p' }, undefined), { mem: '1G', partition: 'p' });
});

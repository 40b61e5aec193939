import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Backend, SubmitRequest, SubmitResult } from '../backends/types.js';
import type { AttemptRecord } from '../state/run-state.js';
import { ArrayGate } from './array-gate.js';
import { RateLimiter } from './rate-limit.js';

/** A backend that records each array it is handed (the run ids in it). */
function arrayBackend() {
  const arrays: string[][] = [];
  const backend: Required<Pick<Backend, 'submitArray'>> = {
    submitArray: async (requests: readonly SubmitRequest[]) => {
      arrays.push(requests.map((r) => r.runId));
      return new Map<SubmitRequest, SubmitResult | Error>(requests.map((r, i) => [r, { jobId: `7_${i}`, state: 'queued' } as SubmitResult]));
    },
  };
  return { backend, arrays };
}

const request = (runId: string) => ({ runId }) as SubmitRequest;
const record = () => ({}) as AttemptRecord;

async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

test('the gate sends one array as soon as every run in flight has arrived, without waiting out the quiet window', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, arrays } = arrayBackend();
  const gate = new ArrayGate(backend, 5, new RateLimiter(1000));
  for (const id of ['a', 'b', 'c']) gate.approach(id);
  const results = ['a', 'b'].map((id) => gate.submit(request(id), record(), () => {}));
  t.mock.timers.tick(100);
  await settle();
  assert.deepEqual(arrays, [], 'c is still on its way: the gate waits');
  results.push(gate.submit(request('c'), record(), () => {}));
  t.mock.timers.tick(0);
  await settle();
  assert.deepEqual(arrays, [['a', 'b', 'c']]);
  assert.deepEqual((await Promise.all(results)).map((r) => r.jobId), ['7_0', '7_1', '7_2']);
});

test('a run that leaves without submitting releases the waiting array; a late run waits at most the quiet window', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, arrays } = arrayBackend();
  const gate = new ArrayGate(backend, 5, new RateLimiter(1000));
  for (const id of ['a', 'b', 'c']) gate.approach(id);
  void gate.submit(request('a'), record(), () => {});
  gate.leave('b'); // failed before its submit step
  t.mock.timers.tick(0);
  await settle();
  assert.deepEqual(arrays, [], 'c is still on its way');
  t.mock.timers.tick(200);
  await settle();
  assert.deepEqual(arrays, [['a']], 'sent after the quiet window although c never came');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { JobArrays, SubmitRequest, SubmitResult } from '../../backends/types.js';
import type { AttemptRecord } from '../../state/run-state.js';
import { ArrayGate } from './array-gate.js';
import { RateLimiter } from './rate-limit.js';

/** A backend that records each array it is handed (the run ids in it, its throttle) and each throttle change. */
function arrayBackend() {
  const arrays: string[][] = [];
  const throttles: number[] = [];
  const raised: Array<{ runs: string[]; throttle: number }> = [];
  let next = 7;
  const backend: JobArrays = {
    available: async () => true,
    submit: async (requests: readonly SubmitRequest[], throttle: number) => {
      arrays.push(requests.map((r) => r.runId));
      throttles.push(throttle);
      const id = next++;
      return new Map<SubmitRequest, SubmitResult | Error>(requests.map((r, i) => [r, { jobId: `${id}_${i}`, state: 'queued' } as SubmitResult]));
    },
    setThrottle: async (attempts: readonly AttemptRecord[], throttle: number) => {
      raised.push({ runs: attempts.map((a) => String(a.jobId)), throttle });
    },
  };
  return { backend, arrays, throttles, raised };
}

const request = (runId: string) => ({ runId }) as SubmitRequest;
const record = () => ({}) as AttemptRecord;

/** Lets every pending promise step run (setImmediate is not mocked). */
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
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

test('maxjobs holds across arrays: a later array gets only the free slots, waits while none are, and is raised as tasks end', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, arrays, throttles, raised } = arrayBackend();
  const gate = new ArrayGate(backend, 3, new RateLimiter(1000));
  // As the run driver does: the attempt record gets the job id the submission returned.
  const send = (id: string) => {
    const rec = record();
    return gate.submit(request(id), rec, () => {}).then((result) => Object.assign(rec, { jobId: result.jobId }));
  };
  const first = ['a', 'b', 'c'].map(send);
  t.mock.timers.tick(5);
  await settle();
  await Promise.all(first);
  assert.deepEqual(arrays, [['a', 'b', 'c']]);
  assert.deepEqual(throttles, [3]);

  // d and e reach submit while a, b and c hold all three slots: nothing goes out.
  const later = ['d', 'e'].map(send);
  t.mock.timers.tick(5);
  await settle();
  assert.equal(arrays.length, 1, 'held back while no slot is free');

  // a ends: one slot, so d and e go out as one array throttled to 1.
  gate.ended('a');
  await settle();
  t.mock.timers.tick(5);
  await settle();
  await Promise.all(later);
  assert.deepEqual(arrays[1], ['d', 'e']);
  assert.deepEqual(throttles, [3, 1]);

  // b ends: its slot goes to the new array, whose throttle holds e back.
  gate.ended('b');
  await settle();
  assert.deepEqual(raised, [{ runs: ['8_0', '8_1'], throttle: 2 }]);
  // c ends: nothing is held back any more (d and e may both run), so no further change.
  gate.ended('c');
  await settle();
  assert.equal(raised.length, 1);
});

test('with --no-wait every array gets the whole maxjobs (nothing would report tasks ending)', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, arrays, throttles } = arrayBackend();
  const gate = new ArrayGate(backend, 3, new RateLimiter(1000), false);
  for (const id of ['a', 'b', 'c']) void gate.submit(request(id), record(), () => {});
  t.mock.timers.tick(5);
  await settle();
  void gate.submit(request('d'), record(), () => {});
  t.mock.timers.tick(5);
  await settle();
  assert.deepEqual(arrays, [['a', 'b', 'c'], ['d']]);
  assert.deepEqual(throttles, [3, 3]);
});

test('a job an earlier apply submitted takes a slot while this apply follows it', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, arrays, throttles } = arrayBackend();
  const gate = new ArrayGate(backend, 2, new RateLimiter(1000));
  gate.occupy('old1');
  gate.occupy('old2');
  const sent = gate.submit(request('new'), record(), () => {});
  t.mock.timers.tick(5);
  await settle();
  assert.deepEqual(arrays, [], 'both slots are taken by the earlier jobs');
  gate.ended('old1');
  await settle();
  t.mock.timers.tick(5);
  await settle();
  await sent;
  assert.deepEqual(arrays, [['new']]);
  assert.deepEqual(throttles, [1]);
});

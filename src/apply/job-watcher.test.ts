import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { Backend, JobStatus, TrackedJob } from '../backends/types.js';
import type { AttemptRecord } from '../state/run-state.js';
import { JobWatcher } from './job-watcher.js';

/** A backend whose one job runs until `finish()`; counts the status queries it answers. */
function oneJobBackend() {
  let state: JobStatus['state'] = 'running';
  const queries: number[] = [];
  const backend = {
    name: 'counting',
    refresh: async (jobs: readonly TrackedJob[]) => {
      queries.push(Date.now());
      return new Map(jobs.map((j) => [j, { state }] as const));
    },
  } as unknown as Backend;
  return { backend, queries, finish: () => (state = 'completed') };
}

const job = (): TrackedJob => ({ runDir: '/nowhere', record: { attempt: 1, inputHash: 'x', backend: 'counting', state: 'running', jobId: '1' } as AttemptRecord });

/** Moves the test's mocked clock on, letting the watcher's promise callbacks run between steps. */
async function advance(t: TestContext, ms: number, step = 100): Promise<void> {
  for (let elapsed = 0; elapsed < ms; elapsed += step) {
    t.mock.timers.tick(step);
    for (let i = 0; i < 5; i++) await Promise.resolve();
  }
}

test('the watcher polls at the base interval while jobs are young, then backs off for long ones', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, queries, finish } = oneJobBackend();
  const watcher = new JobWatcher(backend, 1000, () => {});
  const done = watcher.wait(job(), () => {});
  await advance(t, 5_000);
  // First query after 0.2 s, then every second: no backoff in the first seconds.
  assert.equal(queries.length, 5, `queries in the first 5 s: ${queries.length}`);
  const before = queries.length;
  await advance(t, 120_000);
  const later = queries.length - before;
  // Backed off: far fewer than one a second, never fewer than one per 8 s.
  assert.ok(later >= 120 / 8 && later <= 40, `queries in the next 120 s: ${later}`);
  finish();
  await advance(t, 8_000);
  await done;
  watcher.stop();
});

test('a job that ends after 5 s is seen within one base interval', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  const { backend, queries, finish } = oneJobBackend();
  const watcher = new JobWatcher(backend, 1000, () => {});
  let ended = false;
  const done = watcher.wait(job(), () => {}).then(() => (ended = true));
  await advance(t, 5_000);
  finish();
  await advance(t, 1_000);
  assert.equal(ended, true, `not seen within 1 s of ending; ${queries.length} queries`);
  await done;
  watcher.stop();
});

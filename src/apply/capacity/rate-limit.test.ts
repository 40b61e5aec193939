import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { RateLimiter } from './rate-limit.js';

/**
 * When each of `n` callers, all asking at once, is let through (ms), on a
 * mocked clock: the rule is checked, not how busy the machine is.
 */
async function admitted(t: TestContext, limiter: RateLimiter, n: number, untilMs: number): Promise<number[]> {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const times: number[] = [];
  const all = Array.from({ length: n }, (_, i) => limiter.take().then(() => (times[i] = Date.now())));
  for (let at = 0; at <= untilMs; at += 10) {
    await new Promise((resolve) => setImmediate(resolve));
    t.mock.timers.tick(10);
  }
  await Promise.all(all);
  t.mock.timers.reset();
  return times;
}

test('the rate limiter lets a second\'s worth through at once, then never more than the rate in any window', async (t) => {
  const times = await admitted(t, new RateLimiter(20), 45, 3000);
  assert.deepEqual(times.slice(0, 20), Array(20).fill(0), 'the first 20 at once');
  for (let i = 20; i < 45; i++) assert.ok(times[i]! - times[i - 20]! >= 1000, `call ${i} came ${times[i]! - times[i - 20]!} ms after call ${i - 20}`);
  assert.ok(times[44]! <= 2010, `the last in the third second (${times[44]})`);
});

test('a rate below one a second spaces every call by its period; an infinite rate never waits', async (t) => {
  const times = await admitted(t, new RateLimiter(4 / 3), 3, 2000);
  assert.deepEqual(times, [0, 750, 1500]);
  assert.deepEqual(await admitted(t, new RateLimiter(Number.POSITIVE_INFINITY), 1000, 0), Array(1000).fill(0));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimiter } from './rate-limit.js';

/** When each of `n` callers, all asking at once, is let through (ms after the start). */
async function admitted(limiter: RateLimiter, n: number): Promise<number[]> {
  const start = Date.now();
  return Promise.all(Array.from({ length: n }, () => limiter.take().then(() => Date.now() - start)));
}

test('the rate limiter lets a second\'s worth through at once, then never more than the rate in any window', async () => {
  const times = await admitted(new RateLimiter(20), 45);
  assert.ok(times.slice(0, 20).every((t) => t < 40), `the first 20 at once: ${times.slice(0, 20)}`);
  for (let i = 20; i < 45; i++) assert.ok(times[i]! - times[i - 20]! >= 995, `call ${i} came ${times[i]! - times[i - 20]!} ms after call ${i - 20}`);
  assert.ok(times[44]! >= 1995, 'the third window');
});

test('a rate below one a second spaces every call by its period; an infinite rate never waits', async () => {
  const times = await admitted(new RateLimiter(4 / 3), 3);
  assert.ok(times[0]! < 40 && times[1]! - times[0]! >= 745 && times[2]! - times[1]! >= 745, String(times));
  const start = Date.now();
  await admitted(new RateLimiter(Number.POSITIVE_INFINITY), 1000);
  assert.ok(Date.now() - start < 200);
});

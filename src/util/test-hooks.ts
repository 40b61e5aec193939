import { sleepSync } from './process.js';
/**
 * Fault injection for the crash tests: with MENSEMBLE_TEST_CRASH_AT=<point>
 * (optionally `<point>:<n>` for the n-th time the point is reached),
 * mensemble kills itself with SIGKILL there, as a power cut would. Never set
 * outside tests.
 */
const counts = new Map<string, number>();

export function crashPoint(point: string): void {
  const setting = process.env.MENSEMBLE_TEST_CRASH_AT;
  if (!setting) return;
  const [name, nth] = setting.split(':');
  if (name !== point) return;
  const seen = (counts.get(point) ?? 0) + 1;
  counts.set(point, seen);
  if (seen === Number(nth ?? 1)) process.kill(process.pid, 'SIGKILL');
}

/**
 * With MENSEMBLE_TEST_PAUSE_AT=<point>:<ms>, mensemble stops there for that
 * long: to widen a race window a test wants to hit. Never set outside tests.
 */
export function pausePoint(point: string): void {
  const setting = process.env.MENSEMBLE_TEST_PAUSE_AT;
  if (!setting) return;
  const [name, ms] = setting.split(':');
  if (name === point) sleepSync(Number(ms ?? 100));
}

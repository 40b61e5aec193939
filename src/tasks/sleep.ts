/** Node.js fires a timer longer than this at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/** Waits `ms`, or until `signal` aborts (then rejects with its reason); a wait past Node.js's longest timer is taken in parts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  let left = ms;
  for (; left > LONGEST_TIMER_MS; left -= LONGEST_TIMER_MS) await sleepOnce(LONGEST_TIMER_MS, signal);
  return sleepOnce(left, signal);
}

function sleepOnce(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The last lines of a command's output, for a failure message. */
export function tail(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-5).join('\n');
  return lines ? `; last output:\n${lines}` : '';
}

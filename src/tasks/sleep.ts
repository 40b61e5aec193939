/** Waits `ms`, or until `signal` aborts (then rejects with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
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

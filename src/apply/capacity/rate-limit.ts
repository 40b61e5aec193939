/**
 * Spaces calls at least `1 / perSecond` seconds apart (submissions, so that
 * a 2,000-run ensemble does not reach the controller as one burst). Callers
 * are served in the order they asked.
 */
export class RateLimiter {
  private next = 0;
  private readonly spacingMs: number;

  constructor(perSecond: number) {
    this.spacingMs = 1000 / perSecond;
  }

  async take(): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.next);
    this.next = at + this.spacingMs;
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

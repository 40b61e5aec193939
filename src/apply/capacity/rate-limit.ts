/**
 * At most `perSecond` calls in any one second (submissions, so that a
 * 2,000-run ensemble does not reach the controller as one burst), callers
 * served in the order they asked. A sliding window, not even spacing: the
 * first wave of a batch (maxjobs 5 at 10 a second) goes out at once, as a
 * job array's first tasks start at once, instead of over 0.4 s. A rate
 * below one is one call per `1 / perSecond` seconds.
 */
export class RateLimiter {
  /** Calls allowed in one window, and the window. */
  private readonly burst: number;
  private readonly windowMs: number;
  /** When the last `burst` calls were let through (or are to be), oldest first. */
  private readonly recent: number[] = [];

  constructor(perSecond: number) {
    // Bounded, so that a huge rate holds no huge list: the same rate over a shorter window.
    this.burst = perSecond === Number.POSITIVE_INFINITY ? perSecond : Math.min(10_000, Math.max(1, Math.floor(perSecond)));
    this.windowMs = (this.burst / perSecond) * 1000;
  }

  async take(): Promise<void> {
    if (!Number.isFinite(this.burst)) return;
    const now = Date.now();
    const at = this.recent.length < this.burst ? now : Math.max(now, this.recent[0]! + this.windowMs);
    this.recent.push(at);
    if (this.recent.length > this.burst) this.recent.shift();
    if (at > now) await new Promise((r) => setTimeout(r, at - now));
  }
}

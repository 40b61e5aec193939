// The SLURM tests run side by side on the one test cluster, except those that
// stop a daemon or reconfigure it: those take the cluster for themselves.
// A shared/exclusive lock with writer preference: once an exclusive test asks,
// no new shared test starts, so it waits only for the ones already running.

type Waiter = { exclusive: boolean; wake: () => void };

export class ClusterLock {
  private sharedHolders = 0;
  private exclusiveHeld = false;
  private readonly waiting: Waiter[] = [];

  async shared<T>(body: () => Promise<T> | T): Promise<T> {
    await this.acquire(false);
    try {
      return await body();
    } finally {
      this.sharedHolders--;
      this.wakeNext();
    }
  }

  async exclusive<T>(body: () => Promise<T> | T): Promise<T> {
    await this.acquire(true);
    try {
      return await body();
    } finally {
      this.exclusiveHeld = false;
      this.wakeNext();
    }
  }

  private acquire(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.canTake(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise((wake) => this.waiting.push({ exclusive, wake }));
  }

  private canTake(exclusive: boolean): boolean {
    return exclusive ? !this.exclusiveHeld && this.sharedHolders === 0 : !this.exclusiveHeld;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.exclusiveHeld = true;
    else this.sharedHolders++;
  }

  /** Wakes waiters in arrival order: a run of shared ones together, or one exclusive. */
  private wakeNext(): void {
    while (this.waiting.length > 0 && this.canTake(this.waiting[0]!.exclusive)) {
      const next = this.waiting.shift()!;
      this.take(next.exclusive);
      next.wake();
      if (next.exclusive) return;
    }
  }
}

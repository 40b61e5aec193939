import { BackendUnavailableError } from '../../backends/types.js';
import { sleep } from '../sleep.js';
import type { TaskRunner } from '../types.js';

/** model-ensembler's `jobs` check: waits while the user has `limit` or more active jobs whose names start with `match`. */
export const jobs: TaskRunner = async (_task, ctx, { args }) => {
  const limit = Number(args.limit ?? 1);
  const match = String(args.match ?? '');
  let said = false;
  for (;;) {
    let active: number;
    try {
      active = await ctx.backend.countActiveJobs(match);
    } catch (err) {
      // A check waits; an unreachable scheduler is one more reason to wait, never a failure.
      if (!(err instanceof BackendUnavailableError)) throw err;
      ctx.progress({ kind: 'jobs-check-unreachable', error: err.message });
      await sleep(ctx.checkInterval * 1000, ctx.signal);
      continue;
    }
    if (active < limit) return;
    if (!said) {
      ctx.progress({ kind: 'jobs-waiting', active, match, limit });
      said = true;
    }
    await sleep(ctx.checkInterval * 1000, ctx.signal);
  }
};

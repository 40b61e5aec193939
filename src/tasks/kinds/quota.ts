import { loadExeca } from '../../util/lazy-deps.js';
import { sleep } from '../sleep.js';
import type { TaskRunner } from '../types.js';

/** model-ensembler's `quota` check: waits until `quota -uw` shows at least `atleast` kB free (on `mnt` if given). */
export const quota: TaskRunner = async (_task, ctx, { args }) => {
  const atleast = Number(args.atleast);
  const mnt = args.mnt !== undefined ? String(args.mnt) : undefined;
  let said = false;
  const execa = await loadExeca();
  for (;;) {
    const result = await execa('quota', ['-uw'], { reject: false, all: true });
    if ((result as { code?: string }).code === 'ENOENT' || (result.failed && result.exitCode === undefined)) {
      ctx.progress({ kind: 'quota-missing' });
      return;
    }
    const free = freeKb(result.all ?? '', mnt);
    if (free === undefined || free >= atleast) return;
    if (!said) {
      ctx.progress({ kind: 'quota-waiting', freeKb: free, wantedKb: atleast });
      said = true;
    }
    await sleep(ctx.checkInterval * 1000, ctx.signal);
  }
};

/** Free kB from `quota -uw` output: limit minus blocks on the matching file system; undefined if unlimited or absent. */
export function freeKb(output: string, mnt?: string): number | undefined {
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || !/^\d+\*?$/.test(cols[1] ?? '')) continue;
    if (mnt && !cols[0]!.includes(mnt)) continue;
    const used = parseInt(cols[1]!, 10);
    const limit = parseInt(cols[3]!, 10) || parseInt(cols[2]!, 10);
    if (!limit) return undefined;
    return limit - used;
  }
  return undefined;
}

import type { CancelResult } from '../../apply/cancel.js';
import { jsonLine } from '../json.js';
import type { Output } from '../output.js';

/** What `mensemble cancel` shows: the jobs it cancelled, and the plan's warnings. */
export interface CancelView {
  cancelled(result: CancelResult, warnings: readonly string[]): void;
}

export function cancelView(output: Output): CancelView {
  if (output.json) return { cancelled: (result, warnings) => output.out(jsonLine('cancel', { ...result, warnings })) };
  return {
    cancelled(result, warnings) {
      for (const w of warnings) output.err(`mensemble: warning: ${w}\n`);
      for (const c of result.cancelled) output.out(`cancelled ${c.run} (job ${c.jobId})\n`);
      const n = result.cancelled.length;
      output.out(n === 0 ? 'Nothing to cancel: no queued or running jobs.\n' : `Cancelled ${n} job${n === 1 ? '' : 's'}. \`mensemble apply\` submits them again while attempts remain (retry.max_attempts).\n`);
    },
  };
}

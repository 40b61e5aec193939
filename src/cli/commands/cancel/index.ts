import { cancelRuns } from '../../../apply/cancel.js';
import { computePlan, ensembleStateDir } from '../../../plan/compute.js';
import { acquireLock } from '../../../state/lock.js';
import { jsonLine } from '../../../ui/json.js';
import { commandContext, type CommonFlags } from '../../options.js';

/** `mensemble cancel`: cancel the ensemble's (or the targets') queued and running jobs. */
export async function cancelCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ctx = commandContext(config, flags);
  // An apply following these jobs would resubmit them; cancel waits for no one and refuses instead.
  const lock = acquireLock(ensembleStateDir(ctx.spec), `mensemble cancel ${process.argv.slice(3).join(' ')}`.trim());
  try {
    const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: ctx.targets });
    const result = await cancelRuns(plan.entries, ctx.backend);
    if (flags.json) {
      process.stdout.write(jsonLine('cancel', { ...result, warnings: plan.warnings }));
    } else {
      for (const w of plan.warnings) process.stderr.write(`mensemble: warning: ${w}\n`);
      for (const c of result.cancelled) process.stdout.write(`cancelled ${c.run} (job ${c.jobId})\n`);
      const n = result.cancelled.length;
      process.stdout.write(n === 0 ? 'Nothing to cancel: no queued or running jobs.\n' : `Cancelled ${n} job${n === 1 ? '' : 's'}. \`mensemble apply\` submits them again while attempts remain (retry.max_attempts).\n`);
    }
    return 0;
  } finally {
    lock.release();
  }
}

import { repairRuns } from '../../../apply/repair.js';
import { computePlan, ensembleKey, ensembleStateDir } from '../../../plan/compute.js';
import { acquireLock } from '../../../state/lock.js';
import { displayPath } from '../../../util/paths.js';
import { envelope } from '../../../ui/json.js';
import { commandContext, type CommonFlags } from '../../options.js';

/** `mensemble repair`: rebuild the state of runs whose state file is damaged. */
export async function repairCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ctx = commandContext(config, flags);
  // An apply must not work on these runs meanwhile.
  const lock = acquireLock(ensembleStateDir(ctx.spec), `mensemble repair ${process.argv.slice(3).join(' ')}`.trim());
  try {
    const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: ctx.targets });
    const repaired = await repairRuns(plan.entries, ctx.backend, ensembleKey(ctx.spec));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify(envelope('repair', { repaired }), null, 2)}\n`);
      return 0;
    }
    if (repaired.length === 0) {
      process.stdout.write('Nothing to repair: every run\'s state file reads.\n');
      return 0;
    }
    for (const r of repaired) {
      const jobs = r.attempts.length === 0 ? 'no job found' : r.attempts.map((a) => `attempt ${a.attempt}: job ${a.jobId} ${a.state}`).join(', ');
      process.stdout.write(
        `repaired ${r.run}: ${jobs}; ${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'} done; ` +
          `${r.filesMatch ? 'files match the configuration' : 'files differ from the configuration (the plan renders them again)'}. ` +
          `The damaged file is kept as ${displayPath(r.keptAs)}.\n`,
      );
    }
    process.stdout.write(`Repaired ${repaired.length} run${repaired.length === 1 ? '' : 's'}. \`mensemble plan\` shows what is left to do.\n`);
    return 0;
  } finally {
    lock.release();
  }
}

import type { RepairedRun } from '../../apply/repair.js';
import { displayPath } from '../../util/paths.js';
import { envelope } from '../json.js';
import type { Output } from '../output.js';

/** What `mensemble repair` shows: each run whose state it rebuilt, from what. */
export interface RepairView {
  repaired(runs: readonly RepairedRun[]): void;
}

export function repairView(output: Output): RepairView {
  if (output.json) return { repaired: (repaired) => output.out(`${JSON.stringify(envelope('repair', { repaired }), null, 2)}\n`) };
  return {
    repaired(repaired) {
      if (repaired.length === 0) {
        output.out("Nothing to repair: every run's state file reads.\n");
        return;
      }
      for (const r of repaired) {
        const jobs = r.attempts.length === 0 ? 'no job found' : r.attempts.map((a) => `attempt ${a.attempt}: job ${a.jobId} ${a.state}`).join(', ');
        output.out(
          `repaired ${r.run}: ${jobs}; ${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'} done; ` +
            `${r.filesMatch ? 'files match the configuration' : 'files differ from the configuration (the plan renders them again)'}. ` +
            `The damaged file is kept as ${displayPath(r.keptAs)}.\n`,
        );
      }
      output.out(`Repaired ${repaired.length} run${repaired.length === 1 ? '' : 's'}. \`mensemble plan\` shows what is left to do.\n`);
    },
  };
}

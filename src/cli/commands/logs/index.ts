import { setTimeout as sleep } from 'node:timers/promises';
import { computePlan } from '../../../plan/compute.js';
import { findRun, runLogs, type RunLogs } from '../../../logs/run-logs.js';
import { LogTail } from '../../../logs/tail.js';
import { isActive } from '../../../state/run-state.js';
import { UserError } from '../../../util/errors.js';
import { logsView, type LogsView } from '../../../ui/views/logs.js';
import { openEnsemble, type OpenedEnsemble } from '../../open-ensemble.js';
import type { CommonFlags } from '../../options.js';
import { signalExit } from '../../exit-codes.js';

export interface LogsFlags extends CommonFlags {
  follow?: boolean;
  attempt?: number;
  pollInterval?: number;
}

/** `mensemble logs <run>`: the run's job output and task logs; --follow keeps printing until the job ends. */
export async function logsCommand(run: string, config: string | undefined, flags: LogsFlags): Promise<number> {
  // A stream of someone's job output has no document shape a program could rely on; where the files are does.
  if (flags.json && flags.follow) throw new UserError('`logs --json` cannot be combined with --follow: it prints where the run\'s logs are (one JSON document), not their contents. Follow the files it names with `tail -f`, or run `mensemble logs --follow` without --json.');
  const ensemble = openEnsemble(config, flags);
  const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: [] });
  const logs = runLogs(findRun(plan.entries, run), ensemble.backends, ensemble.spec.root, flags.attempt === undefined ? undefined : Number(flags.attempt));
  const view = logsView(ensemble.output);
  const tail = new LogTail();
  view.show(logs, tail, Boolean(flags.follow));
  return flags.follow ? follow(ensemble, run, view, tail, logs) : 0;
}

/** Prints new output twice a second; asks the backend about the job every poll interval; ends once it has ended. */
async function follow(ensemble: OpenedEnsemble, run: string, view: LogsView, tail: LogTail, first: RunLogs): Promise<number> {
  let stopped: NodeJS.Signals | undefined;
  const stop = (signal: NodeJS.Signals) => (stopped = signal);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const { pollInterval } = ensemble.settings;
    let nextCheck = Date.now() + pollInterval * 1000;
    let logs = first;
    for (;;) {
      view.show(logs, tail, true);
      // Stopped before the job ended: 130 or 143, so a script can tell it from a job that ended (0).
      if (stopped) return signalExit(stopped);
      if (Date.now() >= nextCheck) {
        nextCheck = Date.now() + pollInterval * 1000;
        const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: [] });
        logs = runLogs(findRun(plan.entries, run), ensemble.backends, ensemble.spec.root);
        if (!logs.attempt || !isActive(logs.attempt.state)) {
          view.show(logs, tail, true);
          view.ended(logs.attempt);
          return 0;
        }
      }
      await sleep(500);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

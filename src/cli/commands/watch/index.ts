import { WatchSession } from '../../../watch/session.js';
import { watchView } from '../../../ui/views/watch.js';
import { openEnsemble } from '../../open-ensemble.js';
import { configPath, type CommonFlags } from '../../options.js';
import { signalExit } from '../../exit-codes.js';

export interface WatchFlags extends CommonFlags {
  apply?: boolean;
  debounce?: number;
}

/** `mensemble watch`: re-plan on every save and say what changed; with --apply, render what is safe. */
export async function watchCommand(config: string | undefined, flags: WatchFlags): Promise<number> {
  const configFile = configPath(config);
  // The first opening fixes the output (colour from .mensemblerc); every save opens the ensemble afresh.
  const view = watchView(openEnsemble(config, flags).output);
  const session = new WatchSession({
    configFile,
    load: () => openEnsemble(config, flags),
    apply: Boolean(flags.apply),
    debounceMs: flags.debounce ?? 75,
    emit: (event) => view.event(event),
  });
  await session.start();
  // Watch ends only when stopped: with 130 (Ctrl-C) or 143 (SIGTERM), as every command stopped by a signal does.
  return new Promise<number>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      // The lock goes first: whatever happens next, no stale lock is left behind.
      session.releaseLock();
      void session.close().then(() => {
        view.stopped();
        resolve(signalExit(signal));
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

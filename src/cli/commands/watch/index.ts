import { WatchSession } from '../../../watch/session.js';
import { watchJson, watchText } from '../../../ui/watch-view.js';
import { commandContext, configPath, type CommonFlags } from '../../options.js';

export interface WatchFlags extends CommonFlags {
  apply?: boolean;
  debounce?: number;
}

/** `mensemble watch`: re-plan on every save and say what changed; with --apply, render what is safe. */
export async function watchCommand(config: string | undefined, flags: WatchFlags): Promise<number> {
  const configFile = configPath(config);
  const first = commandContext(config, flags);
  const write = (s: string) => process.stdout.write(s);
  const session = new WatchSession({
    configFile,
    load: () => commandContext(config, flags),
    apply: Boolean(flags.apply),
    debounceMs: flags.debounce ?? 75,
    emit: (event) => write(flags.json ? watchJson(event) : watchText(event, first.colors)),
  });
  await session.start();
  return new Promise<number>((resolve) => {
    const stop = () => {
      // The lock goes first: whatever happens next, no stale lock is left behind.
      session.releaseLock();
      void session.close().then(() => {
        if (!flags.json) write('\nStopped watching.\n');
        resolve(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

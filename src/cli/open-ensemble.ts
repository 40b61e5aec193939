import { readEnsemble, type Ensemble } from '../api/ensemble.js';
import { resolveSettings, type ApplySettings, type OptionNames } from '../api/settings.js';
import { lockEnsemble } from '../state/ensemble-lock.js';
import type { Lock } from '../state/lock.js';
import type { Output } from '../ui/output.js';
import { DETACHED_LOG_ENV } from '../apply/detach.js';
import { asList, configPath, parseExtraVars, type CommonFlags } from './options.js';
import { processOutput } from './output.js';

export type { ApplySettings } from '../api/settings.js';

/**
 * One ensemble, opened once per command: the library's `Ensemble` (its
 * configuration and settings read and checked, its state folder and key, the
 * backends) with what a command adds: apply's settings from the flags, the
 * output, the lock. The composition root of every command and of watch;
 * nothing below `cli/` imports it (they take the parts they need).
 */
export interface OpenedEnsemble extends Ensemble {
  settings: ApplySettings;
  /** The log of a detached apply (apply/detach.ts starts it with the path), which its lock names for `status`. */
  log?: string;
  output: Output;
  /** Takes the ensemble's lock for `command` (what `status` and the lock error show as its holder). */
  lock(command: string): Lock;
}

export interface OpenFlags extends CommonFlags {
  pollInterval?: number;
  checkInterval?: number;
  submitRate?: number;
  array?: boolean;
  maxCoreHours?: number;
}

const FLAG_NAMES: OptionNames = { pollInterval: '--poll-interval', checkInterval: '--check-interval', submitRate: '--submit-rate', maxCoreHours: '--max-core-hours' };

/** Loads the configuration and settings and resolves every option: flag > .mensemblerc > default. */
export function openEnsemble(configArg: string | undefined, flags: OpenFlags): OpenedEnsemble {
  const ensemble = readEnsemble(configPath(configArg), { backend: flags.backend, profile: flags.profile, targets: asList(flags.target), vars: parseExtraVars(asList(flags.x)) });
  // A detached apply is started with its log's path (apply/detach.ts), so `status` can name it from the lock.
  const log = process.env[DETACHED_LOG_ENV] || undefined;
  // Said to this process only: the tasks it runs (a nested `mensemble apply -d`) are not the background apply.
  delete process.env[DETACHED_LOG_ENV];
  return Object.defineProperties(ensemble as OpenedEnsemble, {
    settings: { value: resolveSettings(ensemble.rc, ensemble.backend, flags, FLAG_NAMES), enumerable: true },
    log: { value: log, enumerable: true },
    output: { value: processOutput(flags, ensemble.rc.color), enumerable: true },
    lock: { value: (command: string) => lockEnsemble(ensemble.spec, command, { log }), enumerable: true },
  });
}

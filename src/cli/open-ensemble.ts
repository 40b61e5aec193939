import path from 'node:path';
import { Backends } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { loadEnsemble } from '../config/load.js';
import { loadRc, type RcSettings } from '../config/rc.js';
import type { EnsembleSpec } from '../config/types.js';
import { parseTargets, type Target } from '../plan/targets.js';
import { ensembleKey, ensembleStateDir } from '../state/ensemble-folder.js';
import { configCacheBeside } from '../state/config-cache.js';
import { acquireLock, type Lock } from '../state/lock.js';
import { defaultShell } from '../tasks/shell.js';
import type { Output } from '../ui/output.js';
import { DETACHED_LOG_ENV } from '../apply/detach.js';
import { asList, configPath, parseExtraVars, positive, type CommonFlags } from './options.js';
import { processOutput } from './output.js';

/** How apply paces itself: flag > .mensemblerc > the backend's default. */
export interface ApplySettings {
  pollInterval: number;
  checkInterval: number;
  /** Most submissions per second. */
  submitRate: number;
  /** Batches go out as job arrays unless a batch says otherwise. */
  array: boolean;
  /** The shell that runs the user's commands in tasks. */
  shell: string;
  /** The core-hours one apply may spend (`--max-core-hours`, `max_core_hours`); undefined: no budget. */
  maxCoreHours?: number;
}

/**
 * One ensemble, opened once per command: its configuration and settings
 * read and checked, its state folder and key, the backends, the output. The
 * composition root of every command and of watch; nothing below `cli/`
 * imports it (they take the parts they need).
 */
export interface OpenedEnsemble {
  spec: EnsembleSpec;
  rc: RcSettings;
  targets: Target[];
  /** `.mensemble/` beside the configuration. */
  stateDir: string;
  /** Names the ensemble in its jobs (read after hashing is ready: the plan makes it so). */
  readonly key: string;
  backends: Backends;
  /** The backend new jobs go to (`backends.primary`). */
  backend: Backend;
  settings: ApplySettings;
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

/** Loads the configuration and settings and resolves every option: flag > .mensemblerc > default. */
export function openEnsemble(configArg: string | undefined, flags: OpenFlags): OpenedEnsemble {
  const file = configPath(configArg);
  const rc = loadRc(path.dirname(file));
  const targets = parseTargets(asList(flags.target));
  const extraVars = parseExtraVars(asList(flags.x));
  const spec = loadEnsemble(file, { extraVars, maxConfigMb: rc.max_config_mb, pathsFrom: rc.paths_from, cache: configCacheBeside(file) });
  const backends = Backends.named(flags.backend ?? rc.backend ?? 'local');
  const backend = backends.primary;
  const stateDir = ensembleStateDir(spec);
  // A detached apply is started with its log's path (apply/detach.ts), so `status` can name it from the lock.
  const log = process.env[DETACHED_LOG_ENV] || undefined;
  return {
    spec,
    rc,
    targets,
    stateDir,
    get key() {
      return ensembleKey(spec);
    },
    backends,
    backend,
    settings: {
      pollInterval: positive(flags.pollInterval, '--poll-interval') ?? rc.poll_interval ?? backend.defaultPollSeconds,
      checkInterval: positive(flags.checkInterval, '--check-interval') ?? rc.check_interval ?? 30,
      submitRate: positive(flags.submitRate, '--submit-rate', 'a number of submissions per second above 0') ?? rc.submit_rate ?? backend.defaultSubmitRate,
      array: flags.array ?? rc.array ?? false,
      shell: rc.shell ?? defaultShell(),
      maxCoreHours: positive(flags.maxCoreHours, '--max-core-hours', 'a number of core-hours above 0') ?? rc.max_core_hours,
    },
    output: processOutput(flags, rc.color),
    lock: (command) => acquireLock(stateDir, command, { log }),
  };
}

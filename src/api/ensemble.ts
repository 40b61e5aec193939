import path from 'node:path';
import { Backends } from '../backends/registry.js';
import type { Backend } from '../backends/types.js';
import { loadEnsemble as loadSpec } from '../config/load.js';
import { loadRc, type RcSettings } from '../config/rc.js';
import type { EnsembleSpec } from '../config/types.js';
import { parseTargets, type Target } from '../plan/targets.js';
import { configCacheBeside } from '../state/config-cache.js';
import { ensembleKey, ensembleStateDir } from '../state/ensemble-folder.js';
import { initHashing } from '../util/hash.js';
import { checkExtraVars } from './extra-vars.js';

/** What `loadEnsemble` takes: the library's spelling of the commands' common options. */
export interface LoadOptions {
  /** The backend new jobs go to: `local` or `slurm` (`--backend`). Default: `backend:` in `.mensemblerc`, else `local`. */
  backend?: string;
  /** Only these batches or runs (`--target`): `batch` or `batch/run-id`. Default: all of them. */
  targets?: readonly string[];
  /** Extra variables for the templates (`-x name=value`); values are strings, as in model-ensembler. */
  vars?: Readonly<Record<string, string>>;
  /** A section of `.mensemblerc`'s `profiles:` over its top-level settings (`--profile`). Default: MENSEMBLE_PROFILE, else none. */
  profile?: string;
}

/**
 * One ensemble, loaded once: its configuration read and checked, its
 * `.mensemblerc`, its state folder and key, and its backends. What every
 * command (and `plan`, `apply` and `status` of the library) starts from.
 */
export interface Ensemble {
  /** The configuration file, as an absolute path. */
  file: string;
  spec: EnsembleSpec;
  rc: RcSettings;
  targets: Target[];
  /** `.mensemble/` beside the configuration. */
  stateDir: string;
  /** Names the ensemble in its jobs (a hash of the configuration's path). */
  readonly key: string;
  backends: Backends;
  /** The backend new jobs go to (`backends.primary`). */
  backend: Backend;
}

/**
 * Reads and checks the configuration (`file`) and the `.mensemblerc` beside
 * it. Bad input throws a `UserError` naming the file, line and key; nothing
 * is written (but the validated-configuration cache in `.mensemble/`).
 */
export async function loadEnsemble(file: string, options: LoadOptions = {}): Promise<Ensemble> {
  await initHashing();
  return readEnsemble(file, options);
}

/** `loadEnsemble` for a synchronous caller (the commands): its `key` may be read only once hashing is ready (a plan makes it so). */
export function readEnsemble(file: string, options: LoadOptions = {}): Ensemble {
  const absolute = path.resolve(file);
  const rc = loadRc(path.dirname(absolute), undefined, options.profile ?? (process.env.MENSEMBLE_PROFILE || undefined));
  const targets = parseTargets(options.targets ?? []);
  const extraVars = checkExtraVars(options.vars ?? {});
  const spec = loadSpec(absolute, { extraVars, maxConfigMb: rc.max_config_mb, pathsFrom: rc.paths_from, slurmDefaults: rc.slurm, cache: configCacheBeside(absolute) });
  const backends = Backends.named(options.backend ?? rc.backend ?? 'local');
  return {
    file: absolute,
    spec,
    rc,
    targets,
    stateDir: ensembleStateDir(spec),
    get key() {
      return ensembleKey(spec);
    },
    backends,
    backend: backends.primary,
  };
}

import fs from 'node:fs';
import path from 'node:path';
import { createBackend } from '../backends/index.js';
import type { Backend } from '../backends/types.js';
import { loadEnsemble } from '../config/load.js';
import { loadRc, type RcSettings } from '../config/rc.js';
import type { EnsembleSpec } from '../config/types.js';
import { parseTargets, type Target } from '../plan/targets.js';
import { defaultShell } from '../tasks/shell.js';
import { makeColors, shouldColor, type Colors } from '../ui/color.js';
import { UserError } from '../util/errors.js';

/** Options every ensemble command accepts (as cac parses them). */
export interface CommonFlags {
  backend?: string;
  target?: string | string[];
  x?: string | string[];
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

export interface CommandContext {
  spec: EnsembleSpec;
  rc: RcSettings;
  backend: Backend;
  targets: Target[];
  colors: Colors;
  shell: string;
  pollInterval: number;
  checkInterval: number;
  /** Most submissions per second. */
  submitRate: number;
}

export const DEFAULT_CONFIG = 'mensemble.yaml';

export function asList(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/** `-x name=value` pairs (model-ensembler's extra variables; values stay strings, as there). */
export function parseExtraVars(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    const name = eq > 0 ? item.slice(0, eq) : '';
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new UserError(`-x \`${item}\`: expected name=value, with a name of letters, digits and _.`);
    }
    out[name] = item.slice(eq + 1);
  }
  return out;
}

/** The configuration path: the argument, else ./mensemble.yaml. */
export function configPath(arg: string | undefined): string {
  const file = path.resolve(arg ?? DEFAULT_CONFIG);
  if (!arg && !fs.existsSync(file)) {
    throw new UserError(`No configuration given and there is no ${DEFAULT_CONFIG} here (${process.cwd()}). Pass the configuration's path, for example \`mensemble plan path/to/mensemble.yaml\`.`);
  }
  return file;
}

/** Loads the configuration and settings and resolves every option: flag > .mensemblerc > default. */
export function commandContext(configArg: string | undefined, flags: CommonFlags & { pollInterval?: number; checkInterval?: number; submitRate?: number }): CommandContext {
  const file = configPath(configArg);
  const rc = loadRc(path.dirname(file));
  const targets = parseTargets(asList(flags.target));
  const extraVars = parseExtraVars(asList(flags.x));
  const colorSetting = flags.color === false ? 'never' : process.argv.includes('--color') ? 'always' : rc.color;
  const spec = loadEnsemble(file, { extraVars, maxConfigMb: rc.max_config_mb, pathsFrom: rc.paths_from });
  const backend = createBackend(flags.backend ?? rc.backend ?? 'local');
  const pollInterval = positive(flags.pollInterval, '--poll-interval') ?? rc.poll_interval ?? backend.defaultPollSeconds;
  const checkInterval = positive(flags.checkInterval, '--check-interval') ?? rc.check_interval ?? 30;
  const submitRate = positive(flags.submitRate, '--submit-rate', 'a number of submissions per second above 0') ?? rc.submit_rate ?? backend.defaultSubmitRate;
  return {
    spec,
    rc,
    backend,
    targets,
    colors: makeColors(!flags.json && shouldColor(colorSetting)),
    shell: rc.shell ?? defaultShell(),
    pollInterval,
    checkInterval,
    submitRate,
  };
}

function positive(value: unknown, flag: string, expected = 'a number of seconds above 0'): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${flag} ${String(value)}: expected ${expected}.`);
  return n;
}

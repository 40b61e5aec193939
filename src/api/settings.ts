import type { Backend } from '../backends/types.js';
import type { RcSettings } from '../config/rc.js';
import { defaultShell } from '../tasks/shell.js';
import { MAX_INTERVAL_SECONDS } from '../util/units.js';
import { UserError } from '../util/errors.js';

/** How apply paces itself: option > .mensemblerc > the backend's default. */
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

/** The settings a caller may give for one apply, over `.mensemblerc`. */
export interface SettingOverrides {
  /** Seconds between the scheduler queries of the safety net. */
  pollInterval?: number;
  /** Seconds between tries of a failing check task. */
  checkInterval?: number;
  /** Most submissions per second. */
  submitRate?: number;
  /** Submit batches as job arrays. */
  array?: boolean;
  /** Stop submitting once this many core-hours are spent; refuse a plan estimated above it. */
  maxCoreHours?: number;
}

/** How an option is named in an error: the library's key, or the command's flag. */
export type OptionNames = Record<Exclude<keyof SettingOverrides, 'array'>, string>;

const LIBRARY_NAMES: OptionNames = { pollInterval: 'pollInterval', checkInterval: 'checkInterval', submitRate: 'submitRate', maxCoreHours: 'maxCoreHours' };

export function resolveSettings(rc: RcSettings, backend: Backend, overrides: SettingOverrides, names: OptionNames = LIBRARY_NAMES): ApplySettings {
  return {
    pollInterval: interval(overrides.pollInterval, names.pollInterval) ?? rc.poll_interval ?? backend.defaultPollSeconds,
    checkInterval: interval(overrides.checkInterval, names.checkInterval) ?? rc.check_interval ?? 30,
    submitRate: positive(overrides.submitRate, names.submitRate, 'a number of submissions per second above 0') ?? rc.submit_rate ?? backend.defaultSubmitRate,
    array: overrides.array ?? rc.array ?? false,
    shell: rc.shell ?? defaultShell(),
    maxCoreHours: positive(overrides.maxCoreHours, names.maxCoreHours, 'a number of core-hours above 0') ?? rc.max_core_hours,
  };
}

function interval(value: unknown, name: string): number | undefined {
  const n = positive(value, name);
  if (n !== undefined && n > MAX_INTERVAL_SECONDS) throw new UserError(`${name} ${String(value)}: expected a number of seconds above 0 and at most ${MAX_INTERVAL_SECONDS} (24 days).`);
  return n;
}

function positive(value: unknown, name: string, expected = 'a number of seconds above 0'): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UserError(`${name} ${String(value)}: expected ${expected}.`);
  return n;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError, UserErrors, formatLocation } from '../util/errors.js';
import { whyUntrusted } from '../util/file-owner.js';
import { MAX_INTERVAL_SECONDS } from '../util/units.js';
import { didYouMean } from '../util/suggest.js';
import { locate, readYamlFile, toValue } from './source.js';

export type ColorSetting = 'auto' | 'always' | 'never';

/** Defaults for command-line options, from `.mensemblerc`. Every key is documented in `.mensemblerc.example`. */
export interface RcSettings {
  backend?: 'local' | 'slurm';
  poll_interval?: number;
  check_interval?: number;
  submit_rate?: number;
  color?: ColorSetting;
  shell?: string;
  array?: boolean;
  /** `apply --max-core-hours`: the budget of one apply, in core-hours (default: none). */
  max_core_hours?: number;
  /** Largest configuration file read, in MB (default 1). */
  max_config_mb?: number;
  /** Where a configuration's relative paths start (config/paths-from.ts); default auto. */
  paths_from?: 'auto' | 'configuration' | 'working-directory';
  /** Where the settings came from, for messages; undefined when no file was found. */
  file?: string;
}

const isInterval = (v: unknown) => typeof v === 'number' && v > 0 && v <= MAX_INTERVAL_SECONDS;

type KeyRule = { check: (v: unknown) => boolean; expected: string };
const RULES: Record<Exclude<keyof RcSettings, 'file'>, KeyRule> = {
  backend: { check: (v) => v === 'local' || v === 'slurm', expected: '`local` or `slurm`' },
  poll_interval: { check: isInterval, expected: `a number of seconds above 0 and at most ${MAX_INTERVAL_SECONDS} (24 days)` },
  check_interval: { check: isInterval, expected: `a number of seconds above 0 and at most ${MAX_INTERVAL_SECONDS} (24 days)` },
  submit_rate: { check: (v) => typeof v === 'number' && v > 0, expected: 'a number of submissions per second above 0' },
  color: { check: (v) => v === 'auto' || v === 'always' || v === 'never', expected: '`auto`, `always` or `never`' },
  shell: { check: (v) => typeof v === 'string' && v.length > 0, expected: 'the path of a shell' },
  array: { check: (v) => typeof v === 'boolean', expected: '`true` or `false`' },
  max_core_hours: { check: (v) => typeof v === 'number' && v > 0, expected: 'a number of core-hours above 0' },
  max_config_mb: { check: (v) => typeof v === 'number' && v > 0, expected: 'a size in MB above 0' },
  paths_from: { check: (v) => v === 'auto' || v === 'configuration' || v === 'working-directory', expected: '`auto`, `configuration` or `working-directory`' },
};

export const RC_NAME = '.mensemblerc';

/** The first `.mensemblerc` from `startDir` upwards, then the home folder. */
export function findRcFile(startDir: string, home = os.homedir()): string | undefined {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, RC_NAME);
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  const inHome = path.join(home, RC_NAME);
  return fs.existsSync(inHome) ? inHome : undefined;
}

export function loadRc(startDir: string, home?: string): RcSettings {
  const file = findRcFile(startDir, home);
  if (!file) return {};
  refuseUntrusted(file);
  const source = readYamlFile(file, 'settings file');
  const value = (source.doc.contents === null ? {} : toValue(source)) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserErrors([`${source.file}:1:1: the settings file must be a mapping of option names to values (see .mensemblerc.example).`]);
  }
  const problems: string[] = [];
  const settings: RcSettings = { file };
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const v = raw !== null && typeof raw === 'object' && 'valueOf' in raw ? (raw as { valueOf(): unknown }).valueOf() : raw;
    const rule = RULES[key as keyof typeof RULES];
    if (!rule) {
      problems.push(`${formatLocation(locate(source, [key], true))}: unknown setting \`${key}\`.${didYouMean(key, Object.keys(RULES))} Known settings: ${Object.keys(RULES).join(', ')}.`);
    } else if (!rule.check(v)) {
      problems.push(`${formatLocation(locate(source, [key]))}: ${key}: expected ${rule.expected}, found ${JSON.stringify(v)}.`);
    } else {
      (settings as Record<string, unknown>)[key] = v;
    }
  }
  if (problems.length > 0) throw new UserErrors(problems);
  return settings;
}

/**
 * A settings file names programs (`shell:`) that mensemble then runs as you:
 * one another user could write is refused, with its path and owner, before
 * anything is read from it or written.
 */
function refuseUntrusted(file: string): void {
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (!stat) return;
  const why = whyUntrusted(stat);
  if (why === undefined) return;
  throw new UserError(
    `The settings file ${file} is not used: ${why}. A settings file can name the shell that runs your tasks, so mensemble only reads one that you (or root) own and that nobody else can write. ` +
      `If it is yours to trust, copy it beside your configuration (cp ${file} <your folder>/${RC_NAME}) or fix its mode (chmod go-w); otherwise remove it or ask its owner to.`,
  );
}

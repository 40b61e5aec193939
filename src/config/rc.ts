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
  /** sbatch options for every batch that does not set them itself (a site's partition and account). */
  slurm?: Record<string, string | number | boolean>;
  /** Where the settings came from, for messages; undefined when no file was found. */
  file?: string;
  /** The profile in force (`--profile`), if one was chosen. */
  profile?: string;
}

const isInterval = (v: unknown) => typeof v === 'number' && v > 0 && v <= MAX_INTERVAL_SECONDS;

type KeyRule = { check: (v: unknown) => boolean; expected: string };
/** sbatch options mensemble sets itself (as the configuration's schema says). */
const RESERVED_SBATCH = ['parsable', 'chdir', 'wrap', 'array', 'test-only', 'wait', 'help', 'usage', 'version'];
const isSbatchOptions = (v: unknown) =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.entries(v as Record<string, unknown>).every(([k, x]) => /^[a-z][a-z0-9-]*$/.test(k) && !RESERVED_SBATCH.includes(k) && ['string', 'number', 'boolean'].includes(typeof (x !== null && typeof x === 'object' && 'valueOf' in x ? (x as { valueOf(): unknown }).valueOf() : x)));

const RULES: Record<Exclude<keyof RcSettings, 'file' | 'profile'>, KeyRule> = {
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
  slurm: { check: isSbatchOptions, expected: `a mapping of sbatch options (lower-case names; strings, numbers or booleans; not ${RESERVED_SBATCH.join(', ')})` },
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

/**
 * The settings: `.mensemblerc`'s top-level keys, then, with a profile
 * (`--profile archer2`, or MENSEMBLE_PROFILE), the keys of its section under
 * `profiles:` over them, as Snakemake's and Nextflow's profiles: one file for
 * a user's several clusters.
 */
export function loadRc(startDir: string, home?: string, profile?: string): RcSettings {
  const file = findRcFile(startDir, home);
  if (!file) {
    if (profile) throw new UserError(`--profile ${profile}: there is no ${RC_NAME} (looked from ${startDir} upwards and in the home folder) to hold its \`profiles:\` section.`);
    return {};
  }
  refuseUntrusted(file);
  const source = readYamlFile(file, 'settings file');
  const value = (source.doc.contents === null ? {} : toValue(source)) as unknown;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UserErrors([`${source.file}:1:1: the settings file must be a mapping of option names to values (see .mensemblerc.example).`]);
  }
  const problems: string[] = [];
  const settings: RcSettings = { file };
  const { profiles, ...top } = value as Record<string, unknown>;
  readSettings(source, top, [], settings, problems);
  if (profiles !== undefined && (profiles === null || typeof profiles !== 'object' || Array.isArray(profiles))) {
    problems.push(`${formatLocation(locate(source, ['profiles']))}: profiles: expected a mapping of profile names to settings, found ${JSON.stringify(profiles)}.`);
  } else if (profile !== undefined) {
    const names = Object.keys((profiles ?? {}) as Record<string, unknown>);
    const chosen = (profiles as Record<string, unknown> | undefined)?.[profile];
    if (!Object.hasOwn((profiles ?? {}) as object, profile)) {
      problems.push(`--profile ${profile}: ${file} has no profile \`${profile}\`.${didYouMean(profile, names)}${names.length ? ` Profiles: ${names.join(', ')}.` : ' It has no `profiles:` section.'}`);
    } else if (chosen === null || typeof chosen !== 'object' || Array.isArray(chosen)) {
      problems.push(`${formatLocation(locate(source, ['profiles', profile]))}: profiles.${profile}: expected a mapping of settings.`);
    } else {
      readSettings(source, chosen as Record<string, unknown>, ['profiles', profile], settings, problems);
      settings.profile = profile;
    }
  }
  if (problems.length > 0) throw new UserErrors(problems);
  return settings;
}

function readSettings(source: ReturnType<typeof readYamlFile>, value: Record<string, unknown>, at: Array<string>, settings: RcSettings, problems: string[]): void {
  const where = (key: string) => [...at, key].join('.');
  for (const [key, raw] of Object.entries(value)) {
    const v = raw !== null && typeof raw === 'object' && 'valueOf' in raw ? (raw as { valueOf(): unknown }).valueOf() : raw;
    const rule = RULES[key as keyof typeof RULES];
    if (!rule) {
      const known = [...Object.keys(RULES), ...(at.length === 0 ? ['profiles'] : [])];
      problems.push(`${formatLocation(locate(source, [...at, key], true))}: unknown setting \`${where(key)}\`.${didYouMean(key, known)} Known settings: ${known.join(', ')}.`);
    } else if (!rule.check(v)) {
      problems.push(`${formatLocation(locate(source, [...at, key]))}: ${where(key)}: expected ${rule.expected}, found ${JSON.stringify(toPlainSetting(v))}.`);
    } else if (key === 'slurm') {
      // A profile's sbatch options go over the top-level ones, key by key.
      settings.slurm = { ...settings.slurm, ...(toPlainSetting(v) as Record<string, string | number | boolean>) };
    } else {
      (settings as Record<string, unknown>)[key] = v;
    }
  }
}

/** A settings value without the Python number wrappers the reader gives floats. */
function toPlainSetting(v: unknown): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(toPlainSetting);
  if ('valueOf' in v && (v as { valueOf(): unknown }).valueOf() !== v) return (v as { valueOf(): unknown }).valueOf();
  return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, toPlainSetting(x)]));
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

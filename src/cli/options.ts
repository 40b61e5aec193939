import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { readTextPart } from '../util/read-text.js';
import { extraVarNameProblem } from '../api/extra-vars.js';
import type { ColorFlag } from './output.js';

/** Options every ensemble command accepts (as cac parses them). */
export interface CommonFlags {
  backend?: string;
  profile?: string;
  target?: string | string[];
  x?: string | string[];
  json?: boolean;
  /** `--color` (true), `--no-color` (false) or neither, as program.ts read them. */
  colorFlag?: ColorFlag;
  verbose?: boolean;
  /** `status --all`: every run in the tables, completed ones too. */
  all?: boolean;
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
    const problem = extraVarNameProblem(eq > 0 ? item.slice(0, eq) : '');
    if (problem) throw new UserError(`-x \`${item}\`: ${problem}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** The names looked for when no configuration is given, in order. */
export const DEFAULT_CONFIGS = [DEFAULT_CONFIG, 'mensemble.yml'];

/**
 * The configuration path: the argument, else ./mensemble.yaml, else
 * ./mensemble.yml. When neither is here, the error lists the YAML files here
 * that look like ensembles (an `ensemble:` key at the top), as
 * model-ensembler's users name theirs (`sanity-check.yml`, `test.yaml`).
 */
export function configPath(arg: string | undefined): string {
  if (arg) return path.resolve(arg);
  for (const name of DEFAULT_CONFIGS) if (fs.existsSync(name)) return path.resolve(name);
  const candidates = ensembleLikeFiles(process.cwd());
  const listed = candidates.length > 0 ? ` The YAML files here that look like ensembles: ${candidates.slice(0, 10).join(', ')}${candidates.length > 10 ? ', ...' : ''}; for example \`mensemble plan ${candidates[0]}\`.` : ' Pass the configuration\'s path, for example `mensemble plan path/to/mensemble.yaml`, or create one with `mensemble init`.';
  throw new UserError(`No configuration given and there is no ${DEFAULT_CONFIGS.join(' or ')} here (${process.cwd()}).${listed}`);
}

/** YAML files of a folder whose text has a top-level `ensemble:` key (read up to 64 KB each). */
function ensembleLikeFiles(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => /\.ya?ml$/i.test(n)).sort();
  } catch {
    return [];
  }
  // Only regular files, opened without waiting: a FIFO named x.yaml must not hang the error.
  return names.filter((name) => /^ensemble\s*:/m.test(readTextPart(path.join(dir, name), 65536, 'head') ?? ''));
}

/** How the lock names its holder: `mensemble <command> <the arguments as typed>`. */
export function commandLine(command: string): string {
  return `mensemble ${command} ${process.argv.slice(3).join(' ')}`.trim();
}

import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../util/errors.js';
import { extraVarNameProblem } from '../api/extra-vars.js';
import type { ColorFlag } from './output.js';

/** Options every ensemble command accepts (as cac parses them). */
export interface CommonFlags {
  backend?: string;
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

/** The configuration path: the argument, else ./mensemble.yaml. */
export function configPath(arg: string | undefined): string {
  const file = path.resolve(arg ?? DEFAULT_CONFIG);
  if (!arg && !fs.existsSync(file)) {
    throw new UserError(`No configuration given and there is no ${DEFAULT_CONFIG} here (${process.cwd()}). Pass the configuration's path, for example \`mensemble plan path/to/mensemble.yaml\`.`);
  }
  return file;
}

/** How the lock names its holder: `mensemble <command> <the arguments as typed>`. */
export function commandLine(command: string): string {
  return `mensemble ${command} ${process.argv.slice(3).join(' ')}`.trim();
}

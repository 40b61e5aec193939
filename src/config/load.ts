import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { UserError, UserErrors, formatLocation } from '../util/errors.js';
import { embedded } from '../util/embedded.js';
import { readRetryRules } from './retry-rules.js';
import { displayPath, isInside, resolveInside } from '../util/paths.js';
import { toPlain } from './python-values.js';
import { decidePathsFrom, dialectOf, type PathsFromSetting } from './paths-from.js';
import { schemaProblems, schemaText } from './schema.js';
import { taskPathProblems } from './task-paths.js';
import { formatKeyPath, lazyLocation, lazySource, locate, parseYamlBytes, readYamlBytes, toConfigValue, type KeyPath, type YamlSource } from './source.js';
import type { BatchSpec, EnsembleSpec, RunInput, SchedulerOption, TaskPhase, TaskSpec } from './types.js';

type Obj = Record<string, unknown>;

const TASK_LISTS = ['pre_batch', 'pre_run', 'post_run', 'post_batch'] as const;
/** Batch keys that are not template variables (model-ensembler drops task lists and runs; mensemble's extensions too). */
const NOT_TEMPLATE_VARS = new Set<string>([...TASK_LISTS, 'runs', 'matrix', 'run_id', 'vars', 'slurm', 'retry', 'array']);
/** model-ensembler drops these when unset rather than passing null. */
const DROPPED_WHEN_UNSET = ['cluster', 'email', 'nodes', 'ntasks', 'length'];
/** model-ensembler's BatchSpec fields that reach `run`, in its order (config.py; batcher.py drops tasks and `runs`). */
const BATCH_SPEC_FIELDS = ['name', 'templates', 'templatedir', 'job_file', 'basedir', 'maxruns', 'maxjobs', 'repeat', 'cluster', 'email', 'nodes', 'ntasks', 'length'];
const REQUIRED_AFTER_MERGE = ['templatedir', 'templates', 'job_file', 'basedir', 'maxruns', 'maxjobs'];

export interface LoadOptions {
  extraVars?: Record<string, string>;
  /** Largest configuration read, in MB (.mensemblerc `max_config_mb`). */
  maxConfigMb?: number;
  /** Where relative paths start (.mensemblerc `paths_from`); `auto` by the configuration's vocabulary (config/paths-from.ts). */
  pathsFrom?: PathsFromSetting;
  /** sbatch options of `.mensemblerc` (`slurm:`, or its profile's) for batches that do not set them. */
  slurmDefaults?: Record<string, SchedulerOption>;
  /** The working directory model-ensembler's rule resolves from; the process's by default. */
  cwd?: string;
  /** Keeps validated values between commands; without it every load reads the YAML. */
  cache?: ConfigCache;
}

/**
 * Where the value of a configuration that was read and validated is kept
 * between commands (state/config-cache.ts), under a key that changes with
 * the file's bytes, the schema and the code that reads YAML.
 */
export interface ConfigCache {
  get(key: string): { value: unknown } | undefined;
  set(key: string, value: unknown): void;
}

/** Reads, validates and normalises a configuration file. Throws UserError(s) naming file, line and key. */
export function loadEnsemble(configFile: string, options: LoadOptions = {}): EnsembleSpec {
  const file = canonicalFile(path.resolve(configFile));
  const bytes = readYamlBytes(file, 'configuration', options.maxConfigMb);
  const key = options.cache && cacheKey(bytes);
  const hit = key === undefined ? undefined : options.cache!.get(key);
  if (hit) return normalise(lazySource(file, bytes), file, hit.value as Obj, options);
  const source = parseYamlBytes(file, bytes);
  const value = toConfigValue(source);
  const problems = schemaProblems(source, toPlain(value));
  if (problems.length > 0) throw new UserErrors(problems);
  if (key !== undefined) options.cache!.set(key, value);
  return normalise(source, file, value as Obj, options);
}

/**
 * The cache key of a configuration's bytes: a digest of them, of the
 * schema that validated them and of the modules that turn YAML into the
 * value (a fix there must not be hidden by a value read before it).
 * Undefined where those modules cannot be read: no cache.
 */
function cacheKey(bytes: Uint8Array): string | undefined {
  readerCode ??= readerModules();
  if (readerCode === null) return undefined;
  return crypto.createHash('sha256').update(readerCode).update('\0').update(bytes).digest('hex');
}

let readerCode: string | null | undefined;

/** The schema and the code of the modules that read a configuration: what the cache key includes (scripts/bundle.mjs carries it into the single file). */
export function readerModules(): string | null {
  const inside = embedded()?.readerCode;
  if (inside !== undefined) return inside;
  const parts = [schemaText()];
  for (const name of ['source', 'python-values', 'value-codec']) {
    const text = [`./${name}.js`, `./${name}.ts`].map((f) => readIfThere(new URL(f, import.meta.url))).find((t) => t !== undefined);
    if (text === undefined) return null;
    parts.push(text);
  }
  return parts.join('\0');
}

function readIfThere(url: URL): string | undefined {
  try {
    return fs.readFileSync(url, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * The configuration's path with its folder's symbolic links resolved: run
 * directories, the `dir` variable and the key that finds an ensemble's jobs
 * again must not depend on how the folder was spelled (through a link, a
 * bind mount's other name). The file itself may be a link; its folder is
 * where the user put it.
 */
function canonicalFile(file: string): string {
  return path.join(canonicalDir(path.dirname(file)), path.basename(file));
}

function normalise(source: YamlSource, file: string, document: Obj, options: LoadOptions): EnsembleSpec {
  const configDir = path.dirname(file);
  const ensemble = document.ensemble as Obj;
  const dialect = dialectOf(document);
  const { rule: pathsFrom, by: pathsBy } = decidePathsFrom(dialect, options.pathsFrom);
  // Relative paths start here, and may not leave it.
  const dir = pathsFrom === 'working-directory' ? canonicalDir(path.resolve(options.cwd ?? process.cwd())) : configDir;
  // For a template folder that is not there: say which rule looked where, and what would change it.
  const pathsNote =
    pathsFrom === 'working-directory' && dir !== configDir
      ? pathsBy === 'rc'
        ? `Relative paths start from the folder mensemble was run from, ${displayPath(dir)}, as .mensemblerc's \`paths_from\` says.`
        : `Relative paths start from the folder mensemble was run from, ${displayPath(dir)}, as model-ensembler's do${dialect.declared ? '' : ' (the file declares no `dialect`)'}. Run mensemble from the folder they were written for${dialect.declared ? '' : `, or write \`dialect: mensemble\` at the top of the file to start them from its own folder, ${displayPath(configDir)}`}.`
      : undefined;
  const globalVars = (ensemble.vars ?? {}) as Obj;
  const batchConfig = (ensemble.batch_config ?? {}) as Obj;
  const problems: string[] = [];
  const batches: BatchSpec[] = [];
  const seenNames = new Map<string, number>();

  (ensemble.batches as Obj[]).forEach((own, index) => {
    const keyPath: KeyPath = ['ensemble', 'batches', index];
    const where = formatKeyPath(keyPath);
    const location = lazyLocation(source, keyPath);
    const merged: Obj = { ...batchConfig, ...own };
    if (batchConfig.vars && own.vars) merged.vars = { ...(batchConfig.vars as Obj), ...(own.vars as Obj) };
    const name = String(own.name);
    const previous = seenNames.get(name);
    if (previous !== undefined) {
      problems.push(`${formatLocation(locate(source, [...keyPath, 'name']))}: ${where}.name: the batch name \`${name}\` is already used by ensemble.batches[${previous}]; batch names must be unique.`);
    }
    seenNames.set(name, index);
    const missing = REQUIRED_AFTER_MERGE.filter((k) => merged[k] === undefined);
    if (merged.runs === undefined && merged.matrix === undefined) missing.push('runs (or matrix)');
    if (missing.length > 0) {
      problems.push(`${formatLocation(location)}: ${where} (batch \`${name}\`): missing required key${missing.length > 1 ? 's' : ''} ${missing.map((k) => `\`${k}\``).join(', ')}, set neither in the batch nor in ensemble.batch_config.`);
      return;
    }
    try {
      batches.push({ ...buildBatch(source, dir, index, merged, globalVars, keyPath, options.slurmDefaults), pathsNote });
    } catch (err) {
      if (err instanceof UserErrors) problems.push(...err.problems);
      else if (err instanceof UserError) problems.push(err.message);
      else throw err;
    }
  });
  const preProcess = tasks(ensemble.pre_process, 'pre_process', ['ensemble', 'pre_process']);
  const postProcess = tasks(ensemble.post_process, 'post_process', ['ensemble', 'post_process']);
  problems.push(...taskPathProblems(source, preProcess, ['ensemble', 'pre_process'], dir));
  problems.push(...taskPathProblems(source, postProcess, ['ensemble', 'post_process'], dir));
  const total = batches.reduce((n, b) => n + b.runs.length, 0);
  if (problems.length === 0 && total > MAX_RUNS) {
    problems.push(`${formatLocation(locate(source, ['ensemble', 'batches']))}: ensemble.batches: the batches have ${total.toLocaleString('en-US')} runs together (${batches.map((b) => `${b.name}: ${b.runs.length.toLocaleString('en-US')}`).join(', ')}); ${TOO_MANY}`);
  }
  if (problems.length > 0) throw new UserErrors(problems);

  return {
    configFile: file,
    dir: configDir,
    root: dir,
    pathsFrom,
    pathsBy,
    dialect: dialect.dialect,
    dialectDeclared: dialect.declared,
    source,
    preProcess,
    postProcess,
    batches,
    globalVars,
    extraVars: options.extraVars ?? {},
  };
}

function canonicalDir(dir: string): string {
  try {
    return fs.realpathSync(dir);
  } catch {
    return dir; // a missing folder is reported when the file is read
  }
}

function buildBatch(source: YamlSource, dir: string, index: number, merged: Obj, globalVars: Obj, keyPath: KeyPath, slurmDefaults: Record<string, SchedulerOption> = {}): BatchSpec {
  const name = String(merged.name);
  const at = (key: string) => `${formatLocation(locate(source, [...keyPath, key]))}: ${formatKeyPath([...keyPath, key])}`;
  const pathProblem = (key: string, fn: () => string): string => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof UserError) throw new UserError(`${at(key)}: ${err.message}`);
      throw err;
    }
  };
  // Run directories are passed to scripts and listed one per line (job arrays): no control characters.
  for (const key of ['basedir', 'templatedir', 'job_file']) {
    if (/[\u0000-\u001f\u007f]/.test(String(merged[key]))) {
      throw new UserError(`${at(key)}: ${JSON.stringify(merged[key])} contains a control character (a line break?); paths may not.`);
    }
  }
  if (merged.repeat === true) {
    throw new UserError(`${at('repeat')}: \`repeat: true\` is not supported: model-ensembler runs such a batch again and again while its pre_batch checks pass, which has no place in a plan of targets. Write \`repeat: false\` (or leave it out) and add one batch per cycle (a \`matrix\` over a cycle number, or batches with their own names and basedirs).`);
  }
  const basedir = pathProblem('basedir', () => resolveInside(dir, String(merged.basedir), 'basedir'));
  // model-ensembler changes into basedir before it resolves templatedir.
  const templatedir = pathProblem('templatedir', () => resolveInside(dir, String(merged.templatedir), 'templatedir (relative to basedir)', basedir));
  if (isInside(templatedir, basedir)) {
    // Every run directory would be copied into the next one, and every change to one would change the template folder.
    throw new UserError(`${at('basedir')}: the basedir ${displayPath(basedir)} is inside the template folder ${displayPath(templatedir)}; run directories must be outside the folder they are rendered from.`);
  }
  const templates = (merged.templates as string[]).map((t, i) => {
    if (path.isAbsolute(t) || path.normalize(t).split(path.sep).includes('..')) {
      throw new UserError(`${formatLocation(locate(source, [...keyPath, 'templates', i]))}: ${formatKeyPath([...keyPath, 'templates', i])}: the template \`${t}\` must be a path inside templatedir.`);
    }
    return path.normalize(t);
  });

  const batchVars: Obj = { ...globalVars, ...((merged.vars as Obj | undefined) ?? {}) };
  for (const [k, v] of Object.entries(merged)) {
    if (NOT_TEMPLATE_VARS.has(k)) continue;
    if (DROPPED_WHEN_UNSET.includes(k) && (v === null || v === undefined)) continue;
    batchVars[k] = v;
  }
  // What the batch adds to model-ensembler's `run` after the ensemble vars: its vars, then its fields in BatchSpec's order (batcher.py).
  const runTupleBase: Obj = { ...((merged.vars as Obj | undefined) ?? {}) };
  for (const k of BATCH_SPEC_FIELDS) {
    // The batch's own keys only: an ensemble var of the same name is not the batch's field.
    if (k === 'repeat') runTupleBase[k] = merged.repeat ?? false;
    else if (Object.hasOwn(merged, k) && !(DROPPED_WHEN_UNSET.includes(k) && (merged[k] === null || merged[k] === undefined))) runTupleBase[k] = merged[k];
  }

  const batchTasks = Object.fromEntries(TASK_LISTS.map((phase) => [phase, tasks(merged[phase], phase, [...keyPath, phase])])) as BatchSpec['tasks'];
  const problems = TASK_LISTS.flatMap((phase) => taskPathProblems(source, batchTasks[phase], [...keyPath, phase], dir, basedir));
  if (problems.length > 0) throw new UserErrors(problems);

  return {
    index,
    name,
    templatedir,
    basedir,
    templates,
    jobFile: String(merged.job_file),
    maxruns: Number(merged.maxruns),
    maxjobs: Number(merged.maxjobs),
    repeat: false,
    tasks: batchTasks,
    runs: runInputs(source, merged, keyPath),
    runIdTemplate: typeof merged.run_id === 'string' ? merged.run_id : undefined,
    runIdLocation: lazyLocation(source, [...keyPath, 'run_id']),
    batchVars,
    runTupleBase,
    // The settings' defaults under the batch's own options; a changed default is a changed option of every run it reaches.
    schedulerOptions: { slurm: { ...slurmDefaults, ...((merged.slurm ?? {}) as Record<string, SchedulerOption>) } },
    retry: readRetryRules(merged.retry, source, [...keyPath, 'retry']),
    array: typeof merged.array === 'boolean' ? merged.array : undefined,
    where: formatKeyPath(keyPath),
    location: lazyLocation(source, keyPath),
  };
}

/**
 * The most runs one ensemble may have. Every command holds every run in
 * memory, about 5 KB each (a 500,000-run plan took 2.2 GB and 23 s here,
 * docs/performance.md); past this an ordinary machine runs out of memory.
 */
export const MAX_RUNS = 500_000;
const TOO_MANY = `more than ${MAX_RUNS.toLocaleString('en-US')} runs in one ensemble is refused (every command holds each run in memory, about 5 KB each). Split it into several configurations, each with its own basedir.`;

/** Explicit runs first, then the matrix combinations (last key varying fastest). */
function runInputs(source: YamlSource, batch: Obj, keyPath: KeyPath): RunInput[] {
  const out: RunInput[] = [];
  ((batch.runs ?? []) as Obj[]).forEach((vars, i) => {
    const runPath = [...keyPath, 'runs', i];
    out.push({ vars: vars ?? {}, idx: out.length, where: formatKeyPath(runPath), location: lazyLocation(source, runPath) });
  });
  const matrix = batch.matrix as Record<string, unknown[]> | undefined;
  if (matrix) {
    const keys = Object.keys(matrix);
    const location = lazyLocation(source, [...keyPath, 'matrix']);
    const total = keys.reduce((n, k) => n * matrix[k]!.length, 1);
    if (total > MAX_RUNS) {
      throw new UserError(`${formatLocation(location)}: ${formatKeyPath([...keyPath, 'matrix'])}: the matrix generates ${total.toLocaleString('en-US')} runs; ${TOO_MANY}`);
    }
    for (let n = 0; n < total; n++) {
      const vars: Obj = {};
      let rest = n;
      for (let k = keys.length - 1; k >= 0; k--) {
        const values = matrix[keys[k]!]!;
        vars[keys[k]!] = values[rest % values.length];
        rest = Math.floor(rest / values.length);
      }
      const ordered: Obj = {};
      for (const k of keys) ordered[k] = vars[k];
      out.push({ vars: ordered, idx: out.length, where: `${formatKeyPath([...keyPath, 'matrix'])} combination ${n}`, location });
    }
  }
  return out;
}

function tasks(list: unknown, phase: TaskPhase, keyPath: KeyPath): TaskSpec[] {
  return ((list ?? []) as Obj[]).map((task, index) => ({
    name: task.name as TaskSpec['name'],
    args: (task.args ?? {}) as Obj,
    value: task.value,
    phase,
    index,
    where: formatKeyPath([...keyPath, index]),
  }));
}

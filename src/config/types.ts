import type { SourceLocation } from '../util/errors.js';
import type { YamlSource } from './source.js';

import type { TaskName } from './task-kinds.js';
import type { RetryRules } from './retry-rules.js';

export type { TaskName } from './task-kinds.js';
export type TaskPhase = 'pre_process' | 'pre_batch' | 'pre_run' | 'post_run' | 'post_batch' | 'post_process';

export interface TaskSpec {
  name: TaskName;
  args: Record<string, unknown>;
  value?: unknown;
  phase: TaskPhase;
  /** Position in its list, which with the phase identifies the task in state records. */
  index: number;
  /** `ensemble.batches[0].pre_run[1]`, for messages. */
  where: string;
}

/** One member of a batch as the configuration writes it, before ids and rendering. */
export interface RunInput {
  /** The run's own keys (explicit run entry or matrix combination). */
  vars: Record<string, unknown>;
  /** Position of the entry in the batch (0-based), i.e. `run.idx`. */
  idx: number;
  where: string;
  location: SourceLocation;
}

export interface BatchSpec {
  index: number;
  name: string;
  /** Absolute paths. */
  templatedir: string;
  basedir: string;
  templates: string[];
  jobFile: string;
  maxruns: number;
  maxjobs: number;
  /** Always false: `repeat: true` is refused when the configuration is read. */
  repeat: boolean;
  tasks: Record<'pre_batch' | 'pre_run' | 'post_run' | 'post_batch', TaskSpec[]>;
  runs: RunInput[];
  runIdTemplate?: string;
  /** Where run_id is written (the batch, when it comes from batch_config). */
  runIdLocation?: SourceLocation;
  /** Template-visible variables below the run level: ensemble vars < batch vars < batch keys. */
  batchVars: Record<string, unknown>;
  /**
   * What a batch adds to `run` as model-ensembler builds it, in its order:
   * batch vars, then the batch's keys in its BatchSpec's order, with
   * `repeat` (false when unset) and without the unset `cluster`, `email`,
   * `nodes`, `ntasks`, `length` (plan/run-context.ts).
   */
  runTupleBase: Record<string, unknown>;
  /** Why relative paths start where they do, for a template folder that is not there (config/load.ts). */
  pathsNote?: string;
  /** Options for the scheduler each backend talks to, under the user's key for it (`slurm:`). */
  schedulerOptions: SchedulerOptions;
  /** When a failed run is tried again, and with what (config/retry-rules.ts). */
  retry: RetryRules;
  /** Submit as job arrays; undefined: the `array` setting of .mensemblerc decides. */
  array?: boolean;
  where: string;
  location: SourceLocation;
}

export interface EnsembleSpec {
  /** Absolute path of the configuration file. */
  configFile: string;
  /** The configuration's folder: mensemble's state (.mensemble) and lock live here. */
  dir: string;
  /**
   * Where relative paths start, and the folder they may not leave: the
   * configuration's folder, or for a model-ensembler configuration the
   * working directory (config/paths-from.ts). pre_process and post_process run here.
   */
  root: string;
  pathsFrom: 'configuration' | 'working-directory';
  /** What set the paths rule: the dialect, or `.mensemblerc` `paths_from` for a file that declares none. */
  pathsBy: 'dialect' | 'rc';
  /**
   * How the file is read (config/paths-from.ts): `model-ensembler` (the
   * default) gives templates only `run`, `mensemble` every run variable by
   * name as well.
   */
  dialect: 'model-ensembler' | 'mensemble';
  /** Whether the file writes `dialect:` itself. */
  dialectDeclared: boolean;
  source: YamlSource;
  preProcess: TaskSpec[];
  postProcess: TaskSpec[];
  batches: BatchSpec[];
  /** `ensemble.vars`, in the order written (the start of model-ensembler's `run`). */
  globalVars: Record<string, unknown>;
  /** `-x name=value` variables, the highest precedence. */
  extraVars: Record<string, string>;
}

export type SchedulerOption = string | number | boolean;

/** Batch options per backend, keyed by its name; the local backend has none. */
export interface SchedulerOptions {
  slurm: Record<string, SchedulerOption>;
}

/** The options a batch gives the backend called `backend` (none for a backend without a key). */
export function schedulerOptionsFor(batch: Pick<BatchSpec, 'schedulerOptions'>, backend: string): Record<string, SchedulerOption> {
  return Object.hasOwn(batch.schedulerOptions, backend) ? batch.schedulerOptions[backend as keyof SchedulerOptions] : {};
}

import type { BatchSpec } from '../config/types.js';
import type { DesiredFile } from '../render/render-run.js';
import type { RunState } from '../state/run-state.js';

/** One run as the configuration wants it. */
export interface DesiredRun {
  id: string;
  batch: BatchSpec;
  idx: number;
  /** Absolute run directory, `<basedir>/<id>`. */
  dir: string;
  /** The `run` object templates see. */
  vars: Record<string, unknown>;
  /** Canonical JSON per variable, for reasons and state. */
  varsCanonical: Record<string, string>;
  /** Canonical JSON of the scheduler options. */
  options: string;
  files: DesiredFile[];
  inputHash: string;
  where: string;
}

/** What is on disk (and in the scheduler) for one run directory. */
export interface ObservedRun {
  dir: string;
  /** The run's state; undefined when the directory has none. */
  state?: RunState;
  /** Set when the state file exists but cannot be read. */
  corrupt?: string;
  /** The directory exists (with or without state). */
  exists: boolean;
  /** Rendered files changed on disk since they were written, with what changed. */
  drift: string[];
}

export type PlanAction = 'create' | 'update' | 'replace' | 'retry' | 'resume' | 'remove' | 'inflight' | 'none';

export interface PlanEntry {
  id: string;
  batch: string;
  dir: string;
  action: PlanAction;
  /** Why, in words: what changed, what failed, what is pending. */
  reasons: string[];
  /** Warnings that do not change the action (drift after the job ran, attempts exhausted). */
  notes: string[];
  desired?: DesiredRun;
  observed?: ObservedRun;
}

export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  retry: number;
  resume: number;
  remove: number;
  unchanged: number;
  inflight: number;
  /** Runs whose state file cannot be read: left alone until `mensemble repair`. */
  damaged: number;
}

export interface Plan {
  entries: PlanEntry[];
  summary: PlanSummary;
  /** Problems observing the world (an unreachable scheduler) that make the plan less certain. */
  warnings: string[];
  /** Each batch's base folder (absolute), so that nobody learns only afterwards where run directories went. */
  batches: Array<{ name: string; basedir: string }>;
  /** Where the configuration's relative paths started (config/paths-from.ts). */
  pathsFrom?: { rule: 'configuration' | 'working-directory'; dir: string };
}

export function hasChanges(plan: Plan): boolean {
  const s = plan.summary;
  return s.create + s.update + s.replace + s.retry + s.resume + s.remove > 0;
}

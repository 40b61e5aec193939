import type { RunState } from './run-state.js';
import { usageProblem } from './usage.js';

/**
 * The shape every reader of a run's state relies on, checked when the file
 * is read: valid JSON of the wrong shape (`files: null`, `attempts: [null]`,
 * hand edits, another tool's file) is a damaged state, never an internal
 * error further on. Returns the first problem, as `<key path>: <what>`, or
 * undefined. Hand-written rather than a JSON Schema: it runs for every run
 * on every plan, and needs no compile step.
 */
export function runStateProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'the file is not a JSON object';
  if (value.version !== 1) return `version: ${JSON.stringify(value.version)}, expected 1`;
  return (
    str(value, 'id') ??
    str(value, 'batch') ??
    str(value, 'inputHash') ??
    str(value, 'jobFile') ??
    str(value, 'options') ??
    str(value, 'renderedAt') ??
    mapOf(value, 'vars', (v, at) => (typeof v === 'string' ? undefined : `${at}: not a string`)) ??
    mapOf(value, 'files', fileProblem) ??
    listOf(value, 'attempts', attemptProblem) ??
    mapOf(value, 'tasks', taskProblem) ??
    completedProblem(value.completed) ??
    ownerProblem(value.owner) ??
    replacedProblem(value.replaced)
  );
}

export function isRunState(value: unknown): value is RunState {
  return runStateProblem(value) === undefined;
}

const FILE_KINDS = new Set(['dir', 'rendered', 'copy', 'symlink']);
const JOB_STATES = new Set(['submitting', 'queued', 'running', 'completed', 'failed', 'cancelled', 'timeout', 'out_of_memory', 'node_fail', 'preempted', 'boot_fail', 'deadline', 'lost']);

type Obj = Record<string, unknown>;
type Check = (value: unknown, at: string) => string | undefined;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(o: Obj, key: string, at = key): string | undefined {
  return typeof o[key] === 'string' ? undefined : `${at}: ${describe(o[key])}, expected a string`;
}

function optional(o: Obj, key: string, at: string, type: 'string' | 'number'): string | undefined {
  const v = o[key];
  if (v === undefined || typeof v === type && (type !== 'number' || Number.isFinite(v))) return undefined;
  return `${at}.${key}: ${describe(v)}, expected ${type === 'string' ? 'a string' : 'a number'}`;
}

// The key path of an entry is written only for an entry that has a problem: these checks run for every
// file and attempt of every run on every plan, and building the paths was most of their cost.

function mapOf(o: Obj, key: string, each: Check): string | undefined {
  const map = o[key];
  if (!isObject(map)) return `${key}: ${describe(map)}, expected an object`;
  for (const k in map) {
    if (each(map[k], '') !== undefined) return each(map[k], `${key}[${JSON.stringify(k)}]`);
  }
  return undefined;
}

function listOf(o: Obj, key: string, each: Check): string | undefined {
  const list = o[key];
  if (!Array.isArray(list)) return `${key}: ${describe(list)}, expected a list`;
  for (let i = 0; i < list.length; i++) {
    if (each(list[i], '') !== undefined) return each(list[i], `${key}[${i}]`);
  }
  return undefined;
}

function fileProblem(v: unknown, at: string): string | undefined {
  if (!isObject(v)) return `${at}: ${describe(v)}, expected an object`;
  if (!FILE_KINDS.has(v.kind as string)) return `${at}.kind: ${describe(v.kind)}, expected one of ${[...FILE_KINDS].join(', ')}`;
  return str(v, 'hash', `${at}.hash`) ?? optional(v, 'mode', at, 'number') ?? optional(v, 'size', at, 'number') ?? optional(v, 'mtimeMs', at, 'number') ?? optional(v, 'ino', at, 'number');
}

function attemptProblem(v: unknown, at: string): string | undefined {
  if (!isObject(v)) return `${at}: ${describe(v)}, expected an object`;
  if (!Number.isInteger(v.attempt) || (v.attempt as number) < 1) return `${at}.attempt: ${describe(v.attempt)}, expected a whole number from 1`;
  if (!JOB_STATES.has(v.state as string)) return `${at}.state: ${describe(v.state)}, expected a job state`;
  if (v.exitCode !== undefined && v.exitCode !== null && !Number.isInteger(v.exitCode)) return `${at}.exitCode: ${describe(v.exitCode)}, expected a whole number or null`;
  if (v.backendData !== undefined && !isObject(v.backendData)) return `${at}.backendData: ${describe(v.backendData)}, expected an object`;
  const usage = v.usage === undefined ? undefined : usageProblem(v.usage);
  if (usage) return `${at}.${usage}`;
  if (v.escalated !== undefined) {
    const problem = escalatedProblem(v.escalated);
    if (problem) return `${at}.escalated${problem}`;
  }
  return (
    str(v, 'inputHash', `${at}.inputHash`) ??
    str(v, 'backend', `${at}.backend`) ??
    str(v, 'submittedAt', `${at}.submittedAt`) ??
    optional(v, 'jobId', at, 'string') ??
    optional(v, 'reason', at, 'string') ??
    optional(v, 'startedAt', at, 'string') ??
    optional(v, 'endedAt', at, 'string')
  );
}

function taskProblem(v: unknown, at: string): string | undefined {
  if (!isObject(v)) return `${at}: ${describe(v)}, expected an object`;
  return str(v, 'inputHash', `${at}.inputHash`) ?? optional(v, 'taskHash', at, 'string') ?? optional(v, 'startedAt', at, 'string') ?? optional(v, 'finishedAt', at, 'string') ?? optional(v, 'failedAt', at, 'string') ?? optional(v, 'exitCode', at, 'number');
}

function completedProblem(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) return `completed: ${describe(v)}, expected an object`;
  if (!JOB_STATES.has(v.outcome as string)) return `completed.outcome: ${describe(v.outcome)}, expected a job state`;
  return str(v, 'inputHash', 'completed.inputHash') ?? str(v, 'at', 'completed.at');
}

/**
 * What a retry raised, as mensemble writes it: `mem` (whole MiB, `12288M`)
 * and `time` (`HH:MM:SS` or `D-HH:MM:SS`), nothing else. These reach the
 * scheduler's command line: any other key of a state file (`output`,
 * `chdir`, `wrap`) would become an option of its own.
 */
function escalatedProblem(v: unknown): string | undefined {
  if (!isObject(v)) return `: ${describe(v)}, expected an object of option values`;
  for (const [key, value] of Object.entries(v)) {
    if (key !== 'mem' && key !== 'time') return `.${key}: not an option a retry raises (only mem and time)`;
    if (typeof value !== 'string') return `.${key}: ${describe(value)}, expected a string`;
    if (key === 'mem' && !/^\d{1,12}M$/.test(value)) return `.mem: ${describe(value)}, expected whole MiB such as "12288M"`;
    if (key === 'time' && !/^(\d{1,5}-)?\d{2}:\d{2}:\d{2}$/.test(value)) return `.time: ${describe(value)}, expected a time limit such as "02:00:00"`;
  }
  return undefined;
}

function replacedProblem(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) return `replaced: ${describe(v)}, expected an object`;
  if (!Number.isInteger(v.afterAttempt) || (v.afterAttempt as number) < 0) return `replaced.afterAttempt: ${describe(v.afterAttempt)}, expected a whole number`;
  return str(v, 'inputHash', 'replaced.inputHash') ?? str(v, 'at', 'replaced.at');
}

function ownerProblem(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  if (!isObject(v)) return `owner: ${describe(v)}, expected an object`;
  return str(v, 'config', 'owner.config') ?? str(v, 'key', 'owner.key');
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const text = JSON.stringify(v);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

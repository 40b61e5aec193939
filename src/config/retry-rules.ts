import type { JobState } from '../state/run-state.js';
import { UserError, formatLocation } from '../util/errors.js';
import { parseDuration, parseMemory } from '../util/units.js';
import { formatKeyPath, locate, type KeyPath, type YamlSource } from './source.js';

/** How an attempt ended, named as SLURM names it (the user's spelling in `retry.when`). */
export type RetryCause = 'FAILED' | 'OUT_OF_MEMORY' | 'TIMEOUT' | 'NODE_FAIL' | 'PREEMPTED' | 'BOOT_FAIL' | 'DEADLINE' | 'CANCELLED' | 'LOST';

export const RETRY_CAUSES: readonly RetryCause[] = ['FAILED', 'OUT_OF_MEMORY', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'CANCELLED', 'LOST'];

/** Ends that are the cluster's doing, not the job's: retried with the same request without spending an attempt. */
export const FREE_CAUSES: readonly RetryCause[] = ['NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL'];

export type EscalatedResource = 'mem' | 'time';

/** Factors a resource grows by on a retry after a cause (`OUT_OF_MEMORY: {mem: 1.5x}`). */
export type Escalation = Partial<Record<EscalatedResource, number>>;

/** A batch's `retry:`, read. */
export interface RetryRules {
  /** Attempts in all that may be spent on these inputs (free retries not counted). */
  maxAttempts: number;
  /** Causes that are retried while attempts remain. */
  when: readonly RetryCause[];
  escalate: Partial<Record<RetryCause, Escalation>>;
  /** Never escalate past these (bytes, seconds). */
  limits: { memBytes?: number; timeSeconds?: number };
  /** Node failures, preemptions and boot failures retried without spending an attempt, at most this many times. */
  freeRetries: number;
}

/** No `retry:`: one attempt and no retry of any kind, as model-ensembler does. */
export const NO_RETRIES: RetryRules = { maxAttempts: 1, when: RETRY_CAUSES, escalate: {}, limits: {}, freeRetries: 0 };

/** Free retries when `retry:` is given without `free_retries`. */
export const DEFAULT_FREE_RETRIES = 2;

export function causeOf(state: JobState): RetryCause | undefined {
  const cause = state.toUpperCase() as RetryCause;
  return RETRY_CAUSES.includes(cause) ? cause : undefined;
}

/**
 * Reads a batch's `retry:` (the schema has checked its shape). What the
 * schema cannot say is refused here with file and line: factors that do
 * not grow, limits that are not sizes or durations, escalations for causes
 * that are never retried.
 */
export function readRetryRules(value: unknown, source: YamlSource, keyPath: KeyPath): RetryRules {
  if (value === undefined || value === null) return NO_RETRIES;
  const retry = value as Record<string, unknown>;
  const at = (...rest: Array<string | number>) => `${formatLocation(locate(source, [...keyPath, ...rest]))}: ${formatKeyPath([...keyPath, ...rest])}`;
  const on = (retry.when as RetryCause[] | undefined) ?? RETRY_CAUSES;
  const escalate: RetryRules['escalate'] = {};
  for (const [cause, resources] of Object.entries((retry.escalate ?? {}) as Record<string, Record<string, unknown>>)) {
    if (!on.includes(cause as RetryCause)) {
      throw new UserError(`${at('escalate', cause)}: ${cause} is not in retry.when (${on.join(', ')}), so it is never retried and there is nothing to escalate; add it to retry.when or remove this rule.`);
    }
    const escalation: Escalation = {};
    for (const [resource, factor] of Object.entries(resources ?? {})) {
      const n = typeof factor === 'number' ? factor : /^\s*\d+(\.\d+)?\s*x?\s*$/i.test(String(factor)) ? Number(String(factor).replace(/x\s*$/i, '')) : NaN;
      if (!(n > 1)) throw new UserError(`${at('escalate', cause, resource)}: ${JSON.stringify(factor)} does not grow the ${resource === 'mem' ? 'memory' : 'time limit'}; write a factor above 1, such as 1.5x or 2x.`);
      escalation[resource as EscalatedResource] = n;
    }
    escalate[cause as RetryCause] = escalation;
  }
  const limits: RetryRules['limits'] = {};
  const rawLimits = (retry.limits ?? {}) as Record<string, string | number>;
  if (rawLimits.mem !== undefined) {
    const bytes = parseMemory(rawLimits.mem);
    if (bytes === undefined || bytes === 0) throw new UserError(`${at('limits', 'mem')}: ${JSON.stringify(rawLimits.mem)} is not a memory size as sbatch reads it (such as 64G or 500M).`);
    limits.memBytes = bytes;
  }
  if (rawLimits.time !== undefined) {
    const seconds = parseDuration(rawLimits.time);
    if (seconds === undefined || seconds === 0) throw new UserError(`${at('limits', 'time')}: ${JSON.stringify(rawLimits.time)} is not a time limit as sbatch reads it (such as "24:00:00", "2-00:00:00" or 90 minutes).`);
    limits.timeSeconds = seconds;
  }
  return {
    maxAttempts: Number(retry.max_attempts ?? 1),
    when: on,
    escalate,
    limits,
    freeRetries: Number(retry.free_retries ?? DEFAULT_FREE_RETRIES),
  };
}

import { FREE_CAUSES, causeOf, type EscalatedResource, type RetryCause, type RetryRules } from '../config/retry-rules.js';
import type { SchedulerOption } from '../config/types.js';
import type { AttemptRecord } from '../state/run-state.js';
import { parseDuration, parseMemory, sbatchMemory, sbatchTime } from '../util/units.js';

/** One resource a retry asks more of: from what the failed attempt had to what the next one gets (bytes or seconds). */
export interface Escalated {
  resource: EscalatedResource;
  from: number;
  to: number;
  /** The factor would have asked for more: `to` is the limit. */
  capped: boolean;
}

/**
 * What the retry rules say of a run's attempts for its current inputs
 * (oldest first, the last one ended). Pure: the plan shows it, the apply
 * acts on it, and both reach the same answer from the same records.
 */
export type RetryDecision =
  | { kind: 'completed' }
  | {
      kind: 'retry';
      cause: RetryCause;
      /** The failed attempt's number among those that spent one (a free one: the number the next will have). */
      attempt: number;
      maxAttempts: number;
      /** Retried without spending an attempt (a node failure, preemption or boot failure). */
      free: boolean;
      /** The `free`-th of at most `freeRetries` free retries. */
      freeRetry?: { used: number; of: number };
      escalations: Escalated[];
      /** Scheduler options the retry is submitted with over the batch's (sbatch's spelling). */
      options: Record<string, string>;
    }
  | { kind: 'no-attempts-left'; cause?: RetryCause; attempt: number; maxAttempts: number }
  | { kind: 'not-retried'; cause?: RetryCause; when: readonly RetryCause[] }
  /** The cause would escalate a resource that is already at its limit: another attempt would fail the same way. */
  | { kind: 'at-limit'; cause: RetryCause; resource: EscalatedResource; value: number; limit: number }
  /** The cause would escalate a resource whose request is unknown (no accounting, no option): nothing to grow from. */
  | { kind: 'cannot-escalate'; cause: RetryCause; resource: EscalatedResource };

export function decideRetry(rules: RetryRules, attempts: readonly AttemptRecord[], batchOptions: Readonly<Record<string, SchedulerOption>>): RetryDecision {
  const last = attempts[attempts.length - 1];
  if (!last || last.state === 'completed') return { kind: 'completed' };
  const cause = causeOf(last.state);
  let freeUsed = 0;
  let spent = 0;
  let lastFree = false;
  for (const a of attempts) {
    const c = causeOf(a.state);
    lastFree = c !== undefined && FREE_CAUSES.includes(c) && freeUsed < rules.freeRetries;
    if (lastFree) freeUsed++;
    else spent++;
  }
  if (cause && lastFree) {
    // The same request again: the cluster failed the job, not the job its request.
    return { kind: 'retry', cause, attempt: spent + 1, maxAttempts: rules.maxAttempts, free: true, freeRetry: { used: freeUsed, of: rules.freeRetries }, escalations: [], options: { ...(last.escalated ?? {}) } };
  }
  if (!cause || !rules.when.includes(cause)) return { kind: 'not-retried', cause, when: rules.when };
  if (spent >= rules.maxAttempts) return { kind: 'no-attempts-left', cause, attempt: spent, maxAttempts: rules.maxAttempts };
  const options: Record<string, string> = { ...(last.escalated ?? {}) };
  const escalations: Escalated[] = [];
  for (const [resource, factor] of Object.entries(rules.escalate[cause] ?? {}) as Array<[EscalatedResource, number]>) {
    const from = requested(resource, last, batchOptions);
    if (from === undefined) return { kind: 'cannot-escalate', cause, resource };
    const limit = resource === 'mem' ? rules.limits.memBytes : rules.limits.timeSeconds;
    if (limit !== undefined && from >= limit) return { kind: 'at-limit', cause, resource, value: from, limit };
    const peak = resource === 'mem' ? (last.usage?.peakMemoryBytes ?? 0) : 0;
    const grown = Math.max(from, peak) * factor;
    const to = limit !== undefined ? Math.min(grown, limit) : grown;
    escalations.push({ resource, from, to, capped: limit !== undefined && grown > limit });
    options[resource] = resource === 'mem' ? sbatchMemory(to) : sbatchTime(to);
  }
  return { kind: 'retry', cause, attempt: spent, maxAttempts: rules.maxAttempts, free: false, escalations, options };
}

/**
 * What the failed attempt asked for: as the scheduler's accounting recorded
 * it (the truth, whatever set it: an option, an #SBATCH line, a default),
 * else what an earlier retry raised it to, else the batch's option.
 */
function requested(resource: EscalatedResource, last: AttemptRecord, batchOptions: Readonly<Record<string, SchedulerOption>>): number | undefined {
  if (resource === 'mem') {
    if (last.usage?.requestedMemoryBytes) return last.usage.requestedMemoryBytes;
    const option = last.escalated?.mem ?? batchOptions.mem;
    return typeof option === 'string' || typeof option === 'number' ? parseMemory(option) : undefined;
  }
  if (last.usage?.timeLimitSeconds) return last.usage.timeLimitSeconds;
  const option = last.escalated?.time ?? batchOptions.time ?? batchOptions.t;
  return typeof option === 'string' || typeof option === 'number' ? parseDuration(option) : undefined;
}

/**
 * A batch's scheduler options with a retry's escalations over them. A
 * memory total replaces the per-CPU and per-GPU forms (sbatch takes one of
 * the three); a time limit replaces the short `t`.
 */
export function escalatedOptions(batchOptions: Readonly<Record<string, SchedulerOption>>, escalated: Readonly<Record<string, string>> | undefined): Record<string, SchedulerOption> {
  const out: Record<string, SchedulerOption> = { ...batchOptions };
  // Only what a retry raises: a state file is data, and its other keys are never options.
  if (escalated?.mem !== undefined) {
    delete out['mem-per-cpu'];
    delete out['mem-per-gpu'];
    delete out.mem; // re-added last, where the escalation always stood
    out.mem = escalated.mem;
  }
  if (escalated?.time !== undefined) {
    delete out.t;
    delete out.time;
    out.time = escalated.time;
  }
  return out;
}

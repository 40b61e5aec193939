import type { EscalatedResource } from '../config/retry-rules.js';
import type { Escalated } from '../plan/retry-policy.js';
import type { UsedFigures } from '../plan/types.js';
import type { JobState } from '../state/run-state.js';

/** Bytes as people read memory: `7.9 GB`, `512 MB` (powers of 1024, as sbatch's G and M). */
export function bytesText(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value >= 100 || Number.isInteger(value) ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}

/** Seconds as a time limit reads: `1:30:00`, `2-00:00:00`, `45 s`. */
export function secondsText(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const s = Math.round(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(sec).padStart(2, '0')}`;
  return d > 0 ? `${d}-${hms.padStart(8, '0')}` : hms;
}

const valueText = (resource: EscalatedResource, value: number) => (resource === 'mem' ? bytesText(value) : secondsText(value));

/** What the failed attempt had used of what it asked for, for its cause: ` at 7.9 of 8 GB`. */
export function usedText(state: JobState, used: UsedFigures | undefined): string {
  if (!used) return '';
  if (state === 'out_of_memory' && used.requestedMemoryBytes !== undefined) {
    // sacct's peak is sampled (every 30 s by default): a job killed early may show little. Then the request says more.
    const peak = used.peakMemoryBytes;
    return peak !== undefined && peak >= used.requestedMemoryBytes / 2 ? ` at ${bytesText(peak)} of ${bytesText(used.requestedMemoryBytes)}` : ` with ${bytesText(used.requestedMemoryBytes)} requested`;
  }
  if (state === 'timeout' && used.timeLimitSeconds !== undefined) return ` at its ${secondsText(used.timeLimitSeconds)} limit`;
  return '';
}

/** ` -> mem 12 GB, time 4:00:00 (the limit)`. */
export function escalationText(escalations: readonly Escalated[] | undefined): string {
  if (!escalations || escalations.length === 0) return '';
  return ` -> ${escalations.map((e) => `${e.resource} ${valueText(e.resource, e.to)}${e.capped ? ' (its limit)' : ''}`).join(', ')}`;
}

export function limitText(resource: EscalatedResource, value: number, limit: number): string {
  return `${resource === 'mem' ? 'memory' : 'time limit'} ${valueText(resource, value)} is already at retry.limits.${resource} (${valueText(resource, limit)})`;
}

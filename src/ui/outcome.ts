import type { JobState } from '../state/run-state.js';

/** How a job ended, in words: `failed (exit code 3): reason` or `ended TIMEOUT`. */
export function describeOutcome(a: { state: JobState; exitCode?: number | null; reason?: string }): string {
  const code = a.exitCode !== undefined && a.exitCode !== null ? ` (exit code ${a.exitCode})` : '';
  const why = a.reason ? `: ${a.reason}` : '';
  return `${a.state === 'failed' ? 'failed' : `ended ${a.state.toUpperCase()}`}${code}${why}`;
}

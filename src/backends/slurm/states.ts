import type { JobState } from '../../state/run-state.js';

/**
 * SLURM job states (squeue's %T, sacct's State, scontrol's JobState) in
 * mensemble's vocabulary. Undefined: a state we do not know, which the
 * caller treats as "cannot tell yet" rather than guessing.
 */
export function mapSlurmState(raw: string): JobState | undefined {
  // sacct writes "CANCELLED by 1000"; squeue may add a "+" to some states.
  const name = raw.trim().split(/\s+/)[0]!.replace(/\+$/, '').toUpperCase();
  return STATES[name];
}

const STATES: Record<string, JobState> = {
  PENDING: 'queued',
  CONFIGURING: 'queued',
  REQUEUED: 'queued',
  REQUEUE_FED: 'queued',
  REQUEUE_HOLD: 'queued',
  RESV_DEL_HOLD: 'queued',
  SPECIAL_EXIT: 'queued',
  RUNNING: 'running',
  COMPLETING: 'running',
  SUSPENDED: 'running',
  STOPPED: 'running',
  SIGNALING: 'running',
  STAGE_OUT: 'running',
  RESIZING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  REVOKED: 'cancelled',
  TIMEOUT: 'timeout',
  OUT_OF_MEMORY: 'out_of_memory',
  NODE_FAIL: 'node_fail',
  PREEMPTED: 'preempted',
  BOOT_FAIL: 'boot_fail',
  DEADLINE: 'deadline',
};

/**
 * SLURM's `ExitCode` is `<exit status>:<signal>`. A job killed by a signal
 * gets 128 + signal, as a shell reports it, and a reason naming the signal.
 */
export function parseExitCode(raw: string | undefined): { exitCode: number | null; signal?: number } {
  const m = /^(\d+):(\d+)$/.exec((raw ?? '').trim());
  if (!m) return { exitCode: null };
  const status = Number(m[1]);
  const signal = Number(m[2]);
  // Above the real signals SLURM writes markers of its own (0:125 for an out-of-memory kill): no signal to name.
  if (signal > 64) return { exitCode: status === 0 ? null : status };
  if (signal > 0 && status === 0) return { exitCode: 128 + signal, signal };
  return { exitCode: status, signal: signal || undefined };
}

/** SLURM prints local times without a zone ("2026-11-24T17:51:16"), or Unknown/None/N/A. */
export function parseSlurmTime(raw: string | undefined): string | undefined {
  const text = (raw ?? '').trim();
  if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/.test(text)) return undefined;
  const ms = Date.parse(text); // no zone: read as local time, as SLURM wrote it
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

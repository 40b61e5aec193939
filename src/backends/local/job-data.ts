import type { AttemptRecord } from '../../state/run-state.js';

/**
 * What the local backend records with an attempt (its `backendData`): the
 * job's process, and where its output goes. A type alias: a plain JSON record.
 */
export type LocalJobData = {
  pid: number;
  /** The kernel's start time of the process, so that a reused pid is not taken for the job. */
  processStart?: string;
  log: string;
};

/** The process of a recorded attempt: from its data, else (older state files) its job id, which is the pid. */
export function localProcessOf(record: Pick<AttemptRecord, 'backendData' | 'jobId'>): { pid: number | undefined; processStart: string | undefined } {
  const d = record.backendData ?? {};
  const pid = typeof d.pid === 'number' ? d.pid : Number(record.jobId);
  return { pid: Number.isInteger(pid) ? pid : undefined, processStart: typeof d.processStart === 'string' ? d.processStart : undefined };
}

export function localLogOf(record: Pick<AttemptRecord, 'backendData'>): string | undefined {
  const log = record.backendData?.log;
  return typeof log === 'string' ? log : undefined;
}

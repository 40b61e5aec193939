import type { AttemptRecord } from '../../state/run-state.js';

/**
 * What the SLURM backend records with an attempt (its `backendData`), so
 * that its job can be found and recognised again: after a crash before the
 * job id was recorded, and when a job id has been reused.
 */
// Type aliases, not interfaces: they are plain JSON records (Record<string, unknown>) as stored.
export type SlurmJobData = {
  /** The job's identity, its `--comment` (identity.ts). */
  comment: string;
  /** The folder it was submitted from, as accounting shows it (WorkDir). */
  workDir: string;
};

/** An array task: which array (its key, whose task list is in the batch folder) and which task. */
export type SlurmArrayTaskData = SlurmJobData & {
  array: string;
  task: number;
  /** The array's job id, once sbatch has printed it. */
  arrayJobId?: string;
};

/**
 * The data recorded with an attempt, as far as it has the shape this backend
 * writes; fields that do not (a hand-edited or older state file) are left
 * out rather than trusted.
 */
export function slurmDataOf(record: Pick<AttemptRecord, 'backendData'>): Partial<SlurmArrayTaskData> {
  const d = record.backendData ?? {};
  const out: Partial<SlurmArrayTaskData> = {};
  if (typeof d.comment === 'string') out.comment = d.comment;
  if (typeof d.workDir === 'string') out.workDir = d.workDir;
  if (typeof d.array === 'string') out.array = d.array;
  if (typeof d.task === 'number' && Number.isInteger(d.task)) out.task = d.task;
  if (typeof d.arrayJobId === 'string') out.arrayJobId = d.arrayJobId;
  return out;
}

/** The recorded data names an array task completely. */
export function isArrayTaskData(d: Partial<SlurmArrayTaskData>): d is SlurmArrayTaskData {
  return d.comment !== undefined && d.workDir !== undefined && d.array !== undefined && d.task !== undefined;
}

import path from 'node:path';
import { readJsonFile } from './atomic-write.js';

/** One ensemble-level task (pre_process, pre_batch, post_batch, post_process) in an apply session. */
export interface SessionTask {
  /** Hash of the task's definition (name and arguments): an edited task is a new task. */
  taskHash?: string;
  /** Recorded before the task's process starts. */
  startedAt: string;
  finishedAt?: string;
  /** Set when it ended in failure; a failed task runs again, it is never resumed. */
  failedAt?: string;
  exitCode?: number;
}

export interface SessionFile {
  version: 2;
  id: string;
  startedAt: string;
  finishedAt?: string;
  /** By task key (sessionTaskKey). */
  tasks: Record<string, SessionTask>;
  /** Batches whose runs this session worked on (pre_batch was due), by name; their post_batch is owed. */
  batches: Record<string, string>;
}

/**
 * One session per configuration file and per folder its relative paths start
 * from: two configurations in one folder, or one model-ensembler
 * configuration applied from two working directories, are different
 * ensembles, and neither may resume the other's session (and so skip its own
 * pre_process and pre_batch). `key` is ensemble-folder.ts's sessionKey.
 */
export function sessionFilePath(ensembleStateDir: string, key: string): string {
  return path.join(ensembleStateDir, `session-${key}.json`);
}

/** `ensemble` or `batch:<name>`: a batch called "ensemble" must not share its tasks' records. */
export type SessionScope = 'ensemble' | `batch:${string}`;

export function sessionTaskKey(scope: SessionScope, phase: string, index: number): string {
  return `${scope}:${phase}[${index}]`;
}

interface SessionFileV1 {
  version: 1;
  id: string;
  startedAt: string;
  finishedAt?: string;
  tasks: Record<string, string>;
  started?: Record<string, string>;
}

/**
 * Reads the session file, or undefined when there is none or it cannot be
 * used: an unreadable session costs at most a repeated ensemble-level task.
 * A version 1 file (keys `<scope>:<phase>[<index>]:<name>`) is carried over.
 */
export function readSessionFile(file: string): SessionFile | undefined {
  let data: unknown;
  try {
    data = readJsonFile<unknown>(file);
  } catch {
    return undefined;
  }
  if (!isRecord(data) || typeof data.id !== 'string' || typeof data.startedAt !== 'string' || !isRecord(data.tasks)) return undefined;
  if (data.finishedAt !== undefined && typeof data.finishedAt !== 'string') return undefined;
  if (data.version === 1) return fromVersion1(data as unknown as SessionFileV1);
  if (data.version !== 2 || !isRecord(data.batches)) return undefined;
  const tasks: Record<string, SessionTask> = {};
  for (const [key, task] of Object.entries(data.tasks)) {
    if (!isRecord(task) || typeof task.startedAt !== 'string') return undefined;
    tasks[key] = task as unknown as SessionTask;
  }
  return { version: 2, id: data.id, startedAt: data.startedAt, finishedAt: data.finishedAt as string | undefined, tasks, batches: data.batches as Record<string, string> };
}

function fromVersion1(old: SessionFileV1): SessionFile {
  const tasks: Record<string, SessionTask> = {};
  const batches: Record<string, string> = {};
  const carry = (oldKey: string, record: Partial<SessionTask>) => {
    const match = /^(.*):(pre_process|pre_batch|post_batch|post_process)\[(\d+)\]:/.exec(oldKey);
    if (!match) return;
    const [, scope, phase, index] = match as unknown as [string, string, string, string];
    const newScope: SessionScope = scope === 'ensemble' ? 'ensemble' : `batch:${scope}`;
    if (newScope !== 'ensemble') batches[scope] = old.startedAt;
    const key = sessionTaskKey(newScope, phase, Number(index));
    tasks[key] = { ...tasks[key], ...record } as SessionTask;
  };
  for (const [key, at] of Object.entries(old.started ?? {})) carry(key, { startedAt: at });
  for (const [key, at] of Object.entries(old.tasks)) carry(key, { startedAt: at, finishedAt: at });
  return { version: 2, id: old.id, startedAt: old.startedAt, finishedAt: old.finishedAt, tasks, batches };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

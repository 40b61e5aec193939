import crypto from 'node:crypto';
import path from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../state/atomic-write.js';

interface SessionFile {
  version: 1;
  id: string;
  startedAt: string;
  finishedAt?: string;
  /** Ensemble-level tasks (pre_process, pre_batch, post_batch, post_process) finished in this session. */
  tasks: Record<string, string>;
  /** Those started (recorded before their process starts); started and not finished: killed meanwhile. */
  started?: Record<string, string>;
}

/**
 * An apply session: the span from the first apply with work to the one that
 * finishes it. A session interrupted by a crash or --no-wait is resumed by
 * the next apply, which then does not repeat its finished ensemble-level
 * tasks; a finished session is followed by a new one, whose tasks run again.
 */
export class ApplySession {
  private constructor(private readonly file: string, private data: SessionFile) {}

  static open(ensembleStateDir: string): ApplySession {
    const file = path.join(ensembleStateDir, 'session.json');
    let data: SessionFile | undefined;
    try {
      data = readJsonFile<SessionFile>(file);
    } catch {
      data = undefined; // An unreadable session costs at most a repeated ensemble-level task.
    }
    if (!data || data.finishedAt || data.version !== 1 || typeof data.tasks !== 'object') {
      data = { version: 1, id: crypto.randomUUID(), startedAt: new Date().toISOString(), tasks: {} };
    }
    const session = new ApplySession(file, data);
    session.save();
    return session;
  }

  get resumed(): boolean {
    return Object.keys(this.data.tasks).length > 0;
  }

  isDone(key: string): boolean {
    return this.data.tasks[key] !== undefined;
  }

  isStarted(key: string): boolean {
    return this.data.started?.[key] !== undefined;
  }

  markStarted(key: string): void {
    this.data.started = { ...this.data.started, [key]: new Date().toISOString() };
    this.save();
  }

  markDone(key: string): void {
    this.data.tasks[key] = new Date().toISOString();
    this.save();
  }

  finish(): void {
    this.data.finishedAt = new Date().toISOString();
    this.save();
  }

  private save(): void {
    writeJsonAtomic(this.file, this.data);
  }
}

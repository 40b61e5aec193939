import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { writeJsonAtomic } from '../state/atomic-write.js';
import { readSessionFile, sessionTaskKey, type SessionFile, type SessionScope, type SessionTask } from '../state/session-file.js';
import { ledgerDecision, sameTask, type LedgerDecision } from '../state/task-ledger.js';
import type { TaskSpec } from '../config/types.js';
import { owedStatus } from '../plan/session-tasks.js';

/**
 * An apply session: the span from the first apply with work to the one that
 * finishes it. A session interrupted by a crash, a failed task or --no-wait
 * is resumed by the next apply, which does not repeat its succeeded
 * ensemble-level tasks and runs again the ones that failed or are owed
 * (plan/session-tasks.ts says which); a finished session is followed by a
 * new one, whose tasks run again.
 */
export class ApplySession {
  private constructor(private readonly file: string, private data: SessionFile) {}

  static open(file: string): ApplySession {
    // Taking the lock made the folder; a caller without one (an engine test) must not depend on that.
    fs.mkdirSync(path.dirname(file), { recursive: true });
    let data = readSessionFile(file);
    if (!data || data.finishedAt) data = ApplySession.fresh();
    const session = new ApplySession(file, data);
    session.save();
    return session;
  }

  private static fresh(): SessionFile {
    return { version: 2, id: crypto.randomUUID(), startedAt: new Date().toISOString(), tasks: {}, batches: {} };
  }

  decision(scope: SessionScope, phase: string, index: number, taskHash: string): LedgerDecision {
    const record = this.data.tasks[sessionTaskKey(scope, phase, index)];
    return ledgerDecision(record, sameTask(record, taskHash));
  }

  markStarted(scope: SessionScope, phase: string, index: number, taskHash: string): void {
    this.data.tasks[sessionTaskKey(scope, phase, index)] = { taskHash, startedAt: new Date().toISOString() };
    this.save();
  }

  markEnded(scope: SessionScope, phase: string, index: number, outcome: { failed: boolean; exitCode?: number }): void {
    const key = sessionTaskKey(scope, phase, index);
    const now = new Date().toISOString();
    const ended: Partial<SessionTask> = outcome.failed ? { failedAt: now, exitCode: outcome.exitCode } : { finishedAt: now };
    this.data.tasks[key] = { ...this.data.tasks[key]!, ...ended };
    this.save();
  }

  /**
   * A batch gets runs to work on. A batch whose post_batch already started in
   * this session has closed its round: new work in it opens a new round, so
   * its pre_batch runs again before the runs and its post_batch after them.
   */
  enterBatch(name: string): void {
    this.reopenIfClosed(`batch:${name}`, 'post_batch', 'pre_batch');
    this.data.batches[name] ??= new Date().toISOString();
    this.save();
  }

  /** The same for the ensemble: new runs after post_process started begin a new round, with pre_process. */
  enterEnsemble(): void {
    this.reopenIfClosed('ensemble', 'post_process', 'pre_process');
    this.save();
  }

  /** Whether the session still owes any of these tasks (plan/session-tasks.ts says why). */
  owesAny(scope: SessionScope, tasks: readonly TaskSpec[]): boolean {
    return tasks.some((task) => owedStatus(this.data, scope, task) !== undefined);
  }

  hasEntered(batch: string): boolean {
    return this.data.batches[batch] !== undefined;
  }

  finish(): void {
    this.data.finishedAt = new Date().toISOString();
    this.save();
  }

  private reopenIfClosed(scope: SessionScope, closingPhase: string, openingPhase: string): void {
    const prefix = (phase: string) => `${scope}:${phase}[`;
    const keys = Object.keys(this.data.tasks);
    if (!keys.some((k) => k.startsWith(prefix(closingPhase)))) return;
    for (const k of keys) if (k.startsWith(prefix(closingPhase)) || k.startsWith(prefix(openingPhase))) delete this.data.tasks[k];
  }

  private save(): void {
    writeJsonAtomic(this.file, this.data);
  }
}

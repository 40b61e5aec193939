import fs from 'node:fs';
import path from 'node:path';
import type { DesiredRun } from '../plan/types.js';
import { copyFileAtomic, symlinkAtomic, writeFileAtomic } from '../state/atomic-write.js';
import { writeRunState, type FileRecord, type RunState } from '../state/run-state.js';

/**
 * Writes a run directory from its desired files and records what was
 * written. Each file is replaced atomically; the state that names the new
 * input hash is written last, so a crash part-way leaves a run that the next
 * plan still shows as needing this render.
 */
export function writeRun(run: DesiredRun, previous: RunState | undefined): RunState {
  fs.mkdirSync(run.dir, { recursive: true });
  const files: Record<string, FileRecord> = {};
  for (const file of run.files) {
    const target = path.join(run.dir, file.path);
    switch (file.kind) {
      case 'dir':
        fs.mkdirSync(target, { recursive: true, mode: file.mode });
        files[file.path] = { kind: 'dir', hash: file.hash, mode: file.mode };
        continue;
      case 'rendered':
        fs.mkdirSync(path.dirname(target), { recursive: true });
        writeFileAtomic(target, file.content, file.mode, NOT_DURABLE);
        break;
      case 'copy':
        fs.mkdirSync(path.dirname(target), { recursive: true });
        copyFileAtomic(file.source, target, file.mode, NOT_DURABLE);
        break;
      case 'symlink':
        fs.mkdirSync(path.dirname(target), { recursive: true });
        symlinkAtomic(file.target, target);
        files[file.path] = { kind: 'symlink', hash: file.hash };
        continue;
    }
    const stat = fs.statSync(target);
    files[file.path] = { kind: file.kind, hash: file.hash, mode: file.mode, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
  }
  // Files an earlier render wrote that the templates no longer produce.
  for (const [rel, rec] of Object.entries(previous?.files ?? {})) {
    if (files[rel] || rec.kind === 'dir') continue;
    fs.rmSync(path.join(run.dir, rel), { force: true });
  }
  const state: RunState = {
    version: 1,
    id: run.id,
    batch: run.batch.name,
    inputHash: run.inputHash,
    vars: run.varsCanonical,
    files,
    jobFile: run.batch.jobFile,
    options: run.options,
    renderedAt: new Date().toISOString(),
    attempts: previous?.attempts ?? [],
    tasks: previous?.tasks ?? {},
    completed: previous?.completed,
  };
  // The render record need not survive a power cut: lost, the run is rendered
  // again. The intent to submit, written next, is durable (run-lifecycle.ts).
  writeRunState(run.dir, state, NOT_DURABLE);
  return state;
}

const NOT_DURABLE = { durable: false } as const;

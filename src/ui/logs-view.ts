import fs from 'node:fs';
import type { RunLogs } from '../logs/run-logs.js';
import { jsonLine } from './json.js';

/** `logs --json`: the run, its attempt and where each of its logs is (docs/json-output.md). */
export function logsJson(logs: RunLogs): string {
  const a = logs.attempt;
  return jsonLine('logs', {
    run: `${logs.entry.batch}/${logs.entry.id}`,
    attempt: a ? { attempt: a.attempt, jobId: a.jobId ?? null, state: a.state, backend: a.backend } : null,
    files: logs.files.map((f) => {
      const stat = fs.statSync(f.path, { throwIfNoEntry: false });
      return { kind: f.kind, path: f.path, exists: stat !== undefined, bytes: stat?.size ?? null };
    }),
  });
}

import fs from 'node:fs';
import type { RunLogs } from '../../logs/run-logs.js';
import type { LogTail } from '../../logs/tail.js';
import type { AttemptRecord } from '../../state/run-state.js';
import { displayPath } from '../../util/paths.js';
import { jsonLine } from '../json.js';
import type { Output } from '../output.js';

/** What `mensemble logs` shows: a run's output (text), or where its logs are (`--json`). */
export interface LogsView {
  /** The logs as they are now; with `follow`, the first of several calls. Returns whether any output was shown. */
  show(logs: RunLogs, tail: LogTail, follow: boolean): boolean;
  /** `--follow`: the job ended (or was never submitted). */
  ended(attempt: AttemptRecord | undefined): void;
}

export function logsView(output: Output): LogsView {
  return output.json ? logsJsonView(output) : logsTextView(output);
}

/** `logs --json`: the run, its attempt and where each of its logs is (docs/json-output.md). */
function logsJsonView(output: Output): LogsView {
  return {
    show(logs) {
      const a = logs.attempt;
      output.out(
        jsonLine('logs', {
          run: `${logs.entry.batch}/${logs.entry.id}`,
          attempt: a ? { attempt: a.attempt, jobId: a.jobId ?? null, state: a.state, backend: a.backend } : null,
          files: logs.files.map((f) => {
            const stat = fs.statSync(f.path, { throwIfNoEntry: false });
            return { kind: f.kind, path: f.path, exists: stat !== undefined, bytes: stat?.size ?? null };
          }),
        }),
      );
      return true;
    },
    ended() {},
  };
}

/** Each file's new output under a `==> file <==` header, as `tail` prints several files. */
function logsTextView(output: Output): LogsView {
  let current: string | undefined;
  let first = true;
  const printed = new Set<string>();
  const printAll = (logs: RunLogs, tail: LogTail) => {
    let shown = false;
    for (const { path: file } of logs.files) {
      const bytes = tail.next(file);
      if (bytes === undefined) continue;
      if (bytes.length === 0) {
        shown ||= printed.has(file);
        continue;
      }
      if (current !== file) output.out(`${current === undefined ? '' : '\n'}==> ${displayPath(file)} <==\n`);
      current = file;
      output.out(bytes);
      printed.add(file);
      shown = true;
    }
    return shown;
  };
  return {
    show(logs, tail, follow) {
      const run = `${logs.entry.batch}/${logs.entry.id}`;
      if (first && !logs.attempt) output.err(`mensemble: ${run} has not been submitted yet; no job output.\n`);
      const wasFirst = first;
      first = false;
      const shown = printAll(logs, tail);
      if (follow || !wasFirst) return shown;
      // An empty output file is worth saying so: the job ran and printed nothing.
      for (const f of logs.files) if (!printed.has(f.path) && fs.existsSync(f.path)) output.out(`==> ${displayPath(f.path)} <== (empty)\n`);
      if (!shown && logs.attempt) {
        const where = logs.files.filter((f) => f.kind === 'job').map((f) => displayPath(f.path));
        output.err(`mensemble: no output yet for ${run} (job ${logs.attempt.jobId ?? '?'}, ${logs.attempt.state})${where.length ? `; expected in ${where.join(', ')}` : ''}.\n`);
      }
      return shown;
    },
    ended(attempt) {
      output.err(`\nmensemble: job ${attempt?.jobId ?? '?'} ${attempt?.state ?? 'not submitted'}.\n`);
    },
  };
}

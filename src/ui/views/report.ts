import { displayPath } from '../../util/paths.js';
import { jsonLine } from '../json.js';
import type { Output } from '../output.js';

export interface ReportWritten {
  file: string;
  /** Runs in the report, and how many of them have had a job. */
  runs: number;
  submitted: number;
}

/** What `mensemble report` shows: where the report went and what it covers. */
export interface ReportView {
  written(report: ReportWritten): void;
}

export function reportView(output: Output): ReportView {
  if (output.json) return { written: (r) => output.out(jsonLine('report', { file: r.file, summary: { runs: r.runs, submitted: r.submitted } })) };
  return { written: (r) => output.out(`Wrote ${displayPath(r.file)}: ${r.runs} runs, ${r.submitted} with jobs.\n`) };
}

import fs from 'node:fs';
import path from 'node:path';
import { computePlan } from '../../../plan/compute.js';
import { renderReport } from '../../../report/html.js';
import { reportData } from '../../../report/model.js';
import { runLogs } from '../../../logs/run-logs.js';
import type { PlanEntry } from '../../../plan/types.js';
import { writeFileAtomic } from '../../../state/atomic-write.js';
import { displayPath } from '../../../util/paths.js';
import { readTextPart } from '../../../util/read-text.js';
import { reportView } from '../../../ui/views/report.js';
import { openEnsemble } from '../../open-ensemble.js';
import type { CommonFlags } from '../../options.js';

const LOG_LINES = 10;

/** The last lines of a failed run's output: its failed task's log, else its job's (logs/run-logs.ts knows where they are). */
function lastLogLines(entry: PlanEntry, ensemble: ReturnType<typeof openEnsemble>): { file: string; lines: string[] } | undefined {
  let files: Array<{ path: string; kind: 'job' | 'task' }>;
  try {
    files = runLogs(entry, ensemble.backends, ensemble.spec.dir).files;
  } catch {
    return undefined;
  }
  const taskFailed = entry.reasons.some((r) => r.kind === 'task-failed');
  const ordered = [...files.filter((f) => (f.kind === 'task') === taskFailed), ...files.filter((f) => (f.kind === 'task') !== taskFailed)];
  for (const f of ordered) {
    const text = readTextPart(f.path, 16_384, 'tail');
    if (text === undefined) continue;
    return { file: displayPath(f.path), lines: text.replace(/\n$/, '').split('\n').slice(-LOG_LINES) };
  }
  return undefined;
}

/** `mensemble report`: one self-contained HTML file about how the ensemble went. */
export async function reportCommand(config: string | undefined, flags: CommonFlags & { output?: string }): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
  const data = reportData(plan, displayPath(ensemble.spec.configFile), new Date(), (entry) => lastLogLines(entry, ensemble));
  const file = path.resolve(flags.output ?? 'mensemble-report.html');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, renderReport(data));
  reportView(ensemble.output).written({ file, runs: data.runs.length, submitted: data.runs.filter((r) => r.attempts.length > 0).length });
  return 0;
}

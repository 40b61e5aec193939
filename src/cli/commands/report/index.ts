import fs from 'node:fs';
import path from 'node:path';
import { computePlan } from '../../../plan/compute.js';
import { renderReport } from '../../../report/html.js';
import { reportData } from '../../../report/model.js';
import { writeFileAtomic } from '../../../state/atomic-write.js';
import { displayPath } from '../../../util/paths.js';
import { jsonLine } from '../../../ui/json.js';
import { commandContext, type CommonFlags } from '../../options.js';

/** `mensemble report`: one self-contained HTML file about how the ensemble went. */
export async function reportCommand(config: string | undefined, flags: CommonFlags & { output?: string }): Promise<number> {
  const ctx = commandContext(config, flags);
  const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: ctx.targets });
  const data = reportData(plan, displayPath(ctx.spec.configFile));
  const out = path.resolve(flags.output ?? 'mensemble-report.html');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  writeFileAtomic(out, renderReport(data));
  const submitted = data.runs.filter((r) => r.attempts.length > 0).length;
  if (flags.json) process.stdout.write(jsonLine('report', { file: out, runs: data.runs.length, submitted }));
  else process.stdout.write(`Wrote ${displayPath(out)}: ${data.runs.length} runs, ${submitted} with jobs.\n`);
  return 0;
}

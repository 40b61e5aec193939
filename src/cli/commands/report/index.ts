import fs from 'node:fs';
import path from 'node:path';
import { computePlan } from '../../../plan/compute.js';
import { renderReport } from '../../../report/html.js';
import { reportData } from '../../../report/model.js';
import { writeFileAtomic } from '../../../state/atomic-write.js';
import { displayPath } from '../../../util/paths.js';
import { reportView } from '../../../ui/views/report.js';
import { openEnsemble } from '../../open-ensemble.js';
import type { CommonFlags } from '../../options.js';

/** `mensemble report`: one self-contained HTML file about how the ensemble went. */
export async function reportCommand(config: string | undefined, flags: CommonFlags & { output?: string }): Promise<number> {
  const ensemble = openEnsemble(config, flags);
  const { plan } = await computePlan(ensemble.spec, ensemble.backends, { targets: ensemble.targets });
  const data = reportData(plan, displayPath(ensemble.spec.configFile));
  const file = path.resolve(flags.output ?? 'mensemble-report.html');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileAtomic(file, renderReport(data));
  reportView(ensemble.output).written({ file, runs: data.runs.length, submitted: data.runs.filter((r) => r.attempts.length > 0).length });
  return 0;
}

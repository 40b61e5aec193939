import { desiredState } from '../../../plan/compute.js';
import { displayPath } from '../../../util/paths.js';
import { jsonLine } from '../../../ui/json.js';
import { commandContext, type CommonFlags } from '../../options.js';

/** `mensemble validate`: the configuration, its templates and run ids, checked without touching any run. */
export async function validateCommand(config: string | undefined, flags: CommonFlags): Promise<number> {
  const ctx = commandContext(config, flags);
  const desired = await desiredState(ctx.spec, ctx.targets, { renderAll: true });
  const batches = ctx.spec.batches.length;
  if (flags.json) {
    process.stdout.write(jsonLine('validate', { valid: true, file: ctx.spec.configFile, batches, runs: desired.runs.length }));
  } else {
    process.stdout.write(`${displayPath(ctx.spec.configFile)} is valid: ${batches} batch${batches === 1 ? '' : 'es'}, ${desired.runs.length} run${desired.runs.length === 1 ? '' : 's'}; every template renders.\n`);
  }
  return 0;
}

/**
 * Which folder a configuration's relative paths start from.
 *
 * model-ensembler resolves a relative `basedir` against the folder it was
 * started from, and runs `pre_process`/`post_process` there; its own sanity
 * check only works run from its repository root. mensemble's own rule is the
 * configuration's folder, so that an ensemble is the same wherever it is
 * planned from. A configuration written only in model-ensembler's vocabulary
 * gets model-ensembler's rule, so its run directories land where
 * model-ensembler puts them; one that uses any key only mensemble knows gets
 * mensemble's. `.mensemblerc` `paths_from` overrides the choice, and `plan`
 * names every batch's base folder either way.
 */
export type PathsFrom = 'configuration' | 'working-directory';
export type PathsFromSetting = PathsFrom | 'auto';

/** Batch keys model-ensembler does not have. */
const MENSEMBLE_BATCH_KEYS = ['array', 'matrix', 'retry', 'run_id', 'slurm', 'vars'];
/** Task arguments model-ensembler does not have. */
const MENSEMBLE_TASK_ARGS = ['interval', 'timeout'];

type Obj = Record<string, unknown>;

/** The first key only mensemble knows, with where it is written; undefined for a model-ensembler configuration. */
export function mensembleOnlyKey(ensemble: Obj): string | undefined {
  const batches = [...(Array.isArray(ensemble.batches) ? (ensemble.batches as Obj[]) : []), ...(ensemble.batch_config ? [ensemble.batch_config as Obj] : [])];
  for (const batch of batches) {
    if (!batch || typeof batch !== 'object') continue;
    const key = MENSEMBLE_BATCH_KEYS.find((k) => k in batch);
    if (key) return key;
    for (const phase of ['pre_batch', 'pre_run', 'post_run', 'post_batch']) {
      const found = taskArg(batch[phase]);
      if (found) return found;
    }
  }
  return taskArg(ensemble.pre_process) ?? taskArg(ensemble.post_process);
}

function taskArg(list: unknown): string | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const task of list as Obj[]) {
    const args = task?.args;
    if (args && typeof args === 'object') {
      const key = MENSEMBLE_TASK_ARGS.find((k) => k in (args as Obj));
      if (key) return `${String(task.name)}.args.${key}`;
    }
  }
  return undefined;
}

export function decidePathsFrom(ensemble: Obj, setting: PathsFromSetting = 'auto'): PathsFrom {
  if (setting !== 'auto') return setting;
  return mensembleOnlyKey(ensemble) === undefined ? 'working-directory' : 'configuration';
}

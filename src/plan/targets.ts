import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';

/** `--target batch` or `--target batch/run-id`. */
export interface Target {
  batch: string;
  runId?: string;
}

export function parseTargets(values: readonly string[]): Target[] {
  return values.map((value) => {
    const slash = value.indexOf('/');
    if (!value || slash === 0 || slash === value.length - 1) {
      throw new UserError(`--target \`${value}\`: expected \`<batch>\` or \`<batch>/<run id>\`.`);
    }
    return slash < 0 ? { batch: value } : { batch: value.slice(0, slash), runId: value.slice(slash + 1) };
  });
}

/** Checks every target names a batch (and run) of the ensemble; returns a predicate for runs. */
export function targetFilter(targets: readonly Target[], runIdsByBatch: Map<string, Set<string>>): (batch: string, runId: string) => boolean {
  for (const t of targets) {
    const ids = runIdsByBatch.get(t.batch);
    if (!ids) {
      // A run id written without its batch: name the run it is.
      const batchOf = t.runId === undefined ? [...runIdsByBatch].find(([, runs]) => runs.has(t.batch))?.[0] : undefined;
      const hint = batchOf ? ` \`${t.batch}\` is a run of batch \`${batchOf}\`: did you mean \`--target ${batchOf}/${t.batch}\`?` : didYouMean(t.batch, runIdsByBatch.keys());
      throw new UserError(`--target ${t.batch}${t.runId ? `/${t.runId}` : ''}: there is no batch \`${t.batch}\`.${hint} Batches: ${[...runIdsByBatch.keys()].join(', ')}.`);
    }
    if (t.runId !== undefined && !ids.has(t.runId)) {
      throw new UserError(`--target ${t.batch}/${t.runId}: batch \`${t.batch}\` has no run \`${t.runId}\`.${didYouMean(t.runId, ids)}`);
    }
  }
  if (targets.length === 0) return () => true;
  return (batch, runId) => targets.some((t) => t.batch === batch && (t.runId === undefined || t.runId === runId));
}

/**
 * `--replace <batch>/<run>` values as a set of `batch/run`, each checked to
 * be a run of the plan (`runs`: the targeted runs' `batch/run`).
 */
export function replaceSet(values: readonly string[], runs: ReadonlySet<string>): Set<string> {
  for (const value of values) {
    if (runs.has(value)) continue;
    const slash = value.indexOf('/');
    if (slash <= 0 || slash === value.length - 1) throw new UserError(`--replace \`${value}\`: expected \`<batch>/<run id>\` (\`mensemble status\` lists them).`);
    throw new UserError(`--replace ${value}: there is no such run${runs.size > 0 ? ' among the runs planned' : ''}.${didYouMean(value, runs)}`);
  }
  return new Set(values);
}

export function batchTargeted(targets: readonly Target[], batch: string): boolean {
  return targets.length === 0 || targets.some((t) => t.batch === batch);
}

/** Removal is only considered for whole batches: a run-level target never prunes. */
export function batchFullyTargeted(targets: readonly Target[], batch: string): boolean {
  return targets.length === 0 || targets.some((t) => t.batch === batch && t.runId === undefined);
}

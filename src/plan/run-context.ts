/**
 * What a run's templates see, by the configuration's dialect
 * (config/paths-from.ts).
 *
 * `mensemble`: every run variable by its name, and `run` holding them all.
 *
 * `model-ensembler`: `run` alone, the namedtuple batcher.py builds. It makes
 * it from one dict that the whole ensemble shares and only ever adds to: the
 * ensemble's vars, then for each batch its BatchSpec fields (`repeat`
 * included), then for each run its own keys, `idx`, `id`, `dir`,
 * `batch_idx` and the `-x` variables. So a field keeps the place where it
 * was first added, and a key that an earlier run (of any batch) had and
 * this one has not is still there with the earlier value. Templates that
 * read `run._fields`, `run | length`, `run[3]` or test `run.x is defined`
 * see that, and so they do here: the dict is replayed over every run of the
 * ensemble in model-ensembler's order, whatever is targeted.
 *
 * A run's input hash still covers its own variables and its rendered files
 * (plan/desired.ts): what the context adds reaches the hash through the files.
 */
import type { BatchSpec, EnsembleSpec, RunInput } from '../config/types.js';

/** A model-ensembler run's fields: their order (shared by the runs that have it) and the values that are not the run's own variables. */
export interface RunFields {
  readonly order: readonly string[];
  /** Fields whose value is not the run's variable of that name (`repeat` unset, keys left by earlier runs); undefined when none. */
  readonly carried: Readonly<Record<string, unknown>> | undefined;
}

/** Replays model-ensembler's shared dict, one run after another in its order (batches in order, runs in order). */
export class ModelEnsemblerFields {
  private readonly shared = new Map<string, unknown>();
  private order: string[] = [];
  private carried: Record<string, unknown> | undefined;

  constructor(private readonly spec: EnsembleSpec) {
    for (const [k, v] of Object.entries(spec.globalVars)) this.shared.set(k, v);
  }

  startBatch(batch: BatchSpec): void {
    for (const [k, v] of Object.entries(batch.runTupleBase)) this.shared.set(k, v);
  }

  /** The fields of the next run; `vars` are its own variables (plan/desired.ts). */
  next(input: RunInput, vars: Readonly<Record<string, unknown>>): RunFields {
    const shared = this.shared;
    for (const [k, v] of Object.entries(input.vars)) shared.set(k, v);
    for (const k of ['idx', 'id', 'dir', 'batch_idx']) shared.set(k, vars[k]);
    for (const [k, v] of Object.entries(this.spec.extraVars)) shared.set(k, v);
    // Keys are only ever added: a new size is a new order.
    if (shared.size !== this.order.length) this.order = [...shared.keys()];
    let carried: Record<string, unknown> | undefined;
    for (const [k, v] of shared) {
      if (Object.hasOwn(vars, k) && vars[k] === v) continue;
      (carried ??= {})[k] = v;
    }
    // Runs of a batch usually carry the same values (`repeat: false`): one object for them all.
    if (carried && this.carried && sameEntries(carried, this.carried)) carried = this.carried;
    this.carried = carried;
    return { order: this.order, carried };
  }
}

function sameEntries(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

/** The context a run's templates are rendered with. */
export function templateContext(vars: Readonly<Record<string, unknown>>, fields: RunFields | undefined): Record<string, unknown> {
  if (!fields) return { ...vars, run: vars };
  const run: Record<string, unknown> = {};
  for (const k of fields.order) run[k] = fields.carried && Object.hasOwn(fields.carried, k) ? fields.carried[k] : vars[k];
  return { run };
}

const orderKeys = new WeakMap<readonly string[], string>();

/** What besides the run's variables decides its rendering, for the render memo's key. */
export function contextKey(fields: RunFields | undefined, canonical: (value: unknown) => string): string {
  if (!fields) return 'mensemble';
  let order = orderKeys.get(fields.order);
  if (order === undefined) orderKeys.set(fields.order, (order = JSON.stringify(fields.order)));
  return `model-ensembler\0${order}\0${fields.carried ? canonical(fields.carried) : ''}`;
}

/**
 * model-ensembler's argument substitution: a string argument of the form
 * `run.<key>` is replaced by that field of the run (so it may become a
 * number or a list); everything else is left as written.
 */
export function substituteArgs(args: Record<string, unknown>, runVars: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!runVars) return { ...args };
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) out[key] = substitute(value, runVars);
  return out;
}

const RUN_REFERENCE = /^run\.([A-Za-z_][A-Za-z0-9_]*)$/;

/** A `run.<key>` argument: its value is known only when the task runs for a run. */
export function isRunReference(value: unknown): boolean {
  return typeof value === 'string' && RUN_REFERENCE.test(value.trim());
}

function substitute(value: unknown, runVars: Record<string, unknown>): unknown {
  if (typeof value === 'string') {
    const m = RUN_REFERENCE.exec(value.trim());
    if (m && Object.hasOwn(runVars, m[1]!)) return runVars[m[1]!];
    return value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, runVars));
  return value;
}

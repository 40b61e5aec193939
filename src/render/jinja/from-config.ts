/**
 * Configuration values -> the Python values PyYAML would have given
 * model-ensembler: a YAML float stays a float, an int an int of any size, a
 * timestamp a date or datetime; the run's merged keys become the `run`
 * namedtuple.
 */
import { PY_TIMESTAMP, PyFloat, YamlTimestamp } from '../../config/python-values.js';
import { TemplateRuntimeError } from './errors.js';
import { RunTuple } from './objects.js';
import { PyDate, PyDateTime, PyDict, type Value } from './values.js';

export function toPython(v: unknown): Value {
  if (v === null || v === undefined) return null;
  if (v instanceof PyFloat) return v.value;
  if (v instanceof YamlTimestamp) return timestamp(v.source);
  switch (typeof v) {
    case 'boolean': return v;
    case 'bigint': return v;
    case 'string': return v;
    case 'number':
      // Integers arrive as JavaScript numbers (floats are PyFloat); a non-integer number is computed, so a float.
      return Number.isInteger(v) ? BigInt(v) : v;
  }
  if (Array.isArray(v)) return v.map(toPython);
  // A YAML mapping that is a template value: keys keep their types and written order.
  if (v instanceof Map) {
    const d = new PyDict();
    for (const [k, x] of v) d.set(toPython(k), toPython(x));
    return d;
  }
  if (typeof v === 'object') {
    const d = new PyDict();
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) d.set(k, toPython(x));
    return d;
  }
  throw new TemplateRuntimeError(`a configuration value of JavaScript type ${typeof v} has no Python equivalent`);
}

/** PyYAML's construct_yaml_timestamp. */
export function timestamp(source: string): PyDate | PyDateTime {
  if (!PY_TIMESTAMP.test(source)) throw new TemplateRuntimeError(`${source} is not a YAML timestamp`);
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]|[ \t]+)(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d*))?(?:[ \t]*(Z|([-+])(\d{1,2})(?::(\d{2}))?))?)?$/.exec(source)!;
  const [, y, mo, d, h, mi, s, fraction, tz, sign, tzh, tzm] = m;
  if (h === undefined) return new PyDate(Number(y), Number(mo), Number(d));
  const micro = fraction ? Number(fraction.slice(0, 6).padEnd(6, '0')) : 0;
  let offset: number | null = null;
  if (sign) offset = (sign === '-' ? -1 : 1) * (Number(tzh) * 60 + Number(tzm ?? 0));
  else if (tz) offset = 0;
  return new PyDateTime(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s), micro, offset);
}

/**
 * A template's variables: every merged key at top level (mensemble's own
 * templates write `{{ n }}`) and `run`, model-ensembler's namedtuple of them.
 */
export function templateVariables(context: object): Map<string, Value> {
  const vars = new Map<string, Value>();
  const entries = Object.entries(context as Record<string, unknown>);
  for (const [k, v] of entries) {
    if (k === 'run') continue;
    vars.set(k, toPython(v));
  }
  const run = (context as { run?: unknown }).run;
  if (run && typeof run === 'object') {
    const fields = new Map<string, Value>();
    for (const [k, v] of Object.entries(run as Record<string, unknown>)) fields.set(k, vars.has(k) && (context as Record<string, unknown>)[k] === v ? vars.get(k)! : toPython(v));
    vars.set('run', new RunTuple(fields) as unknown as Value);
  }
  return vars;
}

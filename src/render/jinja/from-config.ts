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
  return new ContextVariables(context as Record<string, unknown>);
}

/**
 * A context's variables, each converted to a Python value when first looked
 * up. A run_id template that reads two of a run's fifteen variables converts
 * two, not thirty (each key at top level and in `run`): at 100,000 runs that
 * was 0.25 s of every plan. Anything that walks them all (an include, which
 * gets the context) converts them all, in the context's order with `run`
 * last, as they were converted before.
 */
class ContextVariables extends Map<string, Value> {
  private complete = false;

  constructor(private readonly context: Record<string, unknown>) {
    super();
  }

  override get(name: string): Value | undefined {
    if (this.complete || super.has(name)) return super.get(name);
    if (!Object.hasOwn(this.context, name)) return undefined;
    const value = name === 'run' ? this.runTuple() : toPython(this.context[name]);
    if (value !== undefined) super.set(name, value);
    return value;
  }

  /** `run`: its fields share the top-level keys' values where they are the same value, as in model-ensembler. */
  private runTuple(): Value | undefined {
    const run = this.context.run;
    if (!run || typeof run !== 'object') return undefined;
    const fields = new Map<string, Value>();
    for (const [k, v] of Object.entries(run as Record<string, unknown>)) {
      fields.set(k, k !== 'run' && Object.hasOwn(this.context, k) && this.context[k] === v ? this.get(k)! : toPython(v));
    }
    return new RunTuple(fields) as unknown as Value;
  }

  /** Converts every variable, in the order the eager conversion had. */
  private fill(): void {
    if (this.complete) return;
    const all: [string, Value][] = [];
    for (const key of Object.keys(this.context)) if (key !== 'run') all.push([key, this.get(key)!]);
    const run = this.get('run');
    if (run !== undefined) all.push(['run', run]);
    super.clear();
    for (const [k, v] of all) super.set(k, v);
    this.complete = true;
  }

  override get size(): number {
    this.fill();
    return super.size;
  }

  override has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  override entries(): MapIterator<[string, Value]> {
    this.fill();
    return super.entries();
  }

  override keys(): MapIterator<string> {
    this.fill();
    return super.keys();
  }

  override values(): MapIterator<Value> {
    this.fill();
    return super.values();
  }

  override forEach(callback: (value: Value, key: string, map: Map<string, Value>) => void, thisArg?: unknown): void {
    this.fill();
    super.forEach(callback, thisArg);
  }

  override [Symbol.iterator](): MapIterator<[string, Value]> {
    return this.entries();
  }
}

/**
 * model-ensembler loads YAML with PyYAML (YAML 1.1) and renders with Jinja2,
 * which prints Python values. To render its templates byte for byte we keep
 * the distinctions Python keeps and JavaScript loses: a float stays a float
 * (`1.0` prints `1.0`, `1.0e-5` prints `1e-05`), booleans print `True`, null
 * prints `None`, and PyYAML's resolver decides what is a number at all
 * (`1e-5` and `1.0e5` are strings to PyYAML).
 */

/** A YAML float. Arithmetic and comparisons see the number (valueOf); printing sees Python's repr. */
export class PyFloat {
  /** Computed once: one YAML float is printed for every run of a batch. */
  private repr: string | undefined;
  constructor(readonly value: number) {}
  valueOf(): number {
    return this.value;
  }
  toString(): string {
    return (this.repr ??= pyFloatRepr(this.value));
  }
}

/**
 * A YAML 1.1 timestamp, which PyYAML reads as a Python date or datetime
 * (`start_date: 1990-01-01`). Kept as written: the template engine builds the
 * date from it, and hashes and JSON see the text.
 */
export class YamlTimestamp {
  constructor(readonly source: string) {}
  toJSON(): string {
    return this.source;
  }
  toString(): string {
    return this.source;
  }
}

/** PyYAML's timestamp resolver (yaml/resolver.py). */
export const PY_TIMESTAMP =
  /^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$/;

/** Reprs of recent floats: an ensemble prints the same few floats in every run. */
const reprMemo = new Map<number, string>();

/** Python's `repr(float)`: shortest round-trip digits, `.0` on integral values, exponent outside [1e-4, 1e16). */
export function pyFloatRepr(x: number): string {
  const known = reprMemo.get(x);
  // -0 and 0 share a Map key; only 0 is memoised.
  if (known !== undefined && !Object.is(x, -0)) return known;
  const repr = floatRepr(x);
  if (reprMemo.size >= 4096) reprMemo.clear();
  if (!Object.is(x, -0)) reprMemo.set(x, repr);
  return repr;
}

function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp >= -4 && exp < 16) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    const frac = digits.slice(exp + 1) || '0';
    return `${sign}${intPart}.${frac}`;
  }
  const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
  const expAbs = String(Math.abs(exp)).padStart(2, '0');
  return `${sign}${mant}e${exp < 0 ? '-' : '+'}${expAbs}`;
}

/** Python's `str()` of a value as Jinja2 prints it: True/False/None, repr of lists and dicts. */
export function pyStr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (typeof value === 'string') return value;
  return pyRepr(value);
}

export function pyRepr(value: unknown): string {
  if (value === null || value === undefined) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return pyStringRepr(value);
  if (value instanceof PyFloat) return value.toString();
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0 && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
      return String(value);
    }
    return `{${entries.map(([k, v]) => `${pyStringRepr(k)}: ${pyRepr(v)}`).join(', ')}}`;
  }
  return String(value);
}

function pyStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  const body = s
    .replace(/\\/g, '\\\\')
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t')
    .replace(new RegExp(quote, 'g'), `\\${quote}`);
  return `${quote}${body}${quote}`;
}

// PyYAML's implicit resolvers (yaml/resolver.py), which the YAML 1.1 schema of
// the `yaml` package follows only loosely.
const PY_INT = /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const PY_FLOAT =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const PY_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;

/**
 * How PyYAML would read a plain scalar that the `yaml` package resolved to a
 * number or boolean: the same number, a float, or a string after all.
 */
export function pythonScalar(value: unknown, source: string): unknown {
  if (PY_TIMESTAMP.test(source)) return new YamlTimestamp(source);
  if (value instanceof Date) return source;
  if (typeof value === 'number') {
    if (PY_FLOAT.test(source)) return new PyFloat(value);
    if (PY_INT.test(source)) return Number.isSafeInteger(value) ? value : pyYamlInt(source);
    return source;
  }
  if (typeof value === 'boolean') return PY_BOOL.test(source) ? value : source;
  return value;
}

/**
 * An integer beyond 2**53 exactly as PyYAML reads it (decimal, 0b, 0x, 0-octal
 * and base-60 forms, underscores allowed): a bigint, so no digit is lost.
 */
function pyYamlInt(source: string): bigint {
  let t = source.replace(/_/g, '');
  let sign = 1n;
  if (t[0] === '-' || t[0] === '+') {
    if (t[0] === '-') sign = -1n;
    t = t.slice(1);
  }
  if (t.includes(':')) return sign * t.split(':').reduce((acc, part) => acc * 60n + BigInt(part), 0n);
  if (/^0b/i.test(t)) return sign * BigInt(t);
  if (/^0x/i.test(t)) return sign * BigInt(t);
  if (/^0[0-7]+$/.test(t)) return sign * BigInt(`0o${t.slice(1)}`);
  return sign * BigInt(t);
}

/** Replaces PyFloat by plain numbers (and timestamps by their text), for schema validation and JSON output. */
export function toPlain(value: unknown): unknown {
  if (value instanceof PyFloat) return value.value;
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) out[String(k)] = toPlain(v);
    return out;
  }
  if (value instanceof YamlTimestamp) return value.source;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = toPlain(v);
    return out;
  }
  return value;
}

/**
 * Canonical JSON: sorted keys, no spaces, floats written as Python writes
 * them (so `1` and `1.0` hash differently, as they render differently).
 */
export function canonicalJson(value: unknown): string {
  if (value instanceof PyFloat) {
    return Number.isFinite(value.value) ? value.toString() : JSON.stringify(value.toString());
  }
  if (value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof YamlTimestamp) return JSON.stringify({ timestamp: value.source });
  if (value instanceof Map) {
    // A mapping with string keys hashes as it did when mappings were read as objects (key order is in the rendered files' hashes);
    // other keys (1, 1.0, true, null) hash with their type and written order.
    if ([...value.keys()].every((k) => typeof k === 'string')) return canonicalJson(Object.fromEntries(value));
    return `{"\u0000map":[${[...value].map(([k, v]) => `[${canonicalJson(k)},${canonicalJson(v)}]`).join(',')}]}`;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return JSON.stringify(String(value));
  return JSON.stringify(value) ?? 'null';
}

/**
 * What PyYAML makes of a scalar with the non-specific tag `!` (`! 42`,
 * `! "42"`): the value the text would have written plain (42, not '42').
 * Undefined for text that is a string written plain.
 */
export function nonSpecificScalar(text: string): unknown {
  if (PY_TIMESTAMP.test(text)) return new YamlTimestamp(text);
  if (PY_FLOAT.test(text)) {
    const t = text.replace(/_/g, '');
    if (/inf$/i.test(t)) return new PyFloat(t.startsWith('-') ? -Infinity : Infinity);
    if (/nan$/i.test(t)) return new PyFloat(NaN);
    if (t.includes(':')) {
      // Base 60, as PyYAML's construct_yaml_float: digits times 60 each, the last part a float.
      const sign = t.startsWith('-') ? -1 : 1;
      const parts = t.replace(/^[-+]/, '').split(':').map(Number);
      let value = 0;
      for (const part of parts) value = value * 60 + part;
      return new PyFloat(sign * value);
    }
    return new PyFloat(Number(t));
  }
  if (PY_INT.test(text)) {
    const i = pyYamlInt(text);
    return Number.isSafeInteger(Number(i)) ? Number(i) : i;
  }
  if (PY_BOOL.test(text)) return /^(?:yes|true|on)$/i.test(text);
  if (/^(?:~|null|Null|NULL|)$/.test(text)) return null;
  return undefined;
}

import { PyFloat, YamlTimestamp } from './python-values.js';

/**
 * A configuration's value (config/source.ts's toConfigValue: objects, Maps
 * with any keys, PyFloats, YAML timestamps, bigints) as JSON and back,
 * exactly: the same keys in the same order, floats apart from integers,
 * -0.0, inf and nan kept. What config/load.ts keeps of a validated file
 * between commands (state/config-cache.ts).
 */

/** A value this encoding cannot write back exactly (a YAML set, binary, -0 as an integer). */
export class NotEncodable extends Error {}

/**
 * Encoding: strings, booleans, null and finite numbers as themselves; every
 * other value as an array whose first item names its kind:
 * ['a', ...items], ['o', key, value, ...] (an object), ['m', key, value, ...]
 * (a Map, keys encoded), ['f', number or 'nan' | 'inf' | '-inf' | '-0'] (a
 * PyFloat), ['t', text] (a YAML timestamp), ['i', digits] (a bigint).
 */
export function encode(value: unknown): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) throw new NotEncodable();
    return value;
  }
  if (typeof value === 'bigint') return ['i', value.toString()];
  if (value instanceof PyFloat) return ['f', floatText(value.value)];
  if (value instanceof YamlTimestamp) return ['t', value.source];
  if (Array.isArray(value)) return ['a', ...value.map(encode)];
  if (value instanceof Map) {
    const out: unknown[] = ['m'];
    for (const [k, v] of value) out.push(encode(k), encode(v));
    return out;
  }
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: unknown[] = ['o'];
    for (const [k, v] of Object.entries(value)) out.push(k, encode(v));
    return out;
  }
  throw new NotEncodable();
}

export function decode(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const [kind, ...rest] = value as [string, ...unknown[]];
  switch (kind) {
    case 'a':
      return rest.map(decode);
    case 'o': {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < rest.length; i += 2) {
        // defineProperty: a key named __proto__ is a key, as the YAML reader made it, not the object's prototype.
        Object.defineProperty(out, rest[i] as string, { value: decode(rest[i + 1]), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    case 'm': {
      const out = new Map<unknown, unknown>();
      for (let i = 0; i < rest.length; i += 2) out.set(decode(rest[i]), decode(rest[i + 1]));
      return out;
    }
    case 'f':
      return new PyFloat(floatValue(rest[0]));
    case 't':
      return new YamlTimestamp(String(rest[0]));
    case 'i':
      return BigInt(String(rest[0]));
    default:
      throw new Error(`unknown kind ${String(kind)} in the configuration cache`);
  }
}

function floatText(x: number): number | string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Object.is(x, -0)) return '-0';
  return x;
}

function floatValue(v: unknown): number {
  if (typeof v === 'number') return v;
  switch (v) {
    case 'nan': return NaN;
    case 'inf': return Infinity;
    case '-inf': return -Infinity;
    case '-0': return -0;
    default: throw new Error(`bad float ${String(v)} in the configuration cache`);
  }
}

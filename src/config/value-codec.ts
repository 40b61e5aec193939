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
  // Read by index, not spread into a kind and a rest: a 100,000-run list's cache is 200,000 arrays, each copied once more.
  const items = value as unknown[];
  const kind = items[0] as string;
  switch (kind) {
    case 'a': {
      const out = new Array<unknown>(items.length - 1);
      for (let i = 1; i < items.length; i++) out[i - 1] = decode(items[i]);
      return out;
    }
    case 'o': {
      const out: Record<string, unknown> = {};
      for (let i = 1; i < items.length; i += 2) {
        const key = items[i] as string;
        // A key named __proto__ is a key, as the YAML reader made it, not the object's prototype.
        if (key === '__proto__') Object.defineProperty(out, key, { value: decode(items[i + 1]), enumerable: true, writable: true, configurable: true });
        else out[key] = decode(items[i + 1]);
      }
      return out;
    }
    case 'm': {
      const out = new Map<unknown, unknown>();
      for (let i = 1; i < items.length; i += 2) out.set(decode(items[i]), decode(items[i + 1]));
      return out;
    }
    case 'f':
      return new PyFloat(floatValue(items[1]));
    case 't':
      return new YamlTimestamp(String(items[1]));
    case 'i':
      return BigInt(String(items[1]));
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

/**
 * Makes Nunjucks render Jinja2 templates as Jinja2 does: Python printing of
 * values, Python string/list/dict methods, and the Jinja2 filters Nunjucks
 * lacks. Nunjucks keeps its runtime in one module object that compiled
 * templates call into, so the printing rules are installed there once per
 * process.
 */
import nunjucks from 'nunjucks';
import { PyFloat, pyFloatRepr, pyRepr, pyStr } from '../../config/python-values.js';
import { percentFormat, strFormat } from './python-format.js';

type AnyFn = (...args: any[]) => any;
const runtime = (nunjucks as any).runtime as Record<string, AnyFn> & { SafeString: new (s: string) => unknown };

let installed = false;

export function installJinjaCompat(): void {
  if (installed) return;
  installed = true;
  // True/False/None literals, slices, and dict/list methods (items, get, keys, append, ...).
  nunjucks.installJinjaCompat();

  const SafeString = runtime.SafeString;
  runtime.suppressValue = (val: unknown, autoescape: boolean): unknown => {
    if (val instanceof SafeString) return val;
    const text = typeof val === 'string' ? val : printValue(val);
    return autoescape ? (nunjucks as any).lib.escape(text) : text;
  };

  // Jinja2 prints None for a defined null; only a missing value is an error.
  runtime.ensureDefined = (val: unknown, lineno: number, colno: number): unknown => {
    if (val === undefined) {
      throw new (nunjucks as any).lib.TemplateError('attempted to output an undefined value', lineno + 1, colno + 1);
    }
    return val;
  };

  const memberLookup = runtime.memberLookup!;
  runtime.memberLookup = function (this: unknown, obj: unknown, key: unknown, ...rest: unknown[]) {
    if (typeof obj === 'string' && typeof key === 'string' && Object.hasOwn(STRING_METHODS, key)) {
      return (STRING_METHODS[key] as AnyFn).bind(obj);
    }
    if (obj instanceof PyFloat && key === 'is_integer') return () => Number.isInteger(obj.value);
    return memberLookup.call(this, obj, key, ...rest);
  };
}

/** How `{{ value }}` prints a non-string value. */
export function printValue(val: unknown): string {
  if (val === null) return 'None';
  if (val === undefined) return '';
  if (typeof val === 'number') return Number.isInteger(val) ? String(val) : pyFloatRepr(val);
  if (typeof val === 'boolean' || Array.isArray(val) || val instanceof PyFloat) return pyRepr(val);
  if (typeof val === 'object' && (Object.getPrototypeOf(val) === Object.prototype || Object.getPrototypeOf(val) === null)) return pyRepr(val);
  return String(val);
}

/** Splits nunjucks' trailing keyword-argument object from positional arguments. */
function splitKwargs(args: unknown[]): [unknown[], Record<string, unknown>] {
  const last = args[args.length - 1];
  if (last && typeof last === 'object' && (last as Record<string, unknown>).__keywords) {
    const { __keywords, ...kwargs } = last as Record<string, unknown>;
    void __keywords;
    return [args.slice(0, -1), kwargs];
  }
  return [args, {}];
}

function pySplit(s: string, sep?: unknown, maxsplit: unknown = -1): string[] {
  const limit = Number(maxsplit);
  if (sep === undefined || sep === null) {
    const parts = s.trim().split(/\s+/).filter((p) => p !== '');
    if (limit < 0 || parts.length <= limit + 1) return parts;
    // Keep the remainder intact after maxsplit splits.
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    for (let i = 0; i < limit; i++) {
      const m = /\s+/.exec(rest);
      if (!m) break;
      out.push(rest.slice(0, m.index));
      rest = rest.slice(m.index + m[0].length);
    }
    out.push(rest);
    return out;
  }
  const parts = s.split(String(sep));
  if (limit < 0 || parts.length <= limit + 1) return parts;
  return [...parts.slice(0, limit), parts.slice(limit).join(String(sep))];
}

function stripChars(chars: unknown): RegExp | undefined {
  if (chars === undefined || chars === null) return undefined;
  return new RegExp(`[${String(chars).replace(/[\\\]^-]/g, '\\$&')}]`);
}

const STRING_METHODS: Record<string, (this: string, ...args: any[]) => unknown> = {
  upper() { return this.toUpperCase(); },
  lower() { return this.toLowerCase(); },
  title() { return this.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_m, p: string, c: string) => p + c.toUpperCase()); },
  capitalize() { return this.charAt(0).toUpperCase() + this.slice(1).toLowerCase(); },
  swapcase() { return [...this].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join(''); },
  strip(chars?: unknown) { const re = stripChars(chars); return re ? STRING_METHODS.rstrip!.call(STRING_METHODS.lstrip!.call(this, chars) as string, chars) : this.trim(); },
  lstrip(chars?: unknown) { const re = stripChars(chars); if (!re) return this.trimStart(); let i = 0; while (i < this.length && re.test(this[i]!)) i++; return this.slice(i); },
  rstrip(chars?: unknown) { const re = stripChars(chars); if (!re) return this.trimEnd(); let i = this.length; while (i > 0 && re.test(this[i - 1]!)) i--; return this.slice(0, i); },
  startswith(prefix: unknown) { return Array.isArray(prefix) ? prefix.some((p) => this.startsWith(String(p))) : this.startsWith(String(prefix)); },
  endswith(suffix: unknown) { return Array.isArray(suffix) ? suffix.some((p) => this.endsWith(String(p))) : this.endsWith(String(suffix)); },
  split(sep?: unknown, maxsplit?: unknown) { return pySplit(this, sep, maxsplit); },
  rsplit(sep?: unknown) { return pySplit(this, sep); },
  splitlines() { return this.split(/\r\n|\r|\n/).filter((_l, i, all) => i < all.length - 1 || all[i] !== ''); },
  replace(old: unknown, replacement: unknown, count?: unknown) {
    if (count === undefined || Number(count) < 0) return this.split(String(old)).join(String(replacement));
    const parts = this.split(String(old));
    const n = Number(count);
    return parts.slice(0, n + 1).join(String(replacement)) + (parts.length > n + 1 ? String(old) + parts.slice(n + 1).join(String(old)) : '');
  },
  find(sub: unknown) { return this.indexOf(String(sub)); },
  rfind(sub: unknown) { return this.lastIndexOf(String(sub)); },
  index(sub: unknown) { const i = this.indexOf(String(sub)); if (i < 0) throw new Error('substring not found'); return i; },
  count(sub: unknown) { return String(sub) === '' ? this.length + 1 : this.split(String(sub)).length - 1; },
  join(items: unknown) { return (Array.isArray(items) ? items : [...String(items)]).map(pyStr).join(this); },
  zfill(width: unknown) { const sign = /^[+-]/.test(this) ? this.charAt(0) : ''; return sign + this.slice(sign.length).padStart(Number(width) - sign.length, '0'); },
  ljust(width: unknown, fill = ' ') { return this.padEnd(Number(width), String(fill)); },
  rjust(width: unknown, fill = ' ') { return this.padStart(Number(width), String(fill)); },
  center(width: unknown, fill = ' ') { const missing = Number(width) - this.length; if (missing <= 0) return String(this); const left = Math.floor(missing / 2) + (missing % 2 && this.length % 2 ? 1 : 0); return String(fill).repeat(left) + this + String(fill).repeat(missing - left); },
  isdigit() { return /^\d+$/.test(this); },
  isalpha() { return /^[A-Za-z]+$/.test(this); },
  isalnum() { return /^[A-Za-z0-9]+$/.test(this); },
  isspace() { return /^\s+$/.test(this); },
  islower() { return /[a-z]/.test(this) && this === this.toLowerCase(); },
  isupper() { return /[A-Z]/.test(this) && this === this.toUpperCase(); },
  format(...raw: unknown[]) { const [args, kwargs] = splitKwargs(raw); return strFormat(this, args, kwargs); },
};

function toNumber(v: unknown): number {
  return v instanceof PyFloat ? v.value : Number(v);
}

function attrGetter(attribute: unknown): (v: unknown) => unknown {
  return (v) => String(attribute).split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), v);
}

/** Jinja2 filters that Nunjucks lacks or prints differently. */
export const JINJA_FILTERS: Record<string, AnyFn> = {
  format(value: unknown, ...raw: unknown[]) {
    const [args, kwargs] = splitKwargs(raw);
    return percentFormat(String(value), Object.keys(kwargs).length ? [kwargs] : args);
  },
  tojson(value: unknown, indent?: unknown) {
    const text = pyJsonDumps(value, indent === undefined || indent === null ? undefined : Number(indent), 0);
    // Jinja2 escapes HTML-sensitive characters in tojson output.
    return text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027');
  },
  min(value: unknown[], ...raw: unknown[]) {
    const [, kwargs] = splitKwargs(raw);
    const key = kwargs.attribute !== undefined ? attrGetter(kwargs.attribute) : (v: unknown) => v;
    return [...value].reduce((a, b) => (toNumber(key(b)) < toNumber(key(a)) || (typeof key(a) === 'string' && String(key(b)) < String(key(a))) ? b : a));
  },
  max(value: unknown[], ...raw: unknown[]) {
    const [, kwargs] = splitKwargs(raw);
    const key = kwargs.attribute !== undefined ? attrGetter(kwargs.attribute) : (v: unknown) => v;
    return [...value].reduce((a, b) => (toNumber(key(b)) > toNumber(key(a)) || (typeof key(a) === 'string' && String(key(b)) > String(key(a))) ? b : a));
  },
  map(this: { env: { getFilter(name: string): AnyFn } }, value: unknown[], ...raw: unknown[]) {
    const [args, kwargs] = splitKwargs(raw);
    if (kwargs.attribute !== undefined) {
      const get = attrGetter(kwargs.attribute);
      return [...(value ?? [])].map((v) => get(v) ?? kwargs.default);
    }
    const [name, ...filterArgs] = args;
    const filter = this.env.getFilter(String(name));
    return [...(value ?? [])].map((v) => filter.call(this, v, ...filterArgs));
  },
  unique(value: unknown[]) {
    const seen = new Set<string>();
    return [...value].filter((v) => { const k = pyRepr(v); if (seen.has(k)) return false; seen.add(k); return true; });
  },
  string(value: unknown) { return typeof value === 'string' ? value : printValue(value); },
  float(value: unknown, fallback: unknown = 0.0) {
    const n = value instanceof PyFloat ? value.value : typeof value === 'string' ? Number(value.trim()) : Number(value);
    return new PyFloat(Number.isNaN(n) ? toNumber(fallback) : n);
  },
  round(value: unknown, precision: unknown = 0, method: unknown = 'common') {
    const factor = 10 ** Number(precision);
    const v = toNumber(value) * factor;
    const r = method === 'ceil' ? Math.ceil(v) : method === 'floor' ? Math.floor(v) : Math.sign(v) * Math.round(Math.abs(v));
    return new PyFloat(r / factor);
  },
  abs(value: unknown) { return value instanceof PyFloat ? new PyFloat(Math.abs(value.value)) : Math.abs(Number(value)); },
  sum(value: unknown[], ...raw: unknown[]) {
    const [args, kwargs] = splitKwargs(raw);
    const get = kwargs.attribute !== undefined || args[0] !== undefined ? attrGetter(kwargs.attribute ?? args[0]) : (v: unknown) => v;
    const start = kwargs.start ?? args[1] ?? 0;
    const items = [...(value ?? [])].map(get);
    const total = items.reduce<number>((a, b) => a + toNumber(b), toNumber(start));
    return items.some((v) => v instanceof PyFloat) || start instanceof PyFloat ? new PyFloat(total) : total;
  },
  items(value: Record<string, unknown>) { return Object.entries(value ?? {}); },
  bool(value: unknown) { return Boolean(value instanceof PyFloat ? value.value : value); },
};

/** Python's `json.dumps(value, sort_keys=True, indent=indent)`, as Jinja2's tojson calls it. */
function pyJsonDumps(value: unknown, indent: number | undefined, depth: number): string {
  if (value instanceof PyFloat) return Number.isFinite(value.value) ? pyFloatRepr(value.value) : value.value > 0 ? 'Infinity' : Number.isNaN(value.value) ? 'NaN' : '-Infinity';
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value !== 'object') return JSON.stringify(value);
  const items: string[] = Array.isArray(value)
    ? value.map((v) => pyJsonDumps(v, indent, depth + 1))
    : Object.keys(value)
        .sort()
        .map((k) => `${JSON.stringify(k)}: ${pyJsonDumps((value as Record<string, unknown>)[k], indent, depth + 1)}`);
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (items.length === 0) return open + close;
  if (indent === undefined) return open + items.join(', ') + close;
  const pad = ' '.repeat(indent * (depth + 1));
  return `${open}\n${pad}${items.join(`,\n${pad}`)}\n${' '.repeat(indent * depth)}${close}`;
}

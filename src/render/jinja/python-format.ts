/**
 * Python's string formatting, the parts templates use: `"%s-%03d" % (a, b)`
 * (Jinja2's `format` filter) and `"{:03d}".format(x)` (str.format).
 */
import { PyFloat, pyFloatRepr, pyRepr, pyStr } from '../../config/python-values.js';

interface Spec {
  fill: string;
  align: string;
  sign: string;
  alternate: boolean;
  zero: boolean;
  width: number;
  grouping: string;
  precision: number | undefined;
  type: string;
}

const SPEC_RE = /^(?:(.)?([<>=^]))?([+\- ])?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/;

function num(value: unknown): number {
  if (value instanceof PyFloat) return value.value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  const n = Number(value);
  if (Number.isNaN(n) && !(typeof value === 'number')) throw new Error(`a number is required, not ${typeof value === 'string' ? 'str' : typeof value}`);
  return n;
}

function isFloatLike(value: unknown): boolean {
  return value instanceof PyFloat || (typeof value === 'number' && !Number.isInteger(value));
}

/** Formats one value with a format-spec mini-language string (`03d`, `.2f`, `>10s`, `e`). */
export function formatWithSpec(value: unknown, specText: string): string {
  const m = SPEC_RE.exec(specText);
  if (!m) throw new Error(`invalid format specifier '${specText}'`);
  const spec: Spec = {
    fill: m[1] ?? (m[5] && !m[2] ? '0' : ' '),
    align: m[2] ?? (m[5] ? '=' : ''),
    sign: m[3] ?? '-',
    alternate: Boolean(m[4]),
    zero: Boolean(m[5]),
    width: m[6] ? Number(m[6]) : 0,
    grouping: m[7] ?? '',
    precision: m[8] !== undefined ? Number(m[8]) : undefined,
    type: m[9] ?? '',
  };
  let body: string;
  let negative = false;
  const numeric = spec.type !== 's' && spec.type !== '' ? true : typeof value === 'number' || value instanceof PyFloat;
  if (!numeric) {
    body = pyStr(value);
    if (spec.precision !== undefined) body = body.slice(0, spec.precision);
    return pad(body, spec, spec.align || '<');
  }
  const n = num(value);
  negative = n < 0 || Object.is(n, -0);
  const a = Math.abs(n);
  const type = spec.type || (isFloatLike(value) ? '' : 'd');
  switch (type) {
    case 'd':
    case 'n':
      body = Math.trunc(a).toString();
      break;
    case 'f':
    case 'F':
      body = a.toFixed(spec.precision ?? 6);
      break;
    case 'e':
    case 'E':
      body = pyExponent(a, spec.precision ?? 6);
      break;
    case 'g':
    case 'G':
      body = pyGeneral(a, spec.precision ?? 6);
      break;
    case '%':
      body = `${(a * 100).toFixed(spec.precision ?? 6)}%`;
      break;
    case 'x':
      body = Math.trunc(a).toString(16);
      break;
    case 'X':
      body = Math.trunc(a).toString(16).toUpperCase();
      break;
    case 'o':
      body = Math.trunc(a).toString(8);
      break;
    case 'b':
      body = Math.trunc(a).toString(2);
      break;
    case 'c':
      body = String.fromCodePoint(a);
      break;
    default:
      // No type on a float: repr, or general format with the given precision.
      body = spec.precision !== undefined ? pyGeneral(a, spec.precision) : pyFloatRepr(a);
  }
  if (spec.alternate && (type === 'x' || type === 'X' || type === 'o' || type === 'b')) body = `0${type}${body}`;
  if (type === 'E' || type === 'G' || type === 'F') body = body.toUpperCase();
  if (spec.grouping) {
    const [int, frac] = body.split('.') as [string, string | undefined];
    body = int.replace(/\B(?=(\d{3})+(?!\d))/g, spec.grouping) + (frac !== undefined ? `.${frac}` : '');
  }
  const signText = negative && !(n === 0 && !Object.is(n, -0)) ? '-' : spec.sign === '+' ? '+' : spec.sign === ' ' ? ' ' : '';
  if (spec.align === '=' || (spec.zero && !spec.align)) {
    const width = Math.max(0, spec.width - signText.length);
    return signText + body.padStart(width, spec.fill === ' ' && spec.zero ? '0' : spec.fill);
  }
  return pad(signText + body, spec, spec.align || '>');
}

function pad(text: string, spec: Spec, align: string): string {
  const missing = spec.width - text.length;
  if (missing <= 0) return text;
  const fill = spec.fill;
  if (align === '<') return text + fill.repeat(missing);
  if (align === '^') return fill.repeat(Math.floor(missing / 2)) + text + fill.repeat(Math.ceil(missing / 2));
  return fill.repeat(missing) + text;
}

function pyExponent(a: number, precision: number): string {
  const [mant, exp] = a.toExponential(precision).split('e') as [string, string];
  const e = Number(exp);
  return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function pyGeneral(a: number, precision: number): string {
  const p = precision === 0 ? 1 : precision;
  if (a === 0) return '0';
  const exp = Math.floor(Math.log10(a));
  const rounded = Number(a.toPrecision(p));
  const e = rounded === 0 ? exp : Math.floor(Math.log10(rounded));
  let out: string;
  if (e < -4 || e >= p) {
    out = pyExponent(a, p - 1);
    out = out.replace(/\.?0+e/, 'e');
  } else {
    out = a.toFixed(Math.max(0, p - 1 - e));
    if (out.includes('.')) out = out.replace(/\.?0+$/, '');
  }
  return out;
}

/** Python's `%` operator on a format string (Jinja2's `format` filter). */
export function percentFormat(template: string, args: unknown[]): string {
  let i = 0;
  const mapping = args.length === 1 && args[0] && typeof args[0] === 'object' && !Array.isArray(args[0]) && !(args[0] instanceof PyFloat) ? (args[0] as Record<string, unknown>) : undefined;
  return template.replace(/%(?:\(([^)]+)\))?([#0\- +]*)(\d+|\*)?(?:\.(\d+))?([diouxXeEfFgGcrsa%])/g, (_all, key: string | undefined, flags: string, width: string | undefined, precision: string | undefined, type: string) => {
    if (type === '%') return '%';
    const value = key !== undefined && mapping ? mapping[key] : args[i++];
    if (value === undefined && key === undefined && i > args.length) throw new Error('not enough arguments for format string');
    if (type === 's') return applyWidth(pyStr(value), flags, width, precision);
    if (type === 'r' || type === 'a') return applyWidth(pyRepr(value), flags, width, precision);
    const spec =
      (flags.includes('-') ? '<' : '') +
      (flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') +
      (flags.includes('#') ? '#' : '') +
      (flags.includes('0') && !flags.includes('-') ? '0' : '') +
      (width ?? '') +
      (precision !== undefined ? `.${precision}` : '') +
      (type === 'i' || type === 'u' ? 'd' : type);
    return formatWithSpec(type === 'd' || type === 'i' || type === 'u' ? Math.trunc(num(value)) : value, spec);
  });
}

function applyWidth(text: string, flags: string, width: string | undefined, precision: string | undefined): string {
  let out = precision !== undefined ? text.slice(0, Number(precision)) : text;
  const w = width ? Number(width) : 0;
  if (out.length < w) out = flags.includes('-') ? out.padEnd(w) : out.padStart(w);
  return out;
}

/** Python's `str.format`: `{}`, `{0}`, `{name}`, `{:spec}`, `{{`/`}}`. */
export function strFormat(template: string, args: unknown[], kwargs: Record<string, unknown>): string {
  let auto = 0;
  return template.replace(/\{\{|\}\}|\{([^{}:!]*)(?:!([rsa]))?(?::([^{}]*))?\}/g, (all, field: string | undefined, conversion: string | undefined, spec: string | undefined) => {
    if (all === '{{') return '{';
    if (all === '}}') return '}';
    const name = field ?? '';
    let value: unknown;
    if (name === '') value = args[auto++];
    else if (/^\d+$/.test(name)) value = args[Number(name)];
    else value = name.split('.').reduce<unknown>((v, part) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined), kwargs);
    if (conversion === 'r' || conversion === 'a') value = pyRepr(value);
    else if (conversion === 's') value = pyStr(value);
    return spec ? formatWithSpec(value, spec) : pyStr(value);
  });
}

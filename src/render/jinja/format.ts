/**
 * Python's string formatting, complete: `"%05.2f" % x` (printf style, also
 * Jinja2's `format` filter) and `"{:>8.3e}".format(x)` (str.format and the
 * format-spec mini-language). Floats are rounded from their exact binary
 * value, half to even, as CPython does; JavaScript's toFixed is never used.
 */
import { pyFloatRepr } from '../../config/python-values.js';
import { TemplateRuntimeError, UnsupportedConstruct } from './errors.js';
import { getattr, getitem } from './operations.js';
import { pyRepr, pyStr } from './printing.js';
import { Markup, PyDate, PyDateTime, PyDict, PyTuple, Undefined, asInt, asStr, codePoints, isPyObject, strLength, typeName, type Value } from './values.js';

// --- exact decimal digits of a double -------------------------------------------

/** |x| as D / 10^k exactly (D a bigint), for finite x. */
function exactDecimal(x: number): { d: bigint; k: number } {
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, Math.abs(x));
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mantissa |= 1n << 52n;
    exp = biased - 1075;
  }
  if (mantissa === 0n) return { d: 0n, k: 0 };
  if (exp >= 0) return { d: mantissa << BigInt(exp), k: 0 };
  return { d: mantissa * 5n ** BigInt(-exp), k: -exp };
}

/** Rounds n / 10^drop to an integer, half to even. */
function roundHalfEven(n: bigint, drop: number): bigint {
  if (drop <= 0) return n * 10n ** BigInt(-drop);
  const div = 10n ** BigInt(drop);
  const q = n / div;
  const r = n % div;
  const twice = r * 2n;
  if (twice > div || (twice === div && q % 2n === 1n)) return q + 1n;
  return q;
}

/** Digits of |x| with `precision` places after the point ('f'). */
function fixedDigits(x: number, precision: number): string {
  const { d, k } = exactDecimal(x);
  const n = roundHalfEven(d, k - precision).toString();
  if (precision === 0) return n;
  const padded = n.padStart(precision + 1, '0');
  return `${padded.slice(0, -precision)}.${padded.slice(-precision)}`;
}

/** |x| with `precision` digits after the first ('e'): mantissa digits and the decimal exponent. */
function scientific(x: number, precision: number): { digits: string; exp: number } {
  const { d, k } = exactDecimal(x);
  if (d === 0n) return { digits: '0'.repeat(precision + 1), exp: 0 };
  const len = d.toString().length;
  let n = roundHalfEven(d, len - (precision + 1));
  let exp = len - 1 - k;
  if (n.toString().length > precision + 1) {
    n /= 10n;
    exp += 1;
  }
  return { digits: n.toString(), exp };
}

function expText(digits: string, exp: number, upper: boolean, alternate: boolean): string {
  const mant = digits.length > 1 || alternate ? `${digits[0]}.${digits.slice(1)}` : digits;
  return `${mant}${upper ? 'E' : 'e'}${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** 'g': `precision` significant digits, fixed or scientific by the exponent; trailing zeros dropped unless '#'. */
function generalDigits(x: number, precision: number, upper: boolean, alternate: boolean, noTypeRepr = false): string {
  const p = precision === 0 ? 1 : precision;
  const { digits, exp } = scientific(x, p - 1);
  let out: string;
  if (exp >= -4 && exp < p) {
    out = fixedDigits(x, p - 1 - exp);
    if (!alternate && out.includes('.')) out = out.replace(/0+$/, '').replace(/\.$/, '');
    if (noTypeRepr && !out.includes('.')) out += '.0';
  } else {
    let d = digits;
    if (!alternate) d = d.replace(/0+$/, '') || '0';
    out = expText(d, exp, upper, alternate);
  }
  return out;
}

function nonFinite(x: number, upper: boolean): string | undefined {
  if (Number.isNaN(x)) return upper ? 'NAN' : 'nan';
  if (!Number.isFinite(x)) return upper ? 'INF' : 'inf';
  return undefined;
}

/** The digits of a float for one presentation type, without sign or padding. */
function floatBody(x: number, type: string, precision: number | undefined, alternate: boolean): string {
  const a = Math.abs(x);
  const upper = type === 'E' || type === 'F' || type === 'G';
  const special = nonFinite(a, upper);
  if (special) return type === '%' ? `${special}%` : special;
  switch (type) {
    case 'f': case 'F': {
      const s = fixedDigits(a, precision ?? 6);
      return alternate && !s.includes('.') ? `${s}.` : s;
    }
    case 'e': case 'E': {
      const { digits, exp } = scientific(a, precision ?? 6);
      return expText(digits, exp, upper, alternate);
    }
    case 'g': case 'G': return generalDigits(a, precision ?? 6, upper, alternate);
    case '%': return `${fixedDigits(a * 100, precision ?? 6)}%`;
    case '':
      if (precision === undefined) return pyFloatRepr(a);
      return generalDigits(a, precision, false, alternate, true);
    default:
      throw new TemplateRuntimeError(`Unknown format code '${type}' for object of type 'float'`);
  }
}

function isNegative(x: number): boolean {
  return x < 0 || Object.is(x, -0);
}

function group(intDigits: string, sep: string, every = 3): string {
  if (!sep) return intDigits;
  let out = '';
  for (let i = 0; i < intDigits.length; i++) {
    if (i > 0 && (intDigits.length - i) % every === 0) out += sep;
    out += intDigits[i];
  }
  return out;
}

// --- the format-spec mini-language (format(), str.format) ---------------------------

const SPEC = /^(?:([\s\S])?([<>=^]))?([-+ ])?(z)?(#)?(0)?(\d+)?([,_])?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/u;

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

function parseSpec(text: string, v: Value): Spec {
  // A fill character of its own needs an align: ([\s\S])?([<>=^]) handles both.
  const m = SPEC.exec(text);
  if (!m) throw new TemplateRuntimeError(`Invalid format specifier '${text}' for object of type '${typeName(v)}'`);
  if (m[4]) throw new UnsupportedConstruct("the format option 'z'", 'it is new in Python 3.11');
  return {
    fill: m[1] ?? ' ',
    align: m[2] ?? '',
    sign: m[3] ?? '-',
    alternate: Boolean(m[5]),
    zero: Boolean(m[6]),
    width: m[7] ? Number(m[7]) : 0,
    grouping: m[8] ?? '',
    precision: m[9] !== undefined ? Number(m[9]) : undefined,
    type: m[10] ?? '',
  };
}

function padTo(body: string, prefix: string, spec: Spec, defaultAlign: string): string {
  let { fill, align } = spec;
  if (spec.zero && !align) {
    fill = '0';
    align = '=';
  }
  align ||= defaultAlign;
  const missing = spec.width - strLength(prefix + body);
  if (missing <= 0) return prefix + body;
  switch (align) {
    case '<': return prefix + body + fill.repeat(missing);
    case '>': return fill.repeat(missing) + prefix + body;
    case '^': {
      const left = Math.floor(missing / 2);
      return fill.repeat(left) + prefix + body + fill.repeat(missing - left);
    }
    default: return prefix + fill.repeat(missing) + body;
  }
}

function signOf(negative: boolean, sign: string): string {
  return negative ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
}

/** Python's `format(value, spec)`. */
export function formatValue(v: Value, specText: string): string {
  if (v instanceof Undefined) return pyStr(v);
  const s = asStr(v);
  if (s !== undefined) {
    if (specText === '') return s;
    const spec = parseSpec(specText, v);
    if (spec.type && spec.type !== 's') throw new TemplateRuntimeError(`Unknown format code '${spec.type}' for object of type 'str'`);
    if (spec.sign !== '-' || spec.alternate) throw new TemplateRuntimeError('Sign not allowed in string format specifier');
    if (spec.grouping) throw new TemplateRuntimeError(`Cannot specify '${spec.grouping}' with 's'.`);
    let body = s;
    if (spec.precision !== undefined) body = codePoints(body).slice(0, spec.precision).join('');
    if (spec.align === '=') throw new TemplateRuntimeError("'=' alignment not allowed in string format specifier");
    return padTo(body, '', spec, '<');
  }
  if (typeof v === 'boolean' && specText === '') return pyStr(v);
  const i = asInt(v);
  if (i !== undefined) {
    const spec = parseSpec(specText, v);
    if ('eEfFgG%'.includes(spec.type) && spec.type) return formatFloat(Number(i), spec);
    if (spec.precision !== undefined) throw new TemplateRuntimeError('Precision not allowed in integer format specifier');
    return formatInt(i, spec);
  }
  if (typeof v === 'number') {
    const spec = parseSpec(specText, v);
    if (spec.type && !'eEfFgGn%'.includes(spec.type)) throw new TemplateRuntimeError(`Unknown format code '${spec.type}' for object of type 'float'`);
    return formatFloat(v, spec.type === 'n' ? { ...spec, type: 'g' } : spec);
  }
  if (v instanceof PyDate || v instanceof PyDateTime) return specText === '' ? pyStr(v) : v.strftime(specText);
  if (specText === '') return pyStr(v);
  throw new TemplateRuntimeError(`unsupported format string passed to ${typeName(v)}.__format__`);
}

function formatInt(i: bigint, spec: Spec): string {
  const negative = i < 0n;
  const a = negative ? -i : i;
  let body: string;
  let prefix = '';
  switch (spec.type) {
    case '': case 'd': case 'n': body = group(a.toString(), spec.grouping); break;
    case 'b': body = group(a.toString(2), spec.grouping, 4); if (spec.alternate) prefix = '0b'; break;
    case 'o': body = group(a.toString(8), spec.grouping, 4); if (spec.alternate) prefix = '0o'; break;
    case 'x': body = group(a.toString(16), spec.grouping, 4); if (spec.alternate) prefix = '0x'; break;
    case 'X': body = group(a.toString(16).toUpperCase(), spec.grouping, 4); if (spec.alternate) prefix = '0X'; break;
    case 'c': {
      if (spec.sign !== '-') throw new TemplateRuntimeError("Sign not allowed with integer format specifier 'c'");
      return padTo(String.fromCodePoint(Number(i)), '', spec, '<');
    }
    case 's': throw new TemplateRuntimeError("Unknown format code 's' for object of type 'int'");
    default: throw new TemplateRuntimeError(`Unknown format code '${spec.type}' for object of type 'int'`);
  }
  return zeroPadded(body, signOf(negative, spec.sign) + prefix, spec, 'bxXo'.includes(spec.type) && spec.type !== '' ? 4 : 3);
}

/** With the '0' flag and grouping, Python also groups the padding zeros; without grouping it pads as '='. */
function zeroPadded(body: string, prefix: string, spec: Spec, every = 3): string {
  if (spec.zero && !spec.align && spec.grouping && /^[0-9a-fA-F,_]+/.test(body)) {
    const [intPart = ''] = body.split(/(?=[.eE%])/, 1);
    let digits = intPart.replace(/[,_]/g, '');
    const tail = body.slice(intPart.length);
    while (strLength(prefix + group(digits, spec.grouping, every) + tail) < spec.width) digits = `0${digits}`;
    let grouped = group(digits, spec.grouping, every);
    if (strLength(prefix + grouped + tail) > spec.width && grouped.startsWith(spec.grouping)) grouped = grouped.slice(1);
    return prefix + grouped + tail;
  }
  return padTo(body, prefix, spec, '>');
}

function formatFloat(x: number, spec: Spec): string {
  let body = floatBody(x, spec.type, spec.precision, spec.alternate);
  if (spec.grouping && /^[0-9]/.test(body)) {
    const m = /^(\d+)(.*)$/s.exec(body)!;
    body = group(m[1]!, spec.grouping) + m[2];
  }
  // inf and nan are padded with zeros as numbers are ('{:010}' of nan is 0000000nan), as CPython does.
  const prefix = signOf(isNegative(x) && !Number.isNaN(x), spec.sign);
  return zeroPadded(body, prefix, spec);
}

// --- printf style: "..." % args ------------------------------------------------------

const PERCENT = /%(?:\(([^)]*)\))?([-#0 +]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([diouxXeEfFgGcrsa%])?/g;

/** Python's `text % args`. */
export function percentFormat(text: string, args: Value): string {
  const mapping = args instanceof PyDict || (isPyObject(args) && !!args.getitem && !(args instanceof PyTuple)) ? args : undefined;
  const list = args instanceof PyTuple ? args.items : [args];
  let next = 0;
  const take = (): Value => {
    if (next >= list.length) throw new TemplateRuntimeError('TypeError: not enough arguments for format string');
    return list[next++]!;
  };
  let out = '';
  let last = 0;
  PERCENT.lastIndex = 0;
  for (let m = PERCENT.exec(text); m; m = PERCENT.exec(text)) {
    out += text.slice(last, m.index);
    last = m.index + m[0].length;
    const [, key, flags = '', widthText, precisionText, type] = m;
    if (type === undefined) throw new TemplateRuntimeError(m.index + m[0].length >= text.length ? 'ValueError: incomplete format' : `ValueError: unsupported format character '${text[m.index + m[0].length]}' (0x${text.charCodeAt(m.index + m[0].length).toString(16)}) at index ${m.index + m[0].length}`);
    if (type === '%' && key === undefined && !flags && !widthText && precisionText === undefined) {
      out += '%';
      continue;
    }
    let width = 0;
    let precision: number | undefined;
    if (widthText === '*') {
      const w = asInt(take());
      if (w === undefined) throw new TemplateRuntimeError('TypeError: * wants int');
      width = Number(w);
    } else if (widthText) width = Number(widthText);
    if (precisionText === '*') {
      const p = asInt(take());
      if (p === undefined) throw new TemplateRuntimeError('TypeError: * wants int');
      precision = Number(p);
    } else if (precisionText !== undefined) precision = precisionText === '' ? 0 : Number(precisionText);
    let value: Value;
    if (key !== undefined) {
      if (!mapping) throw new TemplateRuntimeError('TypeError: format requires a mapping');
      value = getitem(mapping, key, `[${key}]`);
      if (value instanceof Undefined) throw new TemplateRuntimeError(`KeyError: '${key}'`);
    } else if (type === '%') value = '%';
    else value = take();
    // A negative `*` width left-justifies, as the `-` flag does.
    const left = width < 0 ? '-' : '';
    out += percentOne(value, type, flags + left, Math.abs(width), precision);
  }
  out += text.slice(last);
  if (!mapping && next < list.length) throw new TemplateRuntimeError('TypeError: not all arguments converted during string formatting');
  return out;
}

function percentOne(v: Value, type: string, flags: string, width: number, precision: number | undefined): string {
  const left = flags.includes('-');
  const zero = flags.includes('0') && !left;
  const sign = flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '-';
  const alternate = flags.includes('#');
  const pad = (prefix: string, body: string, numeric: boolean): string => {
    const missing = width - strLength(prefix + body);
    if (missing <= 0) return prefix + body;
    if (left) return prefix + body + ' '.repeat(missing);
    if (zero && numeric) return prefix + '0'.repeat(missing) + body;
    return ' '.repeat(missing) + prefix + body;
  };
  switch (type) {
    case '%': return pad('', '%', false);
    case 's': case 'r': case 'a': {
      let s = type === 's' ? pyStr(v) : pyRepr(v);
      if (type === 'a') s = s.replace(/[^\x00-\x7f]/gu, (c) => { const cp = c.codePointAt(0)!; return cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`; });
      if (precision !== undefined) s = codePoints(s).slice(0, precision).join('');
      return pad('', s, false);
    }
    case 'c': {
      const i = asInt(v);
      const s = asStr(v);
      let ch: string;
      if (i !== undefined) ch = String.fromCodePoint(Number(i));
      else if (s !== undefined && strLength(s) === 1) ch = s;
      else throw new TemplateRuntimeError('TypeError: %c requires int or char');
      return pad('', ch, false);
    }
    case 'd': case 'i': case 'u': case 'o': case 'x': case 'X': {
      let i = asInt(v);
      if (i === undefined && typeof v === 'number' && 'diu'.includes(type)) {
        if (!Number.isFinite(v)) throw new TemplateRuntimeError(Number.isNaN(v) ? 'ValueError: cannot convert float NaN to integer' : 'OverflowError: cannot convert float infinity to integer');
        i = BigInt(Math.trunc(v));
      }
      if (i === undefined) {
        const what = 'diu'.includes(type) ? 'a real number is required' : 'an integer is required';
        throw new TemplateRuntimeError(`TypeError: %${type} format: ${what}, not ${typeName(v)}`);
      }
      const negative = i < 0n;
      const a = negative ? -i : i;
      let digits = type === 'o' ? a.toString(8) : type === 'x' ? a.toString(16) : type === 'X' ? a.toString(16).toUpperCase() : a.toString();
      if (precision !== undefined && digits.length < precision) digits = digits.padStart(precision, '0');
      const prefix = signOf(negative, sign) + (alternate ? (type === 'o' ? '0o' : type === 'x' ? '0x' : type === 'X' ? '0X' : '') : '');
      return pad(prefix, digits, true);
    }
    default: {
      const x = typeof v === 'number' ? v : asInt(v) !== undefined ? Number(asInt(v)) : undefined;
      if (x === undefined) throw new TemplateRuntimeError(`TypeError: must be real number, not ${typeName(v)}`);
      const body = floatBody(x, type, precision ?? 6, alternate);
      // '%08.2f' of nan is 00000nan in CPython: inf and nan take the zero padding as numbers do.
      return pad(signOf(isNegative(x) && !Number.isNaN(x), sign), body, true);
    }
  }
}

// --- str.format ----------------------------------------------------------------------

/** Python's `text.format(*args, **kwargs)`. */
export function strFormat(text: string, args: Value[], kwargs: Map<string, Value>, depth = 0): string {
  if (depth > 2) throw new TemplateRuntimeError('ValueError: Max string recursion exceeded');
  let out = '';
  let auto = 0;
  let mode: 'auto' | 'manual' | undefined;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '}') {
      if (text[i + 1] === '}') {
        out += '}';
        i += 2;
        continue;
      }
      throw new TemplateRuntimeError("ValueError: Single '}' encountered in format string");
    }
    if (c !== '{') {
      out += c;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      out += '{';
      i += 2;
      continue;
    }
    // Find the matching close brace, allowing one level of nested fields in the spec.
    let j = i + 1;
    let nested = 0;
    for (; j < text.length; j++) {
      if (text[j] === '{') nested++;
      else if (text[j] === '}') {
        if (nested === 0) break;
        nested--;
      }
    }
    if (j >= text.length) throw new TemplateRuntimeError("ValueError: expected '}' before end of string");
    const field = text.slice(i + 1, j);
    i = j + 1;
    const m = /^([^!:[.]*)((?:\.[^!:[.]+|\[[^\]]*\])*)(?:!([rsa]))?(?::([\s\S]*))?$/.exec(field);
    if (!m) throw new TemplateRuntimeError(`ValueError: invalid format field '{${field}}'`);
    const [, name = '', accessors = '', conversion, rawSpec = ''] = m;
    let value: Value;
    if (name === '') {
      if (mode === 'manual') throw new TemplateRuntimeError('ValueError: cannot switch from manual field specification to automatic field numbering');
      mode = 'auto';
      value = argAt(args, auto++);
    } else if (/^\d+$/.test(name)) {
      if (mode === 'auto') throw new TemplateRuntimeError('ValueError: cannot switch from automatic field numbering to manual field specification');
      mode = 'manual';
      value = argAt(args, Number(name));
    } else {
      if (!kwargs.has(name)) throw new TemplateRuntimeError(`KeyError: '${name}'`);
      value = kwargs.get(name)!;
    }
    for (const a of accessors.match(/\.[^.[]+|\[[^\]]*\]/g) ?? []) {
      if (a.startsWith('.')) {
        value = getattr(value, a.slice(1), `${name}${a}`);
        if (value instanceof Undefined) throw new TemplateRuntimeError(`AttributeError: ${value.hint ?? a}`);
      } else {
        const key = a.slice(1, -1);
        value = getitem(value, /^\d+$/.test(key) ? BigInt(key) : key, `${name}${a}`);
        if (value instanceof Undefined) throw new TemplateRuntimeError(`KeyError: ${value.hint ?? key}`);
      }
    }
    if (conversion === 's') value = pyStr(value);
    else if (conversion === 'r') value = pyRepr(value);
    else if (conversion === 'a') value = pyRepr(value).replace(/[^\x00-\x7f]/gu, (ch) => `\\u${ch.codePointAt(0)!.toString(16).padStart(4, '0')}`);
    const spec = rawSpec.includes('{') ? strFormatNested(rawSpec, args, kwargs, () => auto++, mode, depth) : rawSpec;
    out += formatValue(value instanceof Markup ? value.text : value, spec);
  }
  return out;
}

function strFormatNested(spec: string, args: Value[], kwargs: Map<string, Value>, nextAuto: () => number, mode: string | undefined, depth: number): string {
  return spec.replace(/\{([^{}]*)\}/g, (_m, name: string) => {
    if (name === '') {
      if (mode === 'manual') throw new TemplateRuntimeError('ValueError: cannot switch from manual field specification to automatic field numbering');
      return strFormat('{}', [argAt(args, nextAuto())], new Map(), depth + 1);
    }
    return strFormat(`{${name}}`, args, kwargs, depth + 1);
  });
}

function argAt(args: Value[], index: number): Value {
  if (index >= args.length) throw new TemplateRuntimeError(`IndexError: Replacement index ${index} out of range for positional args tuple`);
  return args[index]!;
}

/**
 * Python's operators over template values: arithmetic with int/float kept
 * apart, ==, ordering, `in`, indexing and slicing, iteration and len().
 * A combination Python refuses is an error here too (Jinja2 raises the same
 * TypeError), never a JavaScript coercion.
 */
import { TemplateRuntimeError, UnsupportedConstruct } from './errors.js';
import { percentFormat } from './format.js';
import { attributeOf } from './methods.js';
import { pyStr } from './printing.js';
import { correctlyRoundedPow } from './pow.js';
import { Markup, PyDate, PyDateTime, PyDict, PyTimedelta, PyTuple, Undefined, asInt, htmlEscape, asStr, codePoints, isPyObject, strLength, typeName, type Value } from './values.js';

const typeError = (message: string) => new TemplateRuntimeError(message);

const OP_SYMBOL = { add: '+', sub: '-', mul: '*', div: '/', floordiv: '//', mod: '%', pow: '** or pow()' } as const;
type ArithOp = keyof typeof OP_SYMBOL;

function unsupported(op: ArithOp, a: Value, b: Value): TemplateRuntimeError {
  return typeError(`unsupported operand type(s) for ${OP_SYMBOL[op]}: '${typeName(a)}' and '${typeName(b)}'`);
}

function checkDefined(...values: Value[]): void {
  for (const v of values) if (v instanceof Undefined) throw v.error();
}

/** int -> float as Python converts it (correctly rounded; too large is an error). */
export function intToFloat(i: bigint): number {
  const f = Number(i);
  if (!Number.isFinite(f)) throw new TemplateRuntimeError('OverflowError: int too large to convert to float');
  return f;
}

/** A number as a float, or undefined if it is not a number. */
export function toFloat(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  const i = asInt(v);
  return i === undefined ? undefined : intToFloat(i);
}

const SAFE = 2n ** 53n;

export function arithmetic(op: ArithOp, a: Value, b: Value): Value {
  checkDefined(a, b);
  if (op === 'sub' && (a instanceof PyDate || a instanceof PyDateTime) && (b instanceof PyDate || b instanceof PyDateTime)) return dateDifference(a, b);
  const ia = asInt(a);
  const ib = asInt(b);
  if (ia !== undefined && ib !== undefined) return intArithmetic(op, ia, ib);
  const fa = toFloat(a);
  const fb = toFloat(b);
  if (fa !== undefined && fb !== undefined) return floatArithmetic(op, fa, fb);
  const sa = asStr(a);
  const sb = asStr(b);
  if (op === 'add') {
    // Markup + str and str + Markup escape the str, as markupsafe does (__add__, __radd__).
    if (sa !== undefined && sb !== undefined) {
      if (a instanceof Markup) return new Markup(sa + (b instanceof Markup ? sb : htmlEscape(sb)));
      if (b instanceof Markup) return new Markup(htmlEscape(sa) + sb);
      return sa + sb;
    }
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (a instanceof PyTuple && b instanceof PyTuple) return new PyTuple([...a.items, ...b.items]);
  }
  if (op === 'mul') {
    const [seq, n] = ib !== undefined ? [a, ib] : ia !== undefined ? [b, ia] : [undefined, undefined];
    if (seq !== undefined && n !== undefined) {
      const times = n < 0n ? 0 : Number(n);
      if (times > 1e7) throw new TemplateRuntimeError('MemoryError: repetition too large');
      const s = asStr(seq);
      // Markup * int is Markup, as markupsafe's __mul__ gives it.
      if (s !== undefined) return seq instanceof Markup ? new Markup(s.repeat(times)) : s.repeat(times);
      if (Array.isArray(seq)) return Array.from({ length: times }, () => seq).flat(1) as Value[];
      if (seq instanceof PyTuple) return new PyTuple(Array.from({ length: times }, () => seq.items).flat(1));
    }
  }
  if (op === 'mod' && sa !== undefined) return percentFormat(sa, b);
  throw unsupported(op, a, b);
}

/** Python's floor division and modulo of ints: the remainder takes the divisor's sign. */
function floorDivMod(a: bigint, b: bigint): [bigint, bigint] {
  if (b === 0n) throw new TemplateRuntimeError('ZeroDivisionError: integer division or modulo by zero');
  let q = a / b;
  let r = a % b;
  if (r !== 0n && (r < 0n) !== (b < 0n)) {
    q -= 1n;
    r += b;
  }
  return [q, r];
}

function intArithmetic(op: ArithOp, a: bigint, b: bigint): Value {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'floordiv': return floorDivMod(a, b)[0];
    case 'mod': return floorDivMod(a, b)[1];
    case 'div': {
      if (b === 0n) throw new TemplateRuntimeError('ZeroDivisionError: division by zero');
      const abs = (x: bigint) => (x < 0n ? -x : x);
      if (abs(a) <= SAFE && abs(b) <= SAFE) return Number(a) / Number(b);
      throw new UnsupportedConstruct('true division (`/`) of integers beyond 2**53', 'the last digit of the float could differ from Python\'s');
    }
    case 'pow': {
      if (b < 0n) {
        if (a === 0n) throw new TemplateRuntimeError('ZeroDivisionError: 0.0 cannot be raised to a negative power');
        return floatArithmetic('pow', intToFloat(a), intToFloat(b));
      }
      if (b > 100000n) throw new TemplateRuntimeError('the exponent is too large');
      return a ** b;
    }
  }
}

/**
 * C's pow() as glibc computes it, which CPython calls for floats: correctly
 * rounded (pow.ts) where V8's Math.pow is not. The signs, zeros, infinities
 * and NaN follow C's rules, which Math.pow shares; a result so close to
 * halfway between two floats that glibc may round it either way is refused.
 */
function floatPower(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || a === 0 || Number.isNaN(a)) return Math.pow(a, b);
  if (a === 1) return 1; // C: 1 ** anything, NaN too
  const negative = a < 0 && Number.isInteger(b) && b % 2 !== 0;
  const { value, nearTie } = correctlyRoundedPow(Math.abs(a), b);
  if (nearTie) throw new UnsupportedConstruct(`the float power ${pyStr(a)} ** ${pyStr(b)}`, 'its exact value lies within a hair of halfway between two floats, where the C library Python calls may round either way');
  return negative ? -value : value;
}

/** date - date and datetime - datetime: a timedelta, as Python gives it; a date and a datetime do not subtract. */
function dateDifference(a: PyDate | PyDateTime, b: PyDate | PyDateTime): Value {
  if (a instanceof PyDateTime && b instanceof PyDateTime) {
    if ((a.offsetMinutes === null) !== (b.offsetMinutes === null)) throw typeError("can't subtract offset-naive and offset-aware datetimes");
    return new PyTimedelta(a.instant() - b.instant()) as unknown as Value;
  }
  if (a instanceof PyDateTime || b instanceof PyDateTime) throw typeError(`unsupported operand type(s) for -: '${typeName(a)}' and '${typeName(b)}'`);
  return new PyTimedelta(BigInt(a.toordinal() - b.toordinal()) * 86_400_000_000n) as unknown as Value;
}

function floatDivmod(x: number, y: number): [number, number] {
  if (y === 0) throw new TemplateRuntimeError('ZeroDivisionError: float divmod()');
  // An infinite dividend (or a NaN) has no remainder: Python gives nan for both.
  if (!Number.isFinite(x) || Number.isNaN(y)) return [NaN, NaN];
  let mod = x % y;
  let div = (x - mod) / y;
  if (mod) {
    if (y < 0 !== mod < 0) {
      mod += y;
      div -= 1;
    }
  } else mod = Math.sign(y) < 0 || Object.is(y, -0) ? -0 : 0;
  let floordiv: number;
  if (div) {
    floordiv = Math.floor(div);
    if (div - floordiv > 0.5) floordiv += 1;
  } else floordiv = (x / y < 0 || Object.is(x / y, -0)) ? -0 : 0;
  return [floordiv, mod];
}

function floatArithmetic(op: ArithOp, a: number, b: number): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div':
      if (b === 0) throw new TemplateRuntimeError('ZeroDivisionError: float division by zero');
      return a / b;
    case 'floordiv': return floatDivmod(a, b)[0];
    case 'mod': return floatDivmod(a, b)[1];
    case 'pow': {
      if (a === 0 && b < 0) throw new TemplateRuntimeError('ZeroDivisionError: 0.0 cannot be raised to a negative power');
      if (a < 0 && !Number.isInteger(b) && Number.isFinite(b)) throw new UnsupportedConstruct('a negative number to a fractional power', 'Python gives a complex number');
      const r = floatPower(a, b);
      if (!Number.isFinite(r) && Number.isFinite(a) && Number.isFinite(b)) throw new TemplateRuntimeError('OverflowError: (34, \'Numerical result out of range\')');
      return r;
    }
  }
}

export function negate(v: Value, sign: 'neg' | 'pos'): Value {
  checkDefined(v);
  const i = asInt(v);
  if (i !== undefined) return sign === 'neg' ? -i : i;
  if (typeof v === 'number') return sign === 'neg' ? -v : v;
  throw typeError(`bad operand type for unary ${sign === 'neg' ? '-' : '+'}: '${typeName(v)}'`);
}

/** Items of two containers compared: Python tries identity first, so a nan equals itself there (refused: which nan is which is unknown). */
function itemEquals(x: Value, y: Value): boolean {
  if (typeof x === 'number' && typeof y === 'number' && Number.isNaN(x) && Number.isNaN(y)) {
    throw new UnsupportedConstruct('comparing containers that hold nan', 'Python counts the same nan object as equal and another as not, which mensemble cannot tell apart');
  }
  return equals(x, y);
}

/** Python's `==`. */
export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a instanceof Undefined || b instanceof Undefined) return a instanceof Undefined && b instanceof Undefined;
  const ia = asInt(a);
  const ib = asInt(b);
  if (ia !== undefined && ib !== undefined) return ia === ib;
  if ((ia !== undefined || typeof a === 'number') && (ib !== undefined || typeof b === 'number')) return compareNumbers(a, b) === 0;
  const sa = asStr(a);
  const sb = asStr(b);
  if (sa !== undefined || sb !== undefined) return sa === sb;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => itemEquals(x, b[i]!));
  if (a instanceof PyTuple && b instanceof PyTuple) return a.items.length === b.items.length && a.items.every((x, i) => itemEquals(x, b.items[i]!));
  if (a instanceof PyDict && b instanceof PyDict) {
    if (a.size !== b.size) return false;
    return a.items().every(([k, v]) => b.has(k) && equals(v, b.get(k)!));
  }
  // Aware datetimes are equal when they are the same instant, whatever their offsets; naive ones by their fields;
  // an aware one never equals a naive one.
  if (a instanceof PyDateTime && b instanceof PyDateTime) return (a.offsetMinutes === null) === (b.offsetMinutes === null) && a.instant() === b.instant();
  if (a instanceof PyDateTime || b instanceof PyDateTime) return false;
  if (a instanceof PyDate && b instanceof PyDate) return a.isoformat() === b.isoformat();
  // Python compares ranges as the sequences they stand for: range(0, 3) == range(3), range(0) == range(2, 2).
  if (isPyObject(a) && isPyObject(b) && a.pyType === 'range' && b.pyType === 'range') return equals(a.iterate!(), b.iterate!());
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return a.total === b.total;
  return a === b;
}

/** -1, 0, 1 for two numbers (int, float, bool) compared exactly, NaN as NaN. */
function compareNumbers(a: Value, b: Value): number {
  const ia = asInt(a);
  const ib = asInt(b);
  if (ia !== undefined && ib !== undefined) return ia < ib ? -1 : ia > ib ? 1 : 0;
  const fa = typeof a === 'number' ? a : undefined;
  const fb = typeof b === 'number' ? b : undefined;
  if (fa !== undefined && fb !== undefined) return fa < fb ? -1 : fa > fb ? 1 : fa === fb ? 0 : NaN;
  // One int, one float: exactly, as Python does (no rounding of the int).
  const [f, i, flip] = fa !== undefined ? [fa, ib!, 1] : [fb!, ia!, -1];
  if (Number.isNaN(f)) return NaN;
  if (!Number.isFinite(f)) return (f > 0 ? 1 : -1) * flip;
  const floor = BigInt(Math.floor(f));
  let c: number;
  if (floor < i) c = -1;
  else if (floor > i) c = 1;
  else c = Number.isInteger(f) ? 0 : 1;
  return c * flip;
}

function compareStrings(a: string, b: string): number {
  if (!/[\uD800-\uDFFF]/.test(a + b)) return a < b ? -1 : a > b ? 1 : 0;
  const ca = codePoints(a).map((c) => c.codePointAt(0)!);
  const cb = codePoints(b).map((c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) if (ca[i] !== cb[i]) return ca[i]! < cb[i]! ? -1 : 1;
  return ca.length - cb.length;
}

/** Python's ordering (`<` and friends, sort, min, max); a pair Python cannot order is a TypeError. */
export function compareValues(a: Value, b: Value, op = '<'): number {
  checkDefined(a, b);
  const numeric = (v: Value) => typeof v === 'number' || asInt(v) !== undefined;
  if (numeric(a) && numeric(b)) return compareNumbers(a, b);
  const sa = asStr(a);
  const sb = asStr(b);
  if (sa !== undefined && sb !== undefined) return compareStrings(sa, sb);
  const seq = (x: Value): Value[] | undefined => (Array.isArray(x) ? x : undefined);
  const la = seq(a) ?? (a instanceof PyTuple ? a.items : undefined);
  const lb = seq(b) ?? (b instanceof PyTuple ? b.items : undefined);
  if (la && lb && Array.isArray(a) === Array.isArray(b)) {
    for (let i = 0; i < Math.min(la.length, lb.length); i++) {
      if (!equals(la[i]!, lb[i]!)) return compareValues(la[i]!, lb[i]!, op);
    }
    return la.length - lb.length;
  }
  if (a instanceof PyTimedelta && b instanceof PyTimedelta) return a.total < b.total ? -1 : a.total > b.total ? 1 : 0;
  if (a instanceof PyDateTime && b instanceof PyDateTime) {
    if ((a.offsetMinutes === null) !== (b.offsetMinutes === null)) throw typeError("can't compare offset-naive and offset-aware datetimes");
    const [x, y] = [a.instant(), b.instant()];
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (a instanceof PyDate && b instanceof PyDate && !(a instanceof PyDateTime) && !(b instanceof PyDateTime)) return compareStrings(a.isoformat(), b.isoformat());
  throw typeError(`'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

export function compare(op: 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq' | 'in' | 'notin', a: Value, b: Value): boolean {
  switch (op) {
    case 'eq': return equals(a, b);
    case 'ne': return !equals(a, b);
    case 'lt': return compareValues(a, b, '<') < 0;
    case 'lteq': return compareValues(a, b, '<=') <= 0;
    case 'gt': return compareValues(a, b, '>') > 0;
    case 'gteq': return compareValues(a, b, '>=') >= 0;
    case 'in': return contains(b, a);
    case 'notin': return !contains(b, a);
  }
}

/** Python's `item in container`. */
export function contains(container: Value, item: Value): boolean {
  const s = asStr(container);
  if (s !== undefined) {
    const i = asStr(item);
    if (i === undefined) throw typeError(`'in <string>' requires string as left operand, not ${typeName(item)}`);
    return s.includes(i);
  }
  if (container instanceof PyDict) return container.has(item);
  if (container instanceof Undefined) return false;
  const items = iterate(container);
  // Python's `in` tries identity before ==: a nan finds itself, not another nan; mensemble cannot tell which is which.
  if (typeof item === 'number' && Number.isNaN(item) && items.some((x) => typeof x === 'number' && Number.isNaN(x))) {
    throw new UnsupportedConstruct('`in` with nan', 'Python finds the same nan object and not another, which mensemble cannot tell apart');
  }
  return items.some((x) => equals(x, item));
}

/** Python's `iter()`: lists, tuples, str (by code point), dict keys, Undefined (empty). */
export function iterate(v: Value): Value[] {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  const s = asStr(v);
  if (s !== undefined) return codePoints(s);
  if (v instanceof PyDict) return v.keys();
  if (v instanceof Undefined) return [];
  if (isPyObject(v) && v.iterate) return v.iterate();
  throw typeError(`'${typeName(v)}' object is not iterable`);
}

export function length(v: Value): bigint {
  const s = asStr(v);
  if (s !== undefined) return BigInt(strLength(s));
  if (Array.isArray(v)) return BigInt(v.length);
  if (v instanceof PyTuple) return BigInt(v.items.length);
  if (v instanceof PyDict) return BigInt(v.size);
  if (v instanceof Undefined) return 0n;
  if (isPyObject(v) && v.iterate && !v.iterator) return BigInt(v.iterate().length);
  throw typeError(`object of type '${typeName(v)}' has no len()`);
}

/** A Python slice object's indices for a sequence of `n` items (slice.indices). */
export function sliceIndices(n: number, start: Value, stop: Value, step: Value): number[] {
  const [a, b, st] = sliceBounds(n, start, stop, step);
  const out: number[] = [];
  if (st > 0) for (let i = a; i < b; i += st) out.push(i);
  else for (let i = a; i > b; i += st) out.push(i);
  return out;
}

/**
 * Python's slice(start, stop, step).indices(n): start, stop and step
 * clamped to a sequence of n items (None for a bound: from the end the
 * step walks from). Slicing, a range's slice and list.index's window use it.
 */
export function sliceBounds(n: number, start: Value, stop: Value, step: Value): [number, number, number] {
  const toIndex = (v: Value): number | undefined => {
    if (v === null || v instanceof Undefined) return undefined;
    const i = asInt(v);
    if (i === undefined) throw typeError('slice indices must be integers or None or have an __index__ method');
    return Number(i);
  };
  const st = toIndex(step) ?? 1;
  if (st === 0) throw new TemplateRuntimeError('ValueError: slice step cannot be zero');
  const clamp = (v: number | undefined, dflt: number, lo: number, hi: number) => {
    if (v === undefined) return dflt;
    if (v < 0) v += n;
    return Math.min(Math.max(v, lo), hi);
  };
  if (st > 0) return [clamp(toIndex(start), 0, 0, n), clamp(toIndex(stop), n, 0, n), st];
  return [clamp(toIndex(start), n - 1, -1, n - 1), clamp(toIndex(stop), -1, -1, n - 1), st];
}

export class PySlice {
  constructor(readonly start: Value, readonly stop: Value, readonly step: Value) {}
}

/** `obj[key]` as Python does it; undefined when Python would raise a KeyError, IndexError or TypeError. */
function subscript(obj: Value, key: Value | PySlice): Value | undefined {
  const s = asStr(obj);
  const seq = Array.isArray(obj) ? obj : obj instanceof PyTuple ? obj.items : s !== undefined ? codePoints(s) : undefined;
  if (seq) {
    if (key instanceof PySlice) {
      const picked = sliceIndices(seq.length, key.start, key.stop, key.step).map((i) => seq[i]!);
      // A slice of Markup is Markup (markupsafe wraps __getitem__), and prints so inside a container.
      if (s !== undefined) return obj instanceof Markup ? new Markup((picked as string[]).join('')) : (picked as string[]).join('');
      return obj instanceof PyTuple ? new PyTuple(picked) : picked;
    }
    const i = asInt(key);
    if (i === undefined) return undefined;
    const n = BigInt(seq.length);
    const index = i < 0n ? i + n : i;
    if (index < 0n || index >= n) return undefined;
    return seq[Number(index)]!;
  }
  // A range slices into a range; other objects have no slices.
  if (key instanceof PySlice) return isPyObject(obj) && obj.pyType === 'range' && obj.getitem ? obj.getitem(key as unknown as Value) : undefined;
  if (obj instanceof PyDict) {
    try {
      return obj.get(key);
    } catch {
      return undefined;
    }
  }
  if (isPyObject(obj) && obj.getitem) return obj.getitem(key);
  return undefined;
}

function describeLookup(obj: Value): string {
  return typeName(obj);
}

/** Jinja2's `obj.name`: the attribute first, then the item `obj['name']`. */
/** How a lookup is written, for messages: a string, or a function that makes it (only when a message needs it). */
export type Described = string | (() => string);
const text = (what: Described): string => (typeof what === 'string' ? what : what());

export function getattr(obj: Value, name: string, what: Described): Value {
  if (obj instanceof Undefined) throw new TemplateRuntimeError(`${obj.describe()}, so \`${text(what)}\` cannot be read`);
  const attr = attributeOf(obj, name);
  if (attr !== undefined) return attr;
  const item = subscript(obj, name);
  if (item !== undefined) return item;
  return new Undefined(text(what), `'${describeLookup(obj)}' object has no attribute '${name}'`);
}

/** Jinja2's `obj[key]`: the item first, then (for a str key) the attribute. */
export function getitem(obj: Value, key: Value | PySlice, what: Described): Value {
  if (obj instanceof Undefined) throw new TemplateRuntimeError(`${obj.describe()}, so \`${text(what)}\` cannot be read`);
  const item = subscript(obj, key);
  if (item !== undefined) return item;
  const name = key instanceof PySlice ? undefined : asStr(key);
  if (name !== undefined) {
    const attr = attributeOf(obj, name);
    if (attr !== undefined) return attr;
  }
  const hint = obj instanceof PyDict ? `the dict has no key ${key instanceof PySlice ? 'slice' : pyStrSafe(key)}` : `'${describeLookup(obj)}' object has no item ${key instanceof PySlice ? 'slice' : pyStrSafe(key)}`;
  return new Undefined(text(what), hint);
}

function pyStrSafe(v: Value): string {
  try {
    return typeof v === 'string' ? `'${v}'` : pyStr(v);
  } catch {
    return typeName(v);
  }
}

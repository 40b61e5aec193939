/**
 * Python's values, as Jinja2 templates see them. Templates must render exactly
 * as model-ensembler's Jinja2 renders them, so no JavaScript value semantics
 * may reach an output: every value a template touches is one of these.
 *
 *   None -> null          bool -> boolean      int -> bigint (any size)
 *   float -> number       str -> string        list -> Array
 *   tuple -> PyTuple      dict -> PyDict (insertion order, keys of any hashable type)
 *   date/datetime -> PyDate / PyDateTime (from YAML timestamps)
 *   a missing value -> Undefined (printing it is an error, on purpose)
 *   callables -> PyCallable; Jinja2's own objects (loop, namespace, macro...) -> PyObject
 */
import { TemplateRuntimeError } from './errors.js';

export type Value =
  | null
  | boolean
  | bigint
  | number
  | string
  | Value[]
  | PyTuple
  | PyDict
  | PyDate
  | PyDateTime
  | Undefined
  | PyCallable
  | PyObject
  | Markup;

export class PyTuple {
  constructor(readonly items: Value[]) {}
}

/** A namedtuple that prints as a plain tuple: groupby's (grouper, list). */
export class NamedTuple extends PyTuple {
  constructor(readonly fields: string[], items: Value[]) {
    super(items);
  }
  field(name: string): Value | undefined {
    const i = this.fields.indexOf(name);
    return i < 0 ? undefined : this.items[i];
  }
}

/** Text marked safe (`|safe`, `|escape`): prints as it is. */
export class Markup {
  constructor(readonly text: string) {}
}

/** markupsafe's escape of a str: & < > ' " as entities. */
export function htmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
}

/** The hash key under which Python's dict would file a key: 1, 1.0 and True are one key. */
export function hashKey(v: Value): string {
  if (v === null) return 'N';
  if (typeof v === 'boolean') return v ? 'i1' : 'i0';
  if (typeof v === 'bigint') return `i${v}`;
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return `i${BigInt(v)}`;
    return `f${v}`;
  }
  if (typeof v === 'string') return `s${v}`;
  if (v instanceof Markup) return `s${v.text}`;
  if (v instanceof PyTuple) return `t(${v.items.map(hashKey).join(',')})`;
  // An aware datetime hashes by its instant, as Python's does: equal ones find each other in a dict.
  if (v instanceof PyDateTime) return v.offsetMinutes === null ? `dn${v.isoformat()}` : `da${v.instant()}`;
  if (v instanceof PyDate) return `d${v.isoformat()}`;
  if (v instanceof Undefined) throw new TemplateRuntimeError(`${v.describe()} cannot be a dictionary key`);
  throw new TemplateRuntimeError(`unhashable type: '${typeName(v)}'`);
}

export class PyDict {
  private readonly entries = new Map<string, [Value, Value]>();

  static from(pairs: Iterable<[Value, Value]>): PyDict {
    const d = new PyDict();
    for (const [k, v] of pairs) d.set(k, v);
    return d;
  }

  get size(): number {
    return this.entries.size;
  }
  has(key: Value): boolean {
    return this.entries.has(hashKey(key));
  }
  get(key: Value): Value | undefined {
    return this.entries.get(hashKey(key))?.[1];
  }
  set(key: Value, value: Value): void {
    const k = hashKey(key);
    const old = this.entries.get(k);
    // Python keeps the first key object and its position: {1: 'a', 1.0: 'b'} is {1: 'b'}.
    if (old) old[1] = value;
    else this.entries.set(k, [key, value]);
  }
  delete(key: Value): boolean {
    return this.entries.delete(hashKey(key));
  }
  clear(): void {
    this.entries.clear();
  }
  keys(): Value[] {
    return [...this.entries.values()].map(([k]) => k);
  }
  values(): Value[] {
    return [...this.entries.values()].map(([, v]) => v);
  }
  items(): Array<[Value, Value]> {
    return [...this.entries.values()].map(([k, v]) => [k, v]);
  }
  copy(): PyDict {
    return PyDict.from(this.items());
  }
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Days since 0001-01-01 (day 1), as Python's date.toordinal(). */
function toOrdinal(y: number, m: number, d: number): number {
  const yy = y - 1;
  let days = yy * 365 + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400);
  for (let i = 0; i < m - 1; i++) days += MONTH_DAYS[i]! + (i === 1 && isLeap(y) ? 1 : 0);
  return days + d;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

export class PyDate {
  constructor(readonly year: number, readonly month: number, readonly day: number) {
    const max = MONTH_DAYS[month - 1]! + (month === 2 && isLeap(year) ? 1 : 0);
    if (month < 1 || month > 12 || day < 1 || day > max) throw new TemplateRuntimeError('day is out of range for month');
  }
  isoformat(): string {
    return `${pad(this.year, 4)}-${pad(this.month)}-${pad(this.day)}`;
  }
  toordinal(): number {
    return toOrdinal(this.year, this.month, this.day);
  }
  /** Monday is 0. */
  weekday(): number {
    return (this.toordinal() + 6) % 7;
  }
  dayOfYear(): number {
    return this.toordinal() - toOrdinal(this.year, 1, 1) + 1;
  }
  strftime(format: string): string {
    return strftime(format, this, 0, 0, 0, 0, null);
  }
}

export class PyDateTime {
  constructor(
    readonly year: number,
    readonly month: number,
    readonly day: number,
    readonly hour: number,
    readonly minute: number,
    readonly second: number,
    readonly microsecond: number,
    /** UTC offset in minutes, or null for a naive datetime. */
    readonly offsetMinutes: number | null,
  ) {
    void new PyDate(year, month, day);
  }
  date(): PyDate {
    return new PyDate(this.year, this.month, this.day);
  }
  /**
   * Microseconds from day one: of the UTC instant for an aware datetime,
   * of the wall clock for a naive one. Python compares and hashes aware
   * datetimes by their instant (21:59-05:00 == 02:59+00:00 the next day).
   */
  instant(): bigint {
    const days = BigInt(this.date().toordinal());
    const seconds = days * 86400n + BigInt(this.hour * 3600 + this.minute * 60 + this.second) - BigInt((this.offsetMinutes ?? 0) * 60);
    return seconds * 1_000_000n + BigInt(this.microsecond);
  }
  isoformat(sep = 'T'): string {
    const frac = this.microsecond ? `.${pad(this.microsecond, 6)}` : '';
    return `${this.date().isoformat()}${sep}${pad(this.hour)}:${pad(this.minute)}:${pad(this.second)}${frac}${offsetText(this.offsetMinutes, ':')}`;
  }
  strftime(format: string): string {
    return strftime(format, this.date(), this.hour, this.minute, this.second, this.microsecond, this.offsetMinutes);
  }
}

function offsetText(minutes: number | null, sep: string): string {
  if (minutes === null) return '';
  const sign = minutes < 0 ? '-' : '+';
  const a = Math.abs(minutes);
  return `${sign}${pad(Math.floor(a / 60))}${sep}${pad(a % 60)}`;
}

/** C's strftime as Python calls it, for the directives that do not depend on the locale beyond C's. */
function strftime(format: string, d: PyDate, h: number, mi: number, s: number, us: number, offset: number | null): string {
  return format.replace(/%(.)/g, (whole, c: string) => {
    switch (c) {
      case 'Y': return String(d.year);
      case 'y': return pad(d.year % 100);
      case 'm': return pad(d.month);
      case 'd': return pad(d.day);
      case 'e': return String(d.day).padStart(2, ' ');
      case 'j': return pad(d.dayOfYear(), 3);
      case 'H': return pad(h);
      case 'I': return pad(h % 12 === 0 ? 12 : h % 12);
      case 'M': return pad(mi);
      case 'S': return pad(s);
      case 'f': return pad(us, 6);
      case 'p': return h < 12 ? 'AM' : 'PM';
      case 'a': return DAY_NAMES[d.weekday()]!.slice(0, 3);
      case 'A': return DAY_NAMES[d.weekday()]!;
      case 'b': case 'h': return MONTH_NAMES[d.month - 1]!.slice(0, 3);
      case 'B': return MONTH_NAMES[d.month - 1]!;
      case 'w': return String((d.weekday() + 1) % 7);
      case 'u': return String(d.weekday() + 1);
      case 'z': return offsetText(offset, '');
      case 'F': return d.isoformat();
      case 'D': return `${pad(d.month)}/${pad(d.day)}/${pad(d.year % 100)}`;
      case 'T': return `${pad(h)}:${pad(mi)}:${pad(s)}`;
      case 'R': return `${pad(h)}:${pad(mi)}`;
      case 'n': return '\n';
      case 't': return '\t';
      case '%': return '%';
      default:
        throw new TemplateRuntimeError(`strftime directive ${whole} is not supported by mensemble (its output depends on the C library or the locale)`);
    }
  });
}

/**
 * A value that is not there: a missing variable, attribute or key. Jinja2's
 * default Undefined is false, empty and iterable; printing it, doing
 * arithmetic with it or reading its attributes is an error here (Jinja2 would
 * print an empty string, which in a namelist is a silent wrong value).
 */
export class Undefined {
  constructor(
    /** What was looked up: `n`, `run.foo`, `d['x']`. */
    readonly what: string,
    /** Why it is missing, for the message. */
    readonly hint?: string,
    /** Jinja2 prints this one as empty text without complaint: an inline `if` without `else`. */
    readonly printsEmpty = false,
    /** Where the value is, when it is somewhere the template cannot see (a run field under model-ensembler's dialect). */
    readonly elsewhere?: string,
  ) {}
  describe(): string {
    return `\`${this.what}\` is undefined${this.hint ? ` (${this.hint})` : ''}`;
  }
  /** The error for using it where a value is needed (printing, arithmetic). */
  error(): TemplateRuntimeError {
    if (this.elsewhere) return new TemplateRuntimeError(`${this.describe()}: ${this.elsewhere}`);
    return new TemplateRuntimeError(`${this.describe()}: no level of the configuration (ensemble vars, batch_config, the batch, the run, generated keys, -x) defines it`);
  }
}

/** A Python callable: a global (range, dict...), a bound method, a macro, `caller`. */
export class PyCallable {
  constructor(
    readonly name: string,
    readonly call: (args: Value[], kwargs: Map<string, Value>) => Value,
    /** Extra attributes (a macro's `name`, `arguments`...). */
    readonly attrs?: Map<string, Value>,
    /** How `{{ f }}` prints it, as Python's repr would. */
    readonly repr?: string,
  ) {}
}

/** One of Jinja2's own objects, with Python attributes: loop, namespace, cycler, joiner, the run namedtuple. */
export interface PyObject {
  readonly pyType: string;
  getattr(name: string): Value | undefined;
  /** Namespace and friends accept `set ns.attr = ...`. */
  setattr?(name: string, value: Value): void;
  repr?(): string;
  /** `str()`, where it is not the repr (a timedelta). */
  str?(): string;
  /** Iteration, length and `in`, for objects that are sequences (the run namedtuple). */
  iterate?(): Value[];
  /** An iterator (a generator): iterable, but without a length, and always true. */
  readonly iterator?: boolean;
  getitem?(key: Value): Value | undefined;
}

export function isPyObject(v: unknown): v is PyObject {
  return typeof v === 'object' && v !== null && typeof (v as PyObject).getattr === 'function' && typeof (v as PyObject).pyType === 'string';
}

export function typeName(v: Value): string {
  if (v === null) return 'NoneType';
  switch (typeof v) {
    case 'boolean': return 'bool';
    case 'bigint': return 'int';
    case 'number': return 'float';
    case 'string': return 'str';
  }
  if (Array.isArray(v)) return 'list';
  if (v instanceof PyTuple) return 'tuple';
  if (v instanceof PyDict) return 'dict';
  if (v instanceof PyDateTime) return 'datetime';
  if (v instanceof PyDate) return 'date';
  if (v instanceof Undefined) return 'Undefined';
  if (v instanceof PyCallable) return 'function';
  if (v instanceof Markup) return 'Markup';
  if (isPyObject(v)) return v.pyType;
  return 'object';
}

/** Python's truth value. */
export function truthy(v: Value): boolean {
  if (v === null) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'bigint': return v !== 0n;
    case 'number': return v !== 0; // NaN is true, as in Python
    case 'string': return v.length > 0;
  }
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof PyTuple) return v.items.length > 0;
  if (v instanceof PyDict) return v.size > 0;
  if (v instanceof Undefined) return false;
  if (v instanceof Markup) return v.text.length > 0;
  if (v instanceof PyTimedelta) return v.total !== 0n;
  if (isPyObject(v) && v.iterate && !v.iterator) return v.iterate().length > 0;
  return true;
}

export function isNumber(v: Value): v is boolean | bigint | number {
  return typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean';
}

/** An int-like value (int or bool) as a bigint, else undefined. */
export function asInt(v: Value): bigint | undefined {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'boolean') return v ? 1n : 0n;
  return undefined;
}

/** A str, whether plain or marked safe. */
export function asStr(v: Value): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Markup) return v.text;
  return undefined;
}

/** Python's code points of a string (a JavaScript string counts UTF-16 units). */
export function codePoints(s: string): string[] {
  // Fast path: no surrogate pairs, so units are code points.
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s) : s.split('');
}

export function strLength(s: string): number {
  return /[\uD800-\uDFFF]/.test(s) ? Array.from(s).length : s.length;
}

const MICROS_PER_DAY = 86_400_000_000n;

/**
 * Python's datetime.timedelta, what subtracting two dates or datetimes
 * gives: days, seconds and microseconds normalized as Python does (only
 * `days` may be negative), printed as `46 days, 0:00:00` by str() and as
 * `datetime.timedelta(days=46)` inside containers.
 */
export class PyTimedelta implements PyObject {
  readonly pyType = 'timedelta';
  readonly days: bigint;
  readonly seconds: bigint;
  readonly microseconds: bigint;

  constructor(readonly total: bigint) {
    const days = total >= 0n ? total / MICROS_PER_DAY : -((-total + MICROS_PER_DAY - 1n) / MICROS_PER_DAY);
    const rest = total - days * MICROS_PER_DAY;
    this.days = days;
    this.seconds = rest / 1_000_000n;
    this.microseconds = rest % 1_000_000n;
  }

  getattr(name: string): Value | undefined {
    if (name === 'days') return this.days;
    if (name === 'seconds') return this.seconds;
    if (name === 'microseconds') return this.microseconds;
    if (name === 'total_seconds') return new PyCallable('timedelta.total_seconds', () => Number(this.total) / 1e6);
    return undefined;
  }

  str(): string {
    const h = this.seconds / 3600n;
    const m = (this.seconds % 3600n) / 60n;
    const s = this.seconds % 60n;
    const clock = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}${this.microseconds ? `.${String(this.microseconds).padStart(6, '0')}` : ''}`;
    if (this.days === 0n) return clock;
    return `${this.days} day${this.days === 1n || this.days === -1n ? '' : 's'}, ${clock}`;
  }

  repr(): string {
    const parts: string[] = [];
    if (this.days) parts.push(`days=${this.days}`);
    if (this.seconds) parts.push(`seconds=${this.seconds}`);
    if (this.microseconds) parts.push(`microseconds=${this.microseconds}`);
    return `datetime.timedelta(${parts.length ? parts.join(', ') : '0'})`;
  }
}

/**
 * The Python attributes and methods templates call on values: `name.upper()`,
 * `d.items()`, `xs.append(1)`, `date.strftime('%Y')`, `x.is_integer()`.
 * A method Python has and mensemble does not is refused by name, never
 * treated as missing.
 */
import { TemplateRuntimeError, UnsupportedConstruct } from './errors.js';
import { strFormat } from './format.js';
import { compareValues, equals, iterate, sliceBounds } from './operations.js';
import { pyRepr } from './printing.js';
import { Markup, NamedTuple, PyCallable, PyDate, PyDateTime, PyDict, PyTuple, Undefined, asInt, asStr, codePoints, isPyObject, strLength, typeName, type PyObject, type Value } from './values.js';
import { CASEFOLD_NOT_LOWER, TITLE_NOT_UPPER } from './unicode-case.js';


/** Python's whitespace (str.isspace), for split and strip without arguments. */
export const PY_WHITESPACE = '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const isSpace = (c: string) => PY_WHITESPACE.includes(c);
const LINE_BREAKS = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/;

function arg(args: Value[], kwargs: Map<string, Value>, index: number, name: string, fallback: Value): Value {
  if (kwargs.has(name)) return kwargs.get(name)!;
  return index < args.length ? args[index]! : fallback;
}

function needStr(v: Value, what: string): string {
  const s = asStr(v);
  if (s === undefined) throw new TemplateRuntimeError(`TypeError: ${what} must be str, not ${typeName(v)}`);
  return s;
}

function needInt(v: Value, what: string): number {
  const i = asInt(v);
  if (i === undefined) throw new TemplateRuntimeError(`TypeError: ${what}: an integer is required, not '${typeName(v)}'`);
  return Number(i);
}

/** Python's optional start/end of str.find and friends, clamped as slice indices. */
function window(s: string, args: Value[], from: number): [string, number] {
  const cps = codePoints(s);
  const n = cps.length;
  const clamp = (v: Value | undefined, d: number) => {
    if (v === undefined || v === null) return d;
    let i = needInt(v, 'slice indices');
    if (i < 0) i += n;
    return Math.max(0, Math.min(i, n));
  };
  const start = clamp(args[from], 0);
  const end = clamp(args[from + 1], n);
  return [cps.slice(start, Math.max(start, end)).join(''), start];
}

function cpIndexOf(s: string, unitIndex: number): number {
  return unitIndex < 0 ? -1 : strLength(s.slice(0, unitIndex));
}

function pySplit(s: string, sep: Value, maxsplit: number, fromRight: boolean): string[] {
  if (sep === null) {
    const words: string[] = [];
    const cps = codePoints(s);
    if (!fromRight) {
      let i = 0;
      while (i < cps.length) {
        while (i < cps.length && isSpace(cps[i]!)) i++;
        if (i >= cps.length) break;
        if (maxsplit >= 0 && words.length === maxsplit) {
          words.push(cps.slice(i).join(''));
          break;
        }
        let j = i;
        while (j < cps.length && !isSpace(cps[j]!)) j++;
        words.push(cps.slice(i, j).join(''));
        i = j;
      }
      return words;
    }
    let i = cps.length;
    while (i > 0) {
      while (i > 0 && isSpace(cps[i - 1]!)) i--;
      if (i <= 0) break;
      if (maxsplit >= 0 && words.length === maxsplit) {
        words.unshift(cps.slice(0, i).join(''));
        break;
      }
      let j = i;
      while (j > 0 && !isSpace(cps[j - 1]!)) j--;
      words.unshift(cps.slice(j, i).join(''));
      i = j;
    }
    return words;
  }
  const separator = needStr(sep, 'separator');
  if (separator === '') throw new TemplateRuntimeError('ValueError: empty separator');
  const parts = s.split(separator);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  if (!fromRight) return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(separator)];
  return [parts.slice(0, parts.length - maxsplit).join(separator), ...parts.slice(parts.length - maxsplit)];
}

function stripSet(chars: Value): (c: string) => boolean {
  if (chars === null) return isSpace;
  const set = needStr(chars, 'strip arg');
  return (c) => set.includes(c);
}

/** Python's str.strip/lstrip/rstrip: `chars` null means whitespace. */
export function pyStrip(s: string, chars: Value, left: boolean, right: boolean): string {
  const drop = stripSet(chars);
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && drop(cps[a]!)) a++;
  if (right) while (b > a && drop(cps[b - 1]!)) b--;
  return cps.slice(a, b).join('');
}

const isCased = (c: string) => /[\p{Lu}\p{Ll}\p{Lt}]/u.test(c);
let titles: Map<string, string> | undefined;

/** A character in titlecase, as Python's title() and capitalize() put a word's first one: upper() but where Python's table says otherwise (ǆ -> ǅ, ß -> Ss). */
export function toTitleChar(c: string): string {
  titles ??= new Map(TITLE_NOT_UPPER.map(([cp, t]) => [String.fromCodePoint(cp), t]));
  return titles.get(c) ?? c.toUpperCase();
}

/** Python's str.title(): a cased letter after an uncased character starts a word. */
export function pyTitle(s: string): string {
  let out = '';
  let previousCased = false;
  const cps = codePoints(s);
  cps.forEach((c, i) => {
    out += previousCased ? (c === 'Σ' ? sigmaAt(cps, i) : c.toLowerCase()) : toTitleChar(c);
    previousCased = isCased(c);
  });
  return out;
}

/**
 * Python's lowercase of a capital sigma preceded by a cased letter: final
 * (ς) unless a cased letter follows, case-ignorable characters skipped
 * (Unicode's Final_Sigma, as CPython's handle_capital_sigma).
 */
function precededByCased(cps: readonly string[], i: number): boolean {
  let j = i - 1;
  while (j >= 0 && /\p{Case_Ignorable}/u.test(cps[j]!)) j--;
  return j >= 0 && isCased(cps[j]!);
}

function sigmaAt(cps: readonly string[], i: number): string {
  let j = i + 1;
  while (j < cps.length && /\p{Case_Ignorable}/u.test(cps[j]!)) j++;
  return j < cps.length && isCased(cps[j]!) ? 'σ' : 'ς';
}

function justify(s: string, width: Value, fill: Value, how: 'l' | 'r' | 'c'): string {
  const w = needInt(width, 'width');
  const f = needStr(fill, 'The fill character');
  if (strLength(f) !== 1) throw new TemplateRuntimeError('TypeError: The fill character must be exactly one character long');
  const n = strLength(s);
  const marg = w - n;
  if (marg <= 0) return s;
  if (how === 'l') return s + f.repeat(marg);
  if (how === 'r') return f.repeat(marg) + s;
  const left = Math.floor(marg / 2) + (marg & w & 1);
  return f.repeat(left) + s + f.repeat(marg - left);
}

function prefixTest(s: string, args: Value[], atEnd: boolean): boolean {
  const [part] = window(s, args, 1);
  const candidates = args[0] instanceof PyTuple ? args[0].items : [args[0] ?? null];
  return candidates.some((p) => {
    const t = needStr(p, atEnd ? 'endswith first arg' : 'startswith first arg');
    return atEnd ? part.endsWith(t) : part.startsWith(t);
  });
}

function replace(s: string, old: string, replacement: string, count: number): string {
  if (count < 0) count = Infinity;
  if (old === '') {
    const cps = codePoints(s);
    let out = '';
    let done = 0;
    for (let i = 0; i <= cps.length; i++) {
      if (done < count) {
        out += replacement;
        done++;
      }
      if (i < cps.length) out += cps[i];
    }
    return out;
  }
  let out = '';
  let rest = s;
  let done = 0;
  while (done < count) {
    const i = rest.indexOf(old);
    if (i < 0) break;
    out += rest.slice(0, i) + replacement;
    rest = rest.slice(i + old.length);
    done++;
  }
  return out + rest;
}

function category(s: string, re: RegExp): boolean {
  return s.length > 0 && [...s].every((c) => re.test(c));
}

const STR_METHODS: Record<string, (s: string, a: Value[], k: Map<string, Value>) => Value> = {
  upper: (s) => s.toUpperCase(),
  lower: (s) => s.toLowerCase(),
  casefold: (s) => casefold(s),
  title: (s) => pyTitle(s),
  capitalize: (s) => {
    const cps = codePoints(s);
    if (!cps.length) return '';
    // The rest lowered in the context of the whole string (a final sigma after the first letter is ς), as Python does.
    const whole = s.toLowerCase();
    return toTitleChar(cps[0]!) + whole.slice(cps[0]!.toLowerCase().length);
  },
  // Python's swapcase: upper-case letters lowered (a capital sigma as lower() would, final or not), lower-case ones
  // raised, everything else (titlecase digraphs such as ǅ, digits) as it is.
  swapcase: (s) => {
    const cps = codePoints(s);
    return cps.map((c, i) => (/\p{Uppercase}/u.test(c) ? (c === 'Σ' && i > 0 && precededByCased(cps, i) ? sigmaAt(cps, i) : c.toLowerCase()) : /\p{Lowercase}/u.test(c) ? c.toUpperCase() : c)).join('');
  },
  strip: (s, a, k) => pyStrip(s, arg(a, k, 0, 'chars', null), true, true),
  lstrip: (s, a, k) => pyStrip(s, arg(a, k, 0, 'chars', null), true, false),
  rstrip: (s, a, k) => pyStrip(s, arg(a, k, 0, 'chars', null), false, true),
  split: (s, a, k) => pySplit(s, arg(a, k, 0, 'sep', null), needInt(arg(a, k, 1, 'maxsplit', -1n), 'maxsplit'), false),
  rsplit: (s, a, k) => pySplit(s, arg(a, k, 0, 'sep', null), needInt(arg(a, k, 1, 'maxsplit', -1n), 'maxsplit'), true),
  splitlines: (s, a, k) => {
    const keep = arg(a, k, 0, 'keepends', false) === true;
    const out: string[] = [];
    let rest = s;
    while (rest.length) {
      const m = LINE_BREAKS.exec(rest);
      if (!m) {
        out.push(rest);
        break;
      }
      out.push(rest.slice(0, m.index + (keep ? m[0].length : 0)));
      rest = rest.slice(m.index + m[0].length);
    }
    return out;
  },
  partition: (s, a) => {
    const sep = needStr(a[0] ?? null, 'sep');
    if (sep === '') throw new TemplateRuntimeError('ValueError: empty separator');
    const i = s.indexOf(sep);
    return i < 0 ? new PyTuple([s, '', '']) : new PyTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  rpartition: (s, a) => {
    const sep = needStr(a[0] ?? null, 'sep');
    if (sep === '') throw new TemplateRuntimeError('ValueError: empty separator');
    const i = s.lastIndexOf(sep);
    return i < 0 ? new PyTuple(['', '', s]) : new PyTuple([s.slice(0, i), sep, s.slice(i + sep.length)]);
  },
  replace: (s, a) => replace(s, needStr(a[0] ?? null, 'replace() argument 1'), needStr(a[1] ?? null, 'replace() argument 2'), a[2] === undefined ? -1 : needInt(a[2], 'count')),
  removeprefix: (s, a) => { const p = needStr(a[0] ?? null, 'removeprefix() argument'); return p && s.startsWith(p) ? s.slice(p.length) : s; },
  removesuffix: (s, a) => { const p = needStr(a[0] ?? null, 'removesuffix() argument'); return p && s.endsWith(p) ? s.slice(0, -p.length) : s; },
  find: (s, a) => { const [w, start] = window(s, a, 1); const i = cpIndexOf(w, w.indexOf(needStr(a[0] ?? null, 'find() argument'))); return BigInt(i < 0 ? -1 : i + start); },
  rfind: (s, a) => { const [w, start] = window(s, a, 1); const i = cpIndexOf(w, w.lastIndexOf(needStr(a[0] ?? null, 'rfind() argument'))); return BigInt(i < 0 ? -1 : i + start); },
  index: (s, a) => { const r = STR_METHODS.find!(s, a, new Map()) as bigint; if (r < 0n) throw new TemplateRuntimeError('ValueError: substring not found'); return r; },
  rindex: (s, a) => { const r = STR_METHODS.rfind!(s, a, new Map()) as bigint; if (r < 0n) throw new TemplateRuntimeError('ValueError: substring not found'); return r; },
  count: (s, a) => {
    const [w] = window(s, a, 1);
    const sub = needStr(a[0] ?? null, 'count() argument');
    if (sub === '') return BigInt(strLength(w) + 1);
    return BigInt(w.split(sub).length - 1);
  },
  startswith: (s, a) => prefixTest(s, a, false),
  endswith: (s, a) => prefixTest(s, a, true),
  join: (s, a) => iterate(a[0] ?? null).map((item, i) => {
    const t = asStr(item);
    if (t === undefined) throw new TemplateRuntimeError(`TypeError: sequence item ${i}: expected str instance, ${typeName(item)} found`);
    return t;
  }).join(s),
  zfill: (s, a) => {
    const w = needInt(a[0] ?? null, 'zfill');
    const n = strLength(s);
    if (n >= w) return s;
    const sign = s[0] === '+' || s[0] === '-' ? s[0] : '';
    return sign + '0'.repeat(w - n) + s.slice(sign.length);
  },
  ljust: (s, a, k) => justify(s, a[0] ?? null, arg(a, k, 1, 'fillchar', ' '), 'l'),
  rjust: (s, a, k) => justify(s, a[0] ?? null, arg(a, k, 1, 'fillchar', ' '), 'r'),
  center: (s, a, k) => justify(s, a[0] ?? null, arg(a, k, 1, 'fillchar', ' '), 'c'),
  expandtabs: (s, a, k) => {
    const size = needInt(arg(a, k, 0, 'tabsize', 8n), 'tabsize');
    let out = '';
    let col = 0;
    for (const c of s) {
      if (c === '\t') {
        const n = size > 0 ? size - (col % size) : 0;
        out += ' '.repeat(n);
        col += n;
      } else {
        out += c;
        col = c === '\n' || c === '\r' ? 0 : col + 1;
      }
    }
    return out;
  },
  isdigit: (s) => category(s, /[\p{Nd}\u00b2\u00b3\u00b9\u2070-\u2079\u2080-\u2089\u2460-\u2468\u2474-\u247c\u2488-\u2490]/u),
  isdecimal: (s) => category(s, /\p{Nd}/u),
  isnumeric: (s) => category(s, /\p{N}/u),
  isalpha: (s) => category(s, /\p{L}/u),
  isalnum: (s) => category(s, /[\p{L}\p{N}]/u),
  isascii: (s) => /^[\x00-\x7f]*$/.test(s),
  isspace: (s) => s.length > 0 && [...s].every(isSpace),
  islower: (s) => /[\p{Lu}\p{Ll}\p{Lt}]/u.test(s) && ![...s].some((c) => /[\p{Lu}\p{Lt}]/u.test(c)),
  isupper: (s) => /[\p{Lu}\p{Ll}\p{Lt}]/u.test(s) && ![...s].some((c) => /[\p{Ll}\p{Lt}]/u.test(c)),
  istitle: (s) => pyTitle(s) === s && /[\p{Lu}\p{Lt}]/u.test(s),
  isidentifier: (s) => /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*$/u.test(s),
  isprintable: (s) => ![...s].some((c) => c !== ' ' && /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u.test(c)),
  format: (s, a, k) => strFormat(s, a, k),
  format_map: (s, a) => {
    const mapping = a[0] ?? null;
    if (!(mapping instanceof PyDict)) throw new TemplateRuntimeError(`TypeError: format_map() argument must be a mapping, not ${typeName(mapping)}`);
    return strFormat(s, [], new Map(mapping.items().filter(([key]) => typeof key === 'string') as Array<[string, Value]>));
  },
};

const UNSUPPORTED_STR = new Set(['encode', 'translate', 'maketrans']);

function sortKey(kwargs: Map<string, Value>): ((v: Value) => Value) | undefined {
  const key = kwargs.get('key');
  if (key === undefined || key === null) return undefined;
  if (!(key instanceof PyCallable)) throw new TemplateRuntimeError(`TypeError: '${typeName(key)}' object is not callable`);
  return (v) => key.call([v], new Map());
}

export function pySort(items: Value[], key?: (v: Value) => Value, reverse = false): Value[] {
  const keyed = items.map((v, i) => ({ v, k: key ? key(v) : v, i }));
  // Python's sort is stable, and reverse=True keeps equal items in their order too.
  keyed.sort((a, b) => {
    const c = reverse ? compareValues(b.k, a.k) : compareValues(a.k, b.k);
    return c || a.i - b.i;
  });
  return keyed.map((e) => e.v);
}

const LIST_METHODS: Record<string, (l: Value[], a: Value[], k: Map<string, Value>) => Value> = {
  append: (l, a) => { l.push(a[0] ?? null); return null; },
  extend: (l, a) => { l.push(...iterate(a[0] ?? null)); return null; },
  insert: (l, a) => {
    let i = needInt(a[0] ?? null, 'insert');
    if (i < 0) i = Math.max(0, i + l.length);
    l.splice(Math.min(i, l.length), 0, a[1] ?? null);
    return null;
  },
  pop: (l, a) => {
    if (!l.length) throw new TemplateRuntimeError('IndexError: pop from empty list');
    let i = a.length ? needInt(a[0]!, 'pop') : l.length - 1;
    if (i < 0) i += l.length;
    if (i < 0 || i >= l.length) throw new TemplateRuntimeError('IndexError: pop index out of range');
    return l.splice(i, 1)[0]!;
  },
  remove: (l, a) => {
    const i = l.findIndex((x) => equals(x, a[0] ?? null));
    if (i < 0) throw new TemplateRuntimeError('ValueError: list.remove(x): x not in list');
    l.splice(i, 1);
    return null;
  },
  index: (l, a) => {
    // list.index(x, start, stop): the window as a slice of the list, indices from the list's start.
    // Unlike a slice, list.index takes no None for its bounds.
    if (a[1] === null || a[2] === null) throw new TemplateRuntimeError('TypeError: slice indices must be integers or have an __index__ method');
    const [from, to] = sliceBounds(l.length, a[1] ?? null, a[2] ?? null, null);
    for (let i = from; i < to; i++) if (equals(l[i]!, a[0] ?? null)) return BigInt(i);
    throw new TemplateRuntimeError(`ValueError: ${pyRepr(a[0] ?? null)} is not in list`);
  },
  count: (l, a) => BigInt(l.filter((x) => equals(x, a[0] ?? null)).length),
  reverse: (l) => { l.reverse(); return null; },
  sort: (l, _a, k) => {
    const sorted = pySort(l, sortKey(k), k.get('reverse') === true);
    l.splice(0, l.length, ...sorted);
    return null;
  },
  copy: (l) => [...l],
  clear: (l) => { l.length = 0; return null; },
};

const TUPLE_METHODS: Record<string, (t: PyTuple, a: Value[]) => Value> = {
  index: (t, a) => LIST_METHODS.index!(t.items, a, new Map()),
  count: (t, a) => LIST_METHODS.count!(t.items, a, new Map()),
};

/** dict.items(), keys() and values(): views that iterate and print as Python's. */
class DictView implements PyObject {
  readonly pyType: string;
  constructor(private readonly dict: PyDict, private readonly kind: 'items' | 'keys' | 'values') {
    this.pyType = `dict_${kind}`;
  }
  iterate(): Value[] {
    if (this.kind === 'keys') return this.dict.keys();
    if (this.kind === 'values') return this.dict.values();
    return this.dict.items().map(([k, v]) => new PyTuple([k, v]));
  }
  getattr(): Value | undefined {
    return undefined;
  }
  repr(): string {
    return `dict_${this.kind}([${this.iterate().map(pyRepr).join(', ')}])`;
  }
}

const DICT_METHODS: Record<string, (d: PyDict, a: Value[], k: Map<string, Value>) => Value> = {
  items: (d) => new DictView(d, 'items') as unknown as Value,
  keys: (d) => new DictView(d, 'keys') as unknown as Value,
  values: (d) => new DictView(d, 'values') as unknown as Value,
  get: (d, a) => (d.has(a[0] ?? null) ? d.get(a[0] ?? null)! : a[1] ?? null),
  pop: (d, a) => {
    const key = a[0] ?? null;
    if (d.has(key)) {
      const v = d.get(key)!;
      d.delete(key);
      return v;
    }
    if (a.length > 1) return a[1]!;
    throw new TemplateRuntimeError(`KeyError: ${pyRepr(key)}`);
  },
  popitem: (d) => {
    const items = d.items();
    if (!items.length) throw new TemplateRuntimeError("KeyError: 'popitem(): dictionary is empty'");
    const [k, v] = items[items.length - 1]!;
    d.delete(k);
    return new PyTuple([k, v]);
  },
  setdefault: (d, a) => {
    const key = a[0] ?? null;
    if (!d.has(key)) d.set(key, a[1] ?? null);
    return d.get(key)!;
  },
  update: (d, a, k) => {
    if (a[0] instanceof PyDict) for (const [key, v] of a[0].items()) d.set(key, v);
    else if (a[0] !== undefined) for (const pair of iterate(a[0])) { const [key, v] = iterate(pair); d.set(key ?? null, v ?? null); }
    for (const [key, v] of k) d.set(key, v);
    return null;
  },
  copy: (d) => d.copy(),
  clear: (d) => { d.clear(); return null; },
};

function method<T>(owner: T, name: string, table: Record<string, (self: T, a: Value[], k: Map<string, Value>) => Value>, typeLabel: string): PyCallable {
  const fn = table[name]!;
  return new PyCallable(`${typeLabel}.${name}`, (a, k) => fn(owner, a, k), undefined, `<built-in method ${name} of ${typeLabel} object>`);
}

function dateAttribute(value: PyDate | PyDateTime, name: string): Value | undefined {
  const dt = value instanceof PyDateTime ? value : undefined;
  const d = value instanceof PyDateTime ? value.date() : value;
  const simple: Record<string, () => Value> = {
    year: () => BigInt(d.year),
    month: () => BigInt(d.month),
    day: () => BigInt(d.day),
  };
  if (dt) {
    Object.assign(simple, {
      hour: () => BigInt(dt.hour),
      minute: () => BigInt(dt.minute),
      second: () => BigInt(dt.second),
      microsecond: () => BigInt(dt.microsecond),
    });
  }
  if (simple[name]) return simple[name]!();
  const calls: Record<string, (a: Value[]) => Value> = {
    strftime: (a) => (dt ?? d).strftime(needStr(a[0] ?? null, 'strftime() argument 1')),
    isoformat: (a) => {
      // date.isoformat() takes nothing; datetime's timespec is not reproduced.
      if (!dt && a.length > 0) throw new TemplateRuntimeError(`TypeError: isoformat() takes no arguments (${a.length} given)`);
      if (a.length > 1) throw new UnsupportedConstruct('`datetime.isoformat` with a timespec', 'mensemble does not implement it');
      return dt ? dt.isoformat(a[0] === undefined ? 'T' : needStr(a[0], 'sep')) : d.isoformat();
    },
    weekday: () => BigInt(d.weekday()),
    isoweekday: () => BigInt(d.weekday() + 1),
    toordinal: () => BigInt(d.toordinal()),
    ctime: () => (dt ?? d).strftime('%a %b %e %H:%M:%S %Y'),
  };
  if (dt) calls.date = () => dt.date();
  if (calls[name]) {
    return new PyCallable(`${dt ? 'datetime' : 'date'}.${name}`, (a, k) => {
      // Python's date methods are built-ins: keyword arguments are errors or not reproduced; never silently ignored.
      if (k.size > 0) {
        if (!dt) throw new TemplateRuntimeError(`TypeError: ${name}() takes no keyword arguments`);
        throw new UnsupportedConstruct(`keyword arguments to \`datetime.${name}\``, 'mensemble does not implement them');
      }
      return calls[name]!(a);
    });
  }
  if (['replace', 'timetuple', 'tzinfo', 'time', 'timestamp', 'utcoffset', 'astimezone', 'isocalendar'].includes(name)) {
    throw new UnsupportedConstruct(`\`${typeName(value)}.${name}\``, 'mensemble does not implement it');
  }
  return undefined;
}

/** str methods markupsafe's Markup does not wrap: they return a plain str (markupsafe 2.1). */
const MARKUP_RETURNS_STR = new Set(['casefold', 'removeprefix', 'removesuffix']);

/**
 * What a method of Markup returns: Markup where markupsafe wraps the method
 * (the text, and each part of split, rsplit, splitlines, partition and
 * rpartition), a plain str where it does not. Markup escapes a method's
 * arguments; none is used for its escaping here.
 */
function asMarkupResult(name: string, r: Value): Value {
  if (MARKUP_RETURNS_STR.has(name)) return r;
  if (typeof r === 'string') return new Markup(r);
  if (Array.isArray(r) && ['split', 'rsplit', 'splitlines'].includes(name)) return r.map((x) => (typeof x === 'string' ? new Markup(x) : x));
  if (r instanceof PyTuple && ['partition', 'rpartition'].includes(name)) return new PyTuple(r.items.map((x) => (typeof x === 'string' ? new Markup(x) : x)));
  return r;
}

/** The Python attribute `name` of `obj`, or undefined if Python has none (then Jinja2 tries obj['name']). */
export function attributeOf(obj: Value, name: string): Value | undefined {
  const s = asStr(obj);
  if (s !== undefined) {
    if (Object.hasOwn(STR_METHODS, name)) {
      const fn = STR_METHODS[name]!;
      return new PyCallable(`str.${name}`, (a, k) => {
        const r = fn(s, a, k);
        return obj instanceof Markup ? asMarkupResult(name, r) : r;
      }, undefined, `<built-in method ${name} of str object>`);
    }
    if (UNSUPPORTED_STR.has(name)) throw new UnsupportedConstruct(`\`str.${name}\``, 'it deals in bytes or translation tables, which templates cannot print the same');
    return undefined;
  }
  if (Array.isArray(obj)) return Object.hasOwn(LIST_METHODS, name) ? method(obj, name, LIST_METHODS, 'list') : undefined;
  if (obj instanceof NamedTuple && obj.field(name) !== undefined) return obj.field(name);
  if (obj instanceof PyTuple) return Object.hasOwn(TUPLE_METHODS, name) ? method(obj, name, TUPLE_METHODS, 'tuple') : undefined;
  if (obj instanceof PyDict) return Object.hasOwn(DICT_METHODS, name) ? method(obj, name, DICT_METHODS, 'dict') : undefined;
  if (obj instanceof PyDate || obj instanceof PyDateTime) return dateAttribute(obj, name);
  if (typeof obj === 'bigint' || typeof obj === 'boolean') {
    const i = asInt(obj)!;
    if (name === 'real' || name === 'numerator') return i;
    if (name === 'imag') return 0n;
    if (name === 'denominator') return 1n;
    if (name === 'bit_length') return new PyCallable('int.bit_length', () => BigInt((i < 0n ? -i : i).toString(2).replace(/^0$/, '').length));
    if (name === 'conjugate') return new PyCallable('int.conjugate', () => i);
    return undefined;
  }
  if (typeof obj === 'number') {
    if (name === 'real') return obj;
    if (name === 'imag') return 0;
    if (name === 'is_integer') return new PyCallable('float.is_integer', () => Number.isInteger(obj));
    if (name === 'conjugate') return new PyCallable('float.conjugate', () => obj);
    if (['hex', 'as_integer_ratio', 'fromhex'].includes(name)) throw new UnsupportedConstruct(`\`float.${name}\``, 'mensemble does not implement it');
    return undefined;
  }
  if (obj instanceof PyCallable) return obj.attrs?.get(name);
  if (obj instanceof Undefined || obj === null) return undefined;
  if (isPyObject(obj)) return obj.getattr(name);
  return undefined;
}

let folds: Map<string, string> | undefined;

/**
 * Python's str.casefold(): full case folding, character by character (no
 * final-sigma context, unlike lower()): lower() except for the characters
 * whose folding Python's table gives otherwise (unicode-casefold.ts).
 */
function casefold(s: string): string {
  folds ??= new Map(CASEFOLD_NOT_LOWER.map(([cp, f]) => [String.fromCodePoint(cp), f]));
  let out = '';
  for (const c of s) out += folds.get(c) ?? c.toLowerCase();
  return out;
}

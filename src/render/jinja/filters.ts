/**
 * Jinja2's built-in filters (3.1), every one, with all their arguments, over
 * Python values. The few whose output Jinja2 itself cannot repeat (random)
 * or that mensemble does not reproduce exactly (urlize, pprint beyond one
 * line, rare HTML entities in striptags) are refused by name rather than
 * approximated.
 */
import { pyFloatRepr } from '../../config/python-values.js';
import { TemplateRuntimeError, UnsupportedConstruct } from './errors.js';
import { percentFormat } from './format.js';
import { PY_WHITESPACE, attributeOf, pySort, pyStrip } from './methods.js';
import { arithmetic, compareValues, equals, getitem, intToFloat, iterate, length } from './operations.js';
import { pyRepr, pyStr } from './printing.js';
import { wrap } from './textwrap.js';
import { PyIterator } from './objects.js';
import { Markup, NamedTuple, PyCallable, PyDict, htmlEscape, PyTuple, Undefined, asInt, asStr, codePoints, hashKey, strLength, truthy, typeName, type Value } from './values.js';

export interface FilterContext {
  callFilter(name: string, value: Value, args: Value[], kwargs: Map<string, Value>): Value;
  callTest(name: string, value: Value, args: Value[]): boolean;
}

export type Filter = (value: Value, args: Value[], kwargs: Map<string, Value>, ctx: FilterContext) => Value;

/** Binds positional and keyword arguments to a filter's parameters, as Python would. */
function params(name: string, args: Value[], kwargs: Map<string, Value>, spec: Array<[string, Value | typeof REQUIRED]>): Value[] {
  if (args.length > spec.length) throw new TemplateRuntimeError(`TypeError: ${name}() takes at most ${spec.length + 1} arguments (${args.length + 1} given)`);
  const out = spec.map(([p, d], i) => {
    if (i < args.length) {
      if (kwargs.has(p)) throw new TemplateRuntimeError(`TypeError: ${name}() got multiple values for argument '${p}'`);
      return args[i]!;
    }
    if (kwargs.has(p)) return kwargs.get(p)!;
    if (d === REQUIRED) throw new TemplateRuntimeError(`TypeError: ${name}() missing required argument '${p}'`);
    return d;
  });
  for (const k of kwargs.keys()) if (!spec.some(([p]) => p === k)) throw new TemplateRuntimeError(`TypeError: ${name}() got an unexpected keyword argument '${k}'`);
  return out;
}
const REQUIRED = Symbol('required');

function toInt(v: Value, what: string): number {
  const i = asInt(v);
  if (i === undefined) throw new TemplateRuntimeError(`TypeError: ${what} must be an integer, not ${typeName(v)}`);
  return Number(i);
}

function softStr(v: Value): string {
  return pyStr(v);
}

/** Jinja2's make_attrgetter: `a.b.0` looks up a, then b, then item 0 (as an int when it is digits). */
function attrGetter(attribute: Value, postprocess?: (v: Value) => Value, fallback?: Value): (item: Value) => Value {
  const s = asStr(attribute);
  const parts: Value[] = s === undefined ? [attribute] : s.split('.').map((p) => (/^\d+$/.test(p) ? BigInt(p) : p));
  return (item) => {
    let v = item;
    for (const part of parts) {
      v = getitem(v, part, `${pyStr(attribute)}`);
      if (v instanceof Undefined && fallback !== undefined) {
        v = fallback;
        break;
      }
    }
    return postprocess ? postprocess(v) : v;
  };
}

const ignoreCase = (v: Value): Value => (typeof v === 'string' ? v.toLowerCase() : v);

function pyFloatOf(v: Value): number | undefined {
  if (typeof v === 'number') return v;
  const i = asInt(v);
  if (i !== undefined) return intToFloat(i);
  const s = asStr(v);
  if (s === undefined) return undefined;
  const t = asciiDigits(pyStrip(s, null, true, true)).replace(/(\d)_(?=\d)/g, '$1');
  if (/^[+-]?(\d+\.?\d*(e[+-]?\d+)?|\.\d+(e[+-]?\d+)?)$/i.test(t)) return Number(t);
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  return undefined;
}


/** Python's int(text, base). */
function pyIntOf(text: string, base: number): bigint | undefined {
  let t = asciiDigits(pyStrip(text, null, true, true));
  let sign = 1n;
  if (t.startsWith('-') || t.startsWith('+')) {
    if (t[0] === '-') sign = -1n;
    t = t.slice(1);
  }
  let b = base;
  const prefix = /^0([box])/i.exec(t);
  if (prefix) {
    const pb = { b: 2, o: 8, x: 16 }[prefix[1]!.toLowerCase() as 'b' | 'o' | 'x'];
    if (b === 0 || b === pb) {
      b = pb;
      t = t.slice(2);
      if (t.startsWith('_')) t = t.slice(1);
    }
  }
  if (b === 0) {
    b = 10;
    if (/^0+[1-9]/.test(t.replace(/_/g, ''))) return undefined;
  }
  if (!t || t.startsWith('_') || t.endsWith('_') || t.includes('__')) return undefined;
  t = t.replace(/_/g, '');
  const digits = '0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, b);
  let n = 0n;
  for (const c of t.toLowerCase()) {
    const d = digits.indexOf(c);
    if (d < 0) return undefined;
    n = n * BigInt(b) + BigInt(d);
  }
  return sign * n;
}

/** Python's round(x, n) for a float: the double nearest the exactly rounded decimal, half to even. */
export function pyRound(x: number, n: number): number {
  if (!Number.isFinite(x) || x === 0) return x;
  if (n > 22) return x;
  if (n >= 0) {
    const rounded = Number(percentFormat(`%.${n}f`, x));
    return rounded === 0 ? (x < 0 ? -0 : 0) : rounded;
  }
  const factor = 10 ** -n;
  const scaled = x / factor;
  const r = Number(percentFormat('%.0f', scaled)) * factor;
  return r === 0 ? (x < 0 ? -0 : 0) : r;
}

const ENTITIES: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', copy: '\u00a9', reg: '\u00ae', deg: '\u00b0',
  plusmn: '\u00b1', micro: '\u00b5', middot: '\u00b7', times: '\u00d7', divide: '\u00f7', laquo: '\u00ab', raquo: '\u00bb',
  ndash: '\u2013', mdash: '\u2014', lsquo: '\u2018', rsquo: '\u2019', ldquo: '\u201c', rdquo: '\u201d', hellip: '\u2026', euro: '\u20ac',
};

/** Python's html.unescape for numeric references and the common named ones; any other `&name;` is refused, not guessed. */
function htmlUnescape(s: string): string {
  return s.replace(/&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[A-Za-z][A-Za-z0-9]*;?)/g, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const hex = ref[1] === 'x' || ref[1] === 'X';
      const cp = parseInt(ref.slice(hex ? 2 : 1).replace(/;$/, ''), hex ? 16 : 10);
      if (cp === 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || (cp >= 0x80 && cp <= 0x9f)) {
        throw new UnsupportedConstruct(`the filter \`striptags\` on the character reference ${whole}`, 'Python replaces it by a table of its own');
      }
      return String.fromCodePoint(cp);
    }
    const name = ref.replace(/;$/, '');
    if (ref.endsWith(';') && Object.hasOwn(ENTITIES, name)) return ENTITIES[name]!;
    throw new UnsupportedConstruct(`the filter \`striptags\` on text with the entity ${whole}`, 'mensemble knows only the common HTML entities');
  });
}


function selectOrReject(value: Value, args: Value[], ctx: FilterContext, keep: boolean, attribute: boolean): Value[] {
  const items = iterate(value);
  let rest = args;
  let get: (v: Value) => Value = (v) => v;
  if (attribute) {
    if (!rest.length) throw new TemplateRuntimeError('TypeError: Missing parameter for attribute name');
    get = attrGetter(rest[0]!);
    rest = rest.slice(1);
  }
  let test: (v: Value) => boolean;
  if (rest.length) {
    const name = asStr(rest[0]!);
    if (name === undefined) throw new TemplateRuntimeError('the test name must be a string');
    const testArgs = rest.slice(1);
    test = (v) => ctx.callTest(name, v, testArgs);
  } else test = truthy;
  return items.filter((item) => test(get(item)) === keep);
}

function jsonDumps(v: Value, indent: string | undefined, level: number): string {
  if (v === null) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : !Number.isFinite(v) ? (v > 0 ? 'Infinity' : '-Infinity') : pyFloatRepr(v);
  const s = asStr(v);
  if (s !== undefined) return jsonString(s);
  const nl = indent === undefined ? '' : `\n${indent.repeat(level + 1)}`;
  const end = indent === undefined ? '' : `\n${indent.repeat(level)}`;
  const sep = indent === undefined ? ', ' : ',';
  if (Array.isArray(v) || v instanceof PyTuple) {
    const items = Array.isArray(v) ? v : v.items;
    if (!items.length) return '[]';
    return `[${nl}${items.map((i) => jsonDumps(i, indent, level + 1)).join(sep + nl)}${end}]`;
  }
  if (v instanceof PyDict) {
    if (!v.size) return '{}';
    const pairs = v.items().map(([k, x]) => [jsonKey(k), x] as const);
    // sort_keys=True: Python sorts the original keys, which must be comparable.
    const sorted = pySort(v.keys(), undefined).map((k) => pairs.find(([, ], i) => equals(v.keys()[i]!, k))!);
    return `{${nl}${sorted.map(([k, x]) => `${jsonString(k)}: ${jsonDumps(x, indent, level + 1)}`).join(sep + nl)}${end}}`;
  }
  throw new TemplateRuntimeError(`TypeError: Object of type ${typeName(v)} is not JSON serializable`);
}

function jsonKey(k: Value): string {
  const s = asStr(k);
  if (s !== undefined) return s;
  if (typeof k === 'number') return jsonDumps(k, undefined, 0);
  if (typeof k === 'bigint' || typeof k === 'boolean' || k === null) return jsonDumps(k, undefined, 0);
  throw new TemplateRuntimeError(`TypeError: keys must be str, int, float, bool or None, not ${typeName(k)}`);
}

/** json.dumps of a str with ensure_ascii=True. */
function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    const code = s.charCodeAt(i);
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (code < 0x20 || code > 0x7e) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

function urlQuote(s: string, forQuery: boolean): string {
  const safe = forQuery ? '' : '/';
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(c) || safe.includes(c)) out += c;
    else if (forQuery && c === ' ') out += '+';
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** repr() as pprint writes it: dict items sorted by key (keys Python cannot order are refused). */
function sortedRepr(v: Value): string {
  if (Array.isArray(v)) return `[${v.map(sortedRepr).join(', ')}]`;
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${sortedRepr(v.items[0]!)},)` : `(${v.items.map(sortedRepr).join(', ')})`;
  if (v instanceof PyDict) {
    let keys: Value[];
    try {
      keys = pySort(v.keys());
    } catch {
      throw new UnsupportedConstruct('the filter `pprint` of a dict whose keys Python cannot sort', 'pprint then orders them by type name and identity');
    }
    return `{${keys.map((key) => `${sortedRepr(key)}: ${sortedRepr(v.get(key)!)}`).join(', ')}}`;
  }
  return pyRepr(v);
}

/** Calls a Python method of a str or of Markup (the filters that are its methods under another name). */
function callMethod(s: string | Markup, name: string, args: Value[]): Value {
  return (attributeOf(s, name) as PyCallable).call(args, new Map());
}

/** Jinja2's soft_str: Markup stays Markup (so `soft_str(s).upper()` is Markup, as markupsafe's methods return it); anything else is str(). */
function softText(v: Value): string | Markup {
  return v instanceof Markup ? v : softStr(v);
}

const refuse = (name: string, why: string): Filter => () => {
  throw new UnsupportedConstruct(`the filter \`${name}\``, why);
};

export const FILTERS: Record<string, Filter> = {
  abs: (v) => {
    const i = asInt(v);
    if (i !== undefined) return i < 0n ? -i : i;
    if (typeof v === 'number') return Math.abs(v);
    throw new TemplateRuntimeError(`TypeError: bad operand type for abs(): '${typeName(v)}'`);
  },
  attr: (v, a, k) => {
    const [name] = params('attr', a, k, [['name', REQUIRED]]);
    const n = asStr(name!);
    if (n === undefined) throw new TemplateRuntimeError('TypeError: attribute name must be string');
    return attributeOf(v, n) ?? new Undefined(`|attr(${pyStr(name!)})`, `'${typeName(v)}' object has no attribute '${n}'`);
  },
  batch: (v, a, k) => {
    const [count, fill] = params('batch', a, k, [['linecount', REQUIRED], ['fill_with', null]]);
    const n = toInt(count!, 'linecount');
    const out: Value[] = [];
    let tmp: Value[] = [];
    for (const item of iterate(v)) {
      if (tmp.length === n) {
        out.push(tmp);
        tmp = [];
      }
      tmp.push(item);
    }
    if (tmp.length) {
      if (fill !== null && tmp.length < n) while (tmp.length < n) tmp.push(fill!);
      out.push(tmp);
    }
    return new PyIterator('generator', out);
  },
  // Jinja2: soft_str(s).capitalize(), whose first character is put in titlecase (Python 3.8 and later).
  capitalize: (v) => callMethod(softText(v), 'capitalize', []),
  center: (v, a, k) => {
    const [width] = params('center', a, k, [['width', 80n]]);
    return callMethod(softText(v), 'center', [width!]);
  },
  count: (v) => length(v),
  length: (v) => length(v),
  default: (v, a, k) => {
    const [fallback, boolean] = params('default', a, k, [['default_value', ''], ['boolean', false]]);
    if (v instanceof Undefined || (truthy(boolean!) && !truthy(v))) return fallback!;
    return v;
  },
  dictsort: (v, a, k) => {
    const [caseSensitive, by, reverse] = params('dictsort', a, k, [['case_sensitive', false], ['by', 'key'], ['reverse', false]]);
    if (!(v instanceof PyDict)) throw new TemplateRuntimeError(`AttributeError: '${typeName(v)}' object has no attribute 'items'`);
    const pos = by === 'key' ? 0 : by === 'value' ? 1 : -1;
    if (pos < 0) throw new TemplateRuntimeError('FilterArgumentError: You can only sort by either "key" or "value"');
    const items = v.items().map(([key, x]) => new PyTuple([key, x]));
    return pySort(items, (t) => {
      const x = (t as PyTuple).items[pos]!;
      return truthy(caseSensitive!) ? x : ignoreCase(x);
    }, truthy(reverse!));
  },
  escape: (v) => (v instanceof Markup ? v : new Markup(htmlEscape(softStr(v)))),
  forceescape: (v) => new Markup(htmlEscape(softStr(v))),
  filesizeformat: (v, a, k) => {
    const [binary] = params('filesizeformat', a, k, [['binary', false]]);
    const bytes = pyFloatOf(v);
    if (bytes === undefined) throw new TemplateRuntimeError(`TypeError: float() argument must be a string or a real number, not '${typeName(v)}'`);
    const base = truthy(binary!) ? 1024 : 1000;
    const prefixes = truthy(binary!) ? ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'] : ['kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
    if (bytes === 1) return '1 Byte';
    if (bytes < base) return `${percentFormat('%d', BigInt(Math.trunc(bytes)))} Bytes`;
    let unit = base;
    let prefix = prefixes[0]!;
    for (let i = 0; i < prefixes.length; i++) {
      unit = base ** (i + 2);
      prefix = prefixes[i]!;
      if (bytes < unit) break;
    }
    return `${percentFormat('%.1f', (base * bytes) / unit)} ${prefix}`;
  },
  first: (v) => {
    const items = iterate(v);
    return items.length ? items[0]! : new Undefined('|first', 'No first item, sequence was empty.');
  },
  last: (v) => {
    const items = iterate(v);
    return items.length ? items[items.length - 1]! : new Undefined('|last', 'No last item, sequence was empty.');
  },
  float: (v, a, k) => {
    // Jinja2's Undefined fails float() (UndefinedError), which the filter does not catch: no default.
    if (v instanceof Undefined) throw v.error();
    const [fallback] = params('float', a, k, [['default', 0.0]]);
    return pyFloatOf(v) ?? fallback!;
  },
  format: (v, a, k) => {
    if (a.length && k.size) throw new TemplateRuntimeError("FilterArgumentError: can't handle positional and keyword arguments at the same time");
    return percentFormat(softStr(v), k.size ? PyDict.from([...k]) : new PyTuple(a));
  },
  groupby: (v, a, k) => {
    const [attribute, fallback, caseSensitive] = params('groupby', a, k, [['attribute', REQUIRED], ['default', null], ['case_sensitive', false]]);
    const cs = truthy(caseSensitive!);
    const key = attrGetter(attribute!, cs ? undefined : ignoreCase, fallback === null ? undefined : fallback!);
    const output = attrGetter(attribute!, undefined, fallback === null ? undefined : fallback!);
    const sorted = pySort(iterate(v), key);
    const groups: Value[] = [];
    let current: { k: Value; items: Value[] } | undefined;
    for (const item of sorted) {
      const kv = key(item);
      if (current && equals(current.k, kv)) current.items.push(item);
      else {
        current = { k: kv, items: [item] };
        groups.push(new NamedTuple(['grouper', 'list'], [output(item), current.items]));
      }
    }
    return groups;
  },
  indent: (v, a, k) => {
    const [width, first, blank] = params('indent', a, k, [['width', 4n], ['first', false], ['blank', false]]);
    const indention = asStr(width!) ?? ' '.repeat(toInt(width!, 'width'));
    const s = `${softStr(v)}\n`;
    const lines = callMethod(s, 'splitlines', []) as string[];
    let rv: string;
    if (truthy(blank!)) rv = lines.map((l, i) => (i === 0 ? l : indention + l)).join('\n');
    else {
      rv = lines.shift() ?? '';
      if (lines.length) rv += `\n${lines.map((l) => (l ? indention + l : l)).join('\n')}`;
    }
    if (truthy(first!)) rv = indention + rv;
    return rv;
  },
  int: (v, a, k) => {
    // As for float: int(Undefined) raises UndefinedError, which the filter does not catch.
    if (v instanceof Undefined) throw v.error();
    const [fallback, base] = params('int', a, k, [['default', 0n], ['base', 10n]]);
    const s = asStr(v);
    if (s !== undefined) {
      const b = toInt(base!, 'base');
      const i = pyIntOf(s, b);
      if (i !== undefined) return i;
      const f = pyFloatOf(s);
      if (f !== undefined) return floatToInt(f, fallback!);
      return fallback!;
    }
    const i = asInt(v);
    if (i !== undefined) return i;
    if (typeof v === 'number') return floatToInt(v, fallback!);
    return fallback!;
  },
  items: (v) => {
    if (v instanceof Undefined) return new PyIterator('generator', []);
    if (!(v instanceof PyDict)) throw new TemplateRuntimeError(`TypeError: Can only get item pairs from a mapping, not ${typeName(v)}`);
    return new PyIterator('generator', v.items().map(([key, x]) => new PyTuple([key, x])));
  },
  join: (v, a, k) => {
    const [sep, attribute] = params('join', a, k, [['d', ''], ['attribute', null]]);
    let items = iterate(v);
    if (attribute !== null) items = items.map(attrGetter(attribute!));
    return items.map(softStr).join(softStr(sep!));
  },
  list: (v) => [...iterate(v)],
  lower: (v) => callMethod(softText(v), 'lower', []),
  upper: (v) => callMethod(softText(v), 'upper', []),
  map: (v, a, k, ctx) => {
    const items = iterate(v);
    if (k.has('attribute')) {
      const attribute = k.get('attribute')!;
      const fallback = k.get('default');
      for (const key of k.keys()) if (key !== 'attribute' && key !== 'default') throw new TemplateRuntimeError(`FilterArgumentError: Unexpected keyword argument '${key}'`);
      return new PyIterator('generator', items.map(attrGetter(attribute, undefined, fallback)));
    }
    if (!a.length) throw new TemplateRuntimeError('FilterArgumentError: map requires a filter argument');
    const name = asStr(a[0]!);
    if (name === undefined) throw new TemplateRuntimeError('the filter name must be a string');
    return new PyIterator('generator', items.map((item) => ctx.callFilter(name, item, a.slice(1), k)));
  },
  max: (v, a, k) => minMax(v, a, k, 'max'),
  min: (v, a, k) => minMax(v, a, k, 'min'),
  pprint: (v) => {
    // pprint.pformat: repr with dict keys sorted, on one line when it fits in 80 columns.
    const text = sortedRepr(v);
    if (strLength(text) > 80) throw new UnsupportedConstruct('the filter `pprint` of a value whose repr is longer than 80 characters', "Python's pprint line-breaking rules are not reproduced");
    return text;
  },
  random: refuse('random', 'its result is random, so no two renderings match'),
  reject: (v, a, _k, ctx) => new PyIterator('generator', selectOrReject(v, a, ctx, false, false)),
  rejectattr: (v, a, _k, ctx) => new PyIterator('generator', selectOrReject(v, a, ctx, false, true)),
  select: (v, a, _k, ctx) => new PyIterator('generator', selectOrReject(v, a, ctx, true, false)),
  selectattr: (v, a, _k, ctx) => new PyIterator('generator', selectOrReject(v, a, ctx, true, true)),
  replace: (v, a, k) => {
    const [old, replacement, count] = params('replace', a, k, [['old', REQUIRED], ['new', REQUIRED], ['count', null]]);
    return callMethod(softStr(v), 'replace', [softStr(old!), softStr(replacement!), count === null ? -1n : count!]);
  },
  // Jinja2: a str reversed; else reversed(value), an iterator (list_reverseiterator of a list, dict_reversekeyiterator of
  // a dict, `reversed` of a tuple); what reversed() refuses (a generator), a list.
  reverse: (v) => {
    const s = asStr(v);
    if (s !== undefined) return codePoints(s).reverse().join('');
    const reversedType = Array.isArray(v) ? 'list_reverseiterator' : v instanceof PyDict ? 'dict_reversekeyiterator' : v instanceof PyTuple ? 'reversed' : undefined;
    const items = [...iterate(v)].reverse();
    return reversedType ? new PyIterator(reversedType, items) : items;
  },
  round: (v, a, k) => {
    const [precision, method] = params('round', a, k, [['precision', 0n], ['method', 'common']]);
    const p = toInt(precision!, 'precision');
    const m = asStr(method!);
    if (m !== 'common' && m !== 'ceil' && m !== 'floor') throw new TemplateRuntimeError('FilterArgumentError: method must be common, ceil or floor');
    if (m === 'common') {
      const i = asInt(v);
      if (i !== undefined) {
        if (p >= 0) return i;
        const f = 10n ** BigInt(-p);
        const [q, r] = [i / f - (i % f < 0n ? 1n : 0n), ((i % f) + f) % f];
        const twice = r * 2n;
        return (twice > f || (twice === f && q % 2n !== 0n) ? q + 1n : q) * f;
      }
      if (typeof v !== 'number') throw new TemplateRuntimeError(`TypeError: type ${typeName(v)} doesn't define __round__ method`);
      return pyRound(v, p);
    }
    const x = pyFloatOf(v);
    if (x === undefined || asStr(v) !== undefined) throw new TemplateRuntimeError(`TypeError: must be real number, not ${typeName(v)}`);
    const factor = 10 ** p;
    const scaled = arithmetic('mul', v, p >= 0 ? 10n ** BigInt(p) : factor);
    const fs = typeof scaled === 'number' ? scaled : intToFloat(asInt(scaled)!);
    const rounded = m === 'ceil' ? Math.ceil(fs) : Math.floor(fs);
    return arithmetic('div', BigInt(rounded), p >= 0 ? 10n ** BigInt(p) : factor) as number;
  },
  safe: (v) => (v instanceof Markup ? v : new Markup(softStr(v))),
  slice: (v, a, k) => {
    const [slices, fill] = params('slice', a, k, [['slices', REQUIRED], ['fill_with', null]]);
    const seq = [...iterate(v)];
    const n = toInt(slices!, 'slices');
    const perSlice = Math.floor(seq.length / n);
    const withExtra = seq.length % n;
    let offset = 0;
    const out: Value[] = [];
    for (let i = 0; i < n; i++) {
      const start = offset + i * perSlice;
      if (i < withExtra) offset += 1;
      const end = offset + (i + 1) * perSlice;
      const tmp = seq.slice(start, end);
      if (fill !== null && i >= withExtra) tmp.push(fill!);
      out.push(tmp);
    }
    return new PyIterator('generator', out);
  },
  sort: (v, a, k) => {
    const [reverse, caseSensitive, attribute] = params('sort', a, k, [['reverse', false], ['case_sensitive', false], ['attribute', null]]);
    const post = truthy(caseSensitive!) ? undefined : ignoreCase;
    let key: (x: Value) => Value = post ?? ((x) => x);
    if (attribute !== null) {
      const attrs = (asStr(attribute!) ?? '').split(',').map((s) => s.trim());
      const getters = attrs.map((at) => attrGetter(at, post));
      key = attrs.length > 1 ? (x) => getters.map((g) => g(x)) : getters[0]!;
    }
    return pySort([...iterate(v)], key, truthy(reverse!));
  },
  string: (v) => (v instanceof Markup ? v : softStr(v)),
  striptags: (v) => {
    // markupsafe: comments, then tags, then whitespace collapsed, then entities decoded.
    const s = softStr(v).replace(/<!--[\s\S]*?-->/g, '').replace(/<[\s\S]*?>/g, '');
    return htmlUnescape(s.split(new RegExp(`[${PY_WHITESPACE}]+`)).filter(Boolean).join(' '));
  },
  sum: (v, a, k) => {
    const [attribute, start] = params('sum', a, k, [['attribute', null], ['start', 0n]]);
    let items = iterate(v);
    if (attribute !== null) items = items.map(attrGetter(attribute!));
    return items.reduce<Value>((acc, x) => arithmetic('add', acc, x), start!);
  },
  title: (v) => {
    const s = softStr(v);
    return s
      .split(/([-\s({[<]+)/u)
      .filter((item) => item)
      .map((item) => {
        const cps = codePoints(item);
        return cps[0]!.toUpperCase() + cps.slice(1).join('').toLowerCase();
      })
      .join('');
  },
  tojson: (v, a, k) => {
    const [indent] = params('tojson', a, k, [['indent', null]]);
    let ind: string | undefined;
    if (indent !== null) ind = asStr(indent!) ?? ' '.repeat(toInt(indent!, 'indent'));
    const text = jsonDumps(v, ind, 0);
    return new Markup(text.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/'/g, '\\u0027'));
  },
  trim: (v, a, k) => {
    const [chars] = params('trim', a, k, [['chars', null]]);
    return callMethod(softText(v), 'strip', [chars!]);
  },
  truncate: (v, a, k) => {
    const [len, killwords, end, leeway] = params('truncate', a, k, [['length', 255n], ['killwords', false], ['end', '...'], ['leeway', null]]);
    // Jinja2 takes len() of the value itself, before any conversion to text: a number has none.
    if (typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' || v === null) throw new TemplateRuntimeError(`TypeError: object of type '${typeName(v)}' has no len()`);
    const s = softStr(v);
    const n = toInt(len!, 'length');
    const e = softStr(end!);
    const lw = leeway === null ? 5 : toInt(leeway!, 'leeway');
    if (n < strLength(e)) throw new TemplateRuntimeError(`AssertionError: expected length >= ${strLength(e)}, got ${n}`);
    if (lw < 0) throw new TemplateRuntimeError(`AssertionError: expected leeway >= 0, got ${lw}`);
    // A short value is returned as it is: Markup stays Markup. A long Markup is cut with Markup's own methods, which escape the end: refused.
    if (strLength(s) <= n + lw) return v instanceof Markup ? v : s;
    if (v instanceof Markup) throw new UnsupportedConstruct('truncate of Markup (the output of tojson or safe) longer than the length', 'Jinja2 cuts it with Markup\'s own methods, which escape the end');
    const head = codePoints(s).slice(0, n - strLength(e)).join('');
    if (truthy(killwords!)) return head + e;
    const cut = head.lastIndexOf(' ');
    return (cut < 0 ? head : head.slice(0, cut)) + e;
  },
  unique: (v, a, k) => {
    const [caseSensitive, attribute] = params('unique', a, k, [['case_sensitive', false], ['attribute', null]]);
    const post = truthy(caseSensitive!) ? undefined : ignoreCase;
    const key = attribute !== null ? attrGetter(attribute!, post) : (post ?? ((x: Value) => x));
    const seen = new Set<string>();
    return new PyIterator('generator', iterate(v).filter((item) => {
      const h = hashKey(key(item));
      if (seen.has(h)) return false;
      seen.add(h);
      return true;
    }));
  },
  urlencode: (v) => {
    const s = asStr(v);
    if (s !== undefined) return urlQuote(s, false);
    const pairs = v instanceof PyDict ? v.items() : iterate(v).map((p) => iterate(p) as [Value, Value]);
    return pairs.map(([key, x]) => `${urlQuote(softStr(key), true)}=${urlQuote(softStr(x), true)}`).join('&');
  },
  urlize: refuse('urlize', 'its URL detection rules are not reproduced'),
  wordcount: (v) => BigInt((softStr(v).match(/[\p{L}\p{N}_]+/gu) ?? []).length),
  wordwrap: (v, a, k) => {
    const [width, breakLong, wrapstring, breakOnHyphens] = params('wordwrap', a, k, [['width', 79n], ['break_long_words', true], ['wrapstring', null], ['break_on_hyphens', true]]);
    const w = toInt(width!, 'width');
    if (w <= 0) throw new TemplateRuntimeError(`ValueError: invalid width ${w} (must be > 0)`);
    const sep = wrapstring === null ? '\n' : softStr(wrapstring!);
    // Each line is wrapped on its own: textwrap does not see existing line breaks.
    return (callMethod(softStr(v), 'splitlines', []) as string[]).map((line) => wrap(line, w, truthy(breakLong!), truthy(breakOnHyphens!)).join(sep)).join(sep);
  },
  xmlattr: (v, a, k) => {
    const [autospace] = params('xmlattr', a, k, [['autospace', true]]);
    if (!(v instanceof PyDict)) throw new TemplateRuntimeError(`AttributeError: '${typeName(v)}' object has no attribute 'items'`);
    const items: string[] = [];
    for (const [key, value] of v.items()) {
      if (value === null || value instanceof Undefined) continue;
      const name = softStr(key);
      if (/[\t\n\v\f\r /=>]/.test(name)) throw new TemplateRuntimeError(`ValueError: Invalid character in attribute name: ${pyRepr(name)}`);
      items.push(`${htmlEscape(name)}="${value instanceof Markup ? value.text : htmlEscape(softStr(value))}"`);
    }
    const rv = items.join(' ');
    return truthy(autospace!) && rv ? ` ${rv}` : rv;
  },
};
FILTERS.d = FILTERS.default!;
FILTERS.e = FILTERS.escape!;

function minMax(v: Value, a: Value[], k: Map<string, Value>, which: 'min' | 'max'): Value {
  const [caseSensitive, attribute] = params(which, a, k, [['case_sensitive', false], ['attribute', null]]);
  const items = iterate(v);
  if (!items.length) return new Undefined(`|${which}`, `No aggregated item, sequence was empty.`);
  const post = truthy(caseSensitive!) ? undefined : ignoreCase;
  const key = attribute !== null ? attrGetter(attribute!, post) : (post ?? ((x: Value) => x));
  let best: Value = items[0]!;
  for (const item of items.slice(1)) {
    const c = compareValues(key(item), key(best));
    if (which === 'min' ? c < 0 : c > 0) best = item;
  }
  return best;
}

/**
 * int() of a float inside the int filter: NaN is a ValueError, which the
 * filter turns into its default; an infinity is an OverflowError, which it
 * does not catch.
 */
function floatToInt(f: number, fallback: Value): Value {
  if (Number.isNaN(f)) return fallback;
  if (!Number.isFinite(f)) throw new TemplateRuntimeError('OverflowError: cannot convert float infinity to integer');
  return BigInt(Math.trunc(f));
}

/**
 * Python's int() and float() read any Unicode decimal digit (`'٣'` is 3).
 * Decimal digits come in runs of ten, 0 to 9, so a digit's value is its
 * distance from the start of its run, modulo ten.
 */
function asciiDigits(s: string): string {
  if (!/[^\x00-\x7f]/.test(s)) return s;
  return s.replace(/\p{Nd}/gu, (d) => {
    const cp = d.codePointAt(0)!;
    if (cp < 0x80) return d;
    let start = cp;
    while (/\p{Nd}/u.test(String.fromCodePoint(start - 1))) start--;
    return String((cp - start) % 10);
  });
}

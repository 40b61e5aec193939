/** Python's `str()` and `repr()` of template values: what `{{ x }}` writes into a run directory. */
import { pyFloatRepr } from '../../config/python-values.js';
import { UnsupportedConstruct } from './errors.js';
import { NOT_PRINTABLE } from './unicode-case.js';
import { Markup, PyCallable, PyDate, PyDateTime, PyDict, PyTuple, Undefined, isPyObject, type Value } from './values.js';

/** `str(value)`: how `{{ value }}`, `~` and `|string` print. */
export function pyStr(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof Markup) return v.text;
  if (v instanceof Undefined) {
    if (v.printsEmpty) return '';
    throw v.error();
  }
  if (v instanceof PyDateTime) return v.isoformat(' ');
  if (v instanceof PyDate) return v.isoformat();
  if (isPyObject(v) && v.str) return v.str();
  return pyRepr(v);
}

/** `repr(value)`: how values print inside lists, tuples and dicts. */
export function pyRepr(v: Value): string {
  if (v === null) return 'None';
  switch (typeof v) {
    case 'boolean': return v ? 'True' : 'False';
    case 'bigint': return v.toString();
    case 'number': return pyFloatRepr(v);
    case 'string': return strRepr(v);
  }
  if (Array.isArray(v)) return `[${v.map(pyRepr).join(', ')}]`;
  if (v instanceof PyTuple) return v.items.length === 1 ? `(${pyRepr(v.items[0]!)},)` : `(${v.items.map(pyRepr).join(', ')})`;
  if (v instanceof PyDict) return `{${v.items().map(([k, x]) => `${pyRepr(k)}: ${pyRepr(x)}`).join(', ')}}`;
  if (v instanceof Markup) return `Markup(${strRepr(v.text)})`;
  if (v instanceof PyDateTime) {
    if (v.offsetMinutes !== null) throw new UnsupportedConstruct('printing a datetime with a time zone inside a list or dict', "its repr names Python's timezone objects");
    const parts = [v.year, v.month, v.day, v.hour, v.minute];
    if (v.second || v.microsecond) parts.push(v.second);
    if (v.microsecond) parts.push(v.microsecond);
    return `datetime.datetime(${parts.join(', ')})`;
  }
  if (v instanceof PyDate) return `datetime.date(${v.year}, ${v.month}, ${v.day})`;
  if (v instanceof Undefined) return pyStr(v);
  if (v instanceof PyCallable) {
    if (v.repr) return v.repr;
    throw new UnsupportedConstruct(`printing the function \`${v.name}\``, "Python prints a memory address that mensemble cannot reproduce");
  }
  if (isPyObject(v) && v.repr) return v.repr();
  throw new UnsupportedConstruct(`printing a ${isPyObject(v) ? v.pyType : 'value'} object`, 'Python prints a memory address that mensemble cannot reproduce');
}

/**
 * Whether Python's repr() escapes a character: str.isprintable() of the
 * tests' Python (its Unicode version, from unicode-case.ts), not Node's,
 * whose Unicode is newer (U+0C5C was unassigned in Python's, and escaped).
 */
function notPrintable(cp: number): boolean {
  if (cp >= 0x20 && cp < 0x7f) return false;
  let lo = 0;
  let hi = NOT_PRINTABLE.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const [first, last] = NOT_PRINTABLE[mid]!;
    if (cp < first) hi = mid - 1;
    else if (cp > last) lo = mid + 1;
    else return true;
  }
  return false;
}

/** Python's repr of a str: its choice of quotes and its escapes. */
export function strRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (notPrintable(ch.codePointAt(0)!)) {
      const cp = ch.codePointAt(0)!;
      out += cp < 0x100 ? `\\x${cp.toString(16).padStart(2, '0')}` : cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    } else out += ch;
  }
  return out + quote;
}

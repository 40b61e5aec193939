/** Jinja2's built-in tests (`x is defined`, `n is divisibleby 3`...), all of them, over Python values. */
import { TemplateRuntimeError } from './errors.js';
import { arithmetic, compare, contains } from './operations.js';
import { Markup, PyCallable, PyDict, PyTuple, Undefined, asStr, isPyObject, type Value } from './values.js';
import { FILTERS } from './filters.js';
import { pyStr } from './printing.js';

export type Test = (value: Value, args: Value[]) => boolean;

function one(args: Value[], name: string): Value {
  if (args.length < 1) throw new TemplateRuntimeError(`TypeError: the test '${name}' needs an argument`);
  return args[0]!;
}

const cmp = (op: 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq', name: string): Test => (v, a) => compare(op, v, one(a, name));

function isMapping(v: Value): boolean {
  return v instanceof PyDict;
}

export const TESTS: Record<string, Test> = {
  odd: (v) => compare('eq', arithmetic('mod', v, 2n), 1n),
  even: (v) => compare('eq', arithmetic('mod', v, 2n), 0n),
  divisibleby: (v, a) => compare('eq', arithmetic('mod', v, one(a, 'divisibleby')), 0n),
  defined: (v) => !(v instanceof Undefined),
  undefined: (v) => v instanceof Undefined,
  filter: (v) => {
    const s = asStr(v);
    return s !== undefined && Object.hasOwn(FILTERS, s);
  },
  test: (v) => {
    const s = asStr(v);
    return s !== undefined && Object.hasOwn(TESTS, s);
  },
  none: (v) => v === null,
  boolean: (v) => typeof v === 'boolean',
  false: (v) => v === false,
  true: (v) => v === true,
  integer: (v) => typeof v === 'bigint',
  float: (v) => typeof v === 'number',
  lower: (v) => {
    const s = pyStr(v);
    return s === s.toLowerCase() && /[\p{Lu}\p{Ll}\p{Lt}]/u.test(s);
  },
  upper: (v) => {
    const s = pyStr(v);
    return s === s.toUpperCase() && /[\p{Lu}\p{Ll}\p{Lt}]/u.test(s);
  },
  string: (v) => asStr(v) !== undefined,
  mapping: isMapping,
  // numbers.Number: bool is an int in Python.
  number: (v) => typeof v === 'bigint' || typeof v === 'number' || typeof v === 'boolean',
  // Jinja2's test: len(v) and v.__getitem__ both exist. Undefined has both (its __getitem__ fails only when called); a generator has neither.
  sequence: (v) => asStr(v) !== undefined || Array.isArray(v) || v instanceof PyTuple || v instanceof PyDict || v instanceof Undefined || (isPyObject(v) && !!v.iterate && !(v as { iterator?: boolean }).iterator),
  iterable: (v) => asStr(v) !== undefined || Array.isArray(v) || v instanceof PyTuple || v instanceof PyDict || v instanceof Undefined || (isPyObject(v) && !!v.iterate),
  callable: (v) => v instanceof PyCallable,
  sameas: (v, a) => {
    const other = one(a, 'sameas');
    if (v === other) return true;
    // Python's small ints, True/False and None are singletons; equal big ints and floats are usually distinct objects.
    if (typeof v === 'bigint' && typeof other === 'bigint') return v === other && v >= -5n && v <= 256n;
    return false;
  },
  escaped: (v) => v instanceof Markup,
  in: (v, a) => contains(one(a, 'in'), v),
  '==': cmp('eq', '=='), eq: cmp('eq', 'eq'), equalto: cmp('eq', 'equalto'),
  '!=': cmp('ne', '!='), ne: cmp('ne', 'ne'),
  '>': cmp('gt', '>'), gt: cmp('gt', 'gt'), greaterthan: cmp('gt', 'greaterthan'),
  ge: cmp('gteq', 'ge'), '>=': cmp('gteq', '>='),
  '<': cmp('lt', '<'), lt: cmp('lt', 'lt'), lessthan: cmp('lt', 'lessthan'),
  '<=': cmp('lteq', '<='), le: cmp('lteq', 'le'),
};

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PyFloat, canonicalJson, pyFloatRepr, pyRepr, pythonScalar } from './python-values.js';

test('floats print as Python repr prints them', () => {
  const cases: [number, string][] = [
    [1, '1.0'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [0.5, '0.5'],
    [2.5, '2.5'],
    [1e16, '1e+16'],
    [123456789012345.6, '123456789012345.6'],
    [1e22, '1e+22'],
    [-3.25, '-3.25'],
    [0.1 + 0.2, '0.30000000000000004'],
    [1.5e-7, '1.5e-07'],
    [Infinity, 'inf'],
    [0, '0.0'],
  ];
  for (const [value, expected] of cases) assert.equal(pyFloatRepr(value), expected, `repr(${value})`);
});

test("PyYAML's resolver decides what is a number", () => {
  assert.ok(pythonScalar(1, '1.0') instanceof PyFloat);
  assert.equal(pythonScalar(1e-5, '1e-5'), '1e-5', 'no dot: a string to PyYAML');
  assert.equal(pythonScalar(100000, '1.0e5'), '1.0e5', 'exponent without sign: a string to PyYAML');
  assert.ok(pythonScalar(1e-5, '1.0e-5') instanceof PyFloat);
  assert.equal(pythonScalar(12, '12'), 12);
  assert.equal(pythonScalar(true, 'yes'), true);
  assert.equal(pythonScalar(true, 'y'), 'y', 'y is a string to PyYAML');
});

test('repr of containers and canonical JSON keep floats apart from integers', () => {
  assert.equal(pyRepr([1, new PyFloat(2), 's', true, null, { a: 1 }]), "[1, 2.0, 's', True, None, {'a': 1}]");
  assert.notEqual(canonicalJson({ x: 1 }), canonicalJson({ x: new PyFloat(1) }));
  assert.equal(canonicalJson({ b: 1, a: [new PyFloat(1e-5)] }), '{"a":[1e-05],"b":1}');
});

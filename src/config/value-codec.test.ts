import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from './python-values.js';
import { parseYamlText, toConfigValue } from './source.js';
import { NotEncodable, decode, encode } from './value-codec.js';

/** Two values alike in everything a template or a hash can see: kinds, keys, key order, float apart from int. */
function assertSame(actual: unknown, expected: unknown, where = '$'): void {
  assert.equal(Object.prototype.toString.call(actual), Object.prototype.toString.call(expected), where);
  assert.equal(actual?.constructor, expected?.constructor, `${where}: constructor`);
  if (expected instanceof Map) {
    assert.deepEqual([...(actual as Map<unknown, unknown>).keys()].map(String), [...expected.keys()].map(String), `${where}: keys`);
    const a = [...(actual as Map<unknown, unknown>)];
    [...expected].forEach(([k, v], i) => {
      assertSame(a[i]![0], k, `${where}.key(${String(k)})`);
      assertSame(a[i]![1], v, `${where}[${String(k)}]`);
    });
  } else if (Array.isArray(expected)) {
    assert.equal((actual as unknown[]).length, expected.length, where);
    expected.forEach((v, i) => assertSame((actual as unknown[])[i], v, `${where}[${i}]`));
  } else if (expected && typeof expected === 'object') {
    assert.deepEqual(Reflect.ownKeys(actual as object), Reflect.ownKeys(expected), `${where}: keys`);
    assert.equal(Object.getPrototypeOf(actual), Object.getPrototypeOf(expected), `${where}: prototype`);
    for (const k of Object.keys(expected)) assertSame((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${where}.${k}`);
    if (typeof (expected as { valueOf(): unknown }).valueOf() === 'number') assert.ok(Object.is((actual as { valueOf(): unknown }).valueOf(), (expected as { valueOf(): unknown }).valueOf()), `${where}: ${String(expected)}`);
    assert.equal(String(actual), String(expected), `${where}: printed`);
  } else {
    assert.ok(Object.is(actual, expected), `${where}: ${String(actual)} is ${String(expected)}`);
  }
}

test('a configuration value survives the cache encoding exactly: floats, -0.0, inf, nan, dates, big integers, mappings with any keys', () => {
  const source = parseYamlText(
    'c.yaml',
    `ensemble:
  vars:
    f: 1.0
    g: -0.0
    h: .inf
    i: -.inf
    j: .nan
    k: 1e-5
    big: 123456789012345678901234567890
    date: 2020-01-02
    when: 2020-01-02 03:04:05
    yes_word: yes
    octal: 0755
    sexagesimal: 1:30
    nested: { 1: one, false: no, null: none, 2.5: f, z: [1, 2.0, ~] }
  batches:
    - name: b
      basedir: ./runs
      templatedir: ../t
      templates: [a.j2]
      job_file: a
      maxruns: 1
      maxjobs: 1
      runs:
        - { x: 1, "10": ten, "2": two }
`,
  );
  const value = toConfigValue(source);
  const back = decode(JSON.parse(JSON.stringify(encode(value))));
  assertSame(back, value);
  assert.equal(canonicalJson(back), canonicalJson(value));
  // A key named __proto__ decodes as a key (the reader refuses it in configurations; the cache file could still hold one).
  const proto = decode(['o', '__proto__', ['o', 'polluted', 1]]) as Record<string, unknown>;
  assert.deepEqual(Object.keys(proto), ['__proto__']);
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
});

test('values the encoding cannot write back exactly are refused, so that they are never cached', () => {
  for (const value of [new Set([1]), new Uint8Array([1]), new Date(0), -0, Infinity, undefined, () => 1]) {
    assert.throws(() => encode({ a: value }), NotEncodable, String(value));
  }
});

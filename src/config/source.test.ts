import assert from 'node:assert/strict';
import test from 'node:test';
import { Alias } from 'yaml';
import { parseYamlText, toValue } from './source.js';

test('merge keys are checked without a walk of the whole document per alias (3,000 merges took 12 s to read)', (t) => {
  // alias.resolve(doc) without a context walks the whole document to find its anchor: once per merge key made
  // reading quadratic. Counted here rather than timed: the check must resolve aliases from its own walk.
  let walks = 0;
  const original = Alias.prototype.resolve;
  t.mock.method(Alias.prototype, 'resolve', function (this: Alias, doc: Parameters<Alias['resolve']>[0], ctx?: Parameters<Alias['resolve']>[1]) {
    if (!ctx) walks++;
    return original.call(this, doc, ctx);
  });
  const runs = Array.from({ length: 3000 }, (_, i) => `  - {<<: *defaults, a: ${i}}\n`).join('');
  const source = parseYamlText('big.yaml', `defaults: &defaults {b: 2}\nruns:\n${runs}`);
  const value = toValue(source) as { runs: Array<{ a: number; b: number }> };
  assert.equal(value.runs.length, 3000);
  assert.deepEqual(value.runs[2999], { b: 2, a: 2999 });
  assert.equal(walks, 0);
});

test('a merge key whose alias names something other than a mapping is still refused with its line', () => {
  assert.throws(() => parseYamlText('bad.yaml', 'n: &n 5\nx:\n  <<: *n\n'), /bad\.yaml:3:\d+: a merge key `<<` takes a mapping/);
});

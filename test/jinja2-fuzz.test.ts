// The template fuzzer (test/jinja2/fuzz/) with a fixed seed: every generated
// template renders as real Jinja2 + PyYAML render it, or is refused; none
// differs. By hand: npm run fuzz -- --seed S --cases N.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeDifference, fuzz, summaryLine } from './jinja2/fuzz/run.js';
import { needPackages } from './system-packages.js';

const SEED = 20261207;
const CASES = 2000;

test(`fuzz: ${CASES} generated templates from seed ${SEED} render as Jinja2 renders them, or are refused; none differs`, { skip: needPackages('jinja2', 'the template fuzzer') }, async (t) => {
  const result = await fuzz(SEED, CASES);
  t.diagnostic(summaryLine(result));
  assert.equal(result.identical + result.refused + result.different.length, CASES);
  assert.ok(result.identical > CASES * 0.4, `many cases render (${result.identical} of ${CASES}): a grammar that only makes errors tests nothing`);
  assert.deepEqual(result.different.map(describeDifference), []);
});

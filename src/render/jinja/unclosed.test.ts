import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unclosedAt } from './environment.js';

test('an unclosed tag is located so the error can point at the opener rather than the end of the file', () => {
  assert.deepEqual(unclosedAt('a\necho {{ oops\n'), { line: 2, column: 6, what: '{{' });
  assert.deepEqual(unclosedAt('a\n{% for x in y %}\n{% if x %}{{ x }}{% endif %}\n'), { line: 2, column: 1, what: '{% for' });
  assert.deepEqual(unclosedAt('{% set a = 1 %}{% if a %}x{% endif %}'), undefined);
  assert.deepEqual(unclosedAt('{# note'), { line: 1, column: 1, what: '{#' });
});

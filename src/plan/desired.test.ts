import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '../config/python-values.js';
import { canonicalVarsText, hashInput } from './desired.js';

test('the input hash text is exactly the canonical JSON it replaced (hashes of existing runs must not change)', () => {
  const vars = { b: '2', a: '"x"', '10': '1.0', '9': 'null', 'ü': '[1,2]' };
  const files = [
    { path: 'job.sh', kind: 'rendered', mode: 0o755, hash: 'abc', content: '' },
    { path: 'data', kind: 'dir', mode: 0o755, hash: 'd' },
    { path: 'link', kind: 'symlink', hash: 'l', target: 'x' },
    { path: 'we"ird', kind: 'copy', mode: undefined, hash: 'c', source: '/x' },
  ] as never;
  const expected = canonicalJson({
    vars,
    files: (files as Array<{ path: string; kind: string; mode?: number; hash: string }>).map((f) => [f.path, f.kind, 'mode' in f ? f.mode : null, f.hash]),
    jobFile: 'job.sh',
    options: '{"partition":"debug"}',
  });
  assert.equal(hashInput(canonicalVarsText(vars), files, 'job.sh', '{"partition":"debug"}'), expected);
});

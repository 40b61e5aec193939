import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { readTextIfExists } from './read-text.js';

test('readTextIfExists reads small and large files whole, in any order, and says undefined for a missing one', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-read-text-'));
  const small = path.join(dir, 'small.json');
  const large = path.join(dir, 'large.json');
  fs.writeFileSync(small, '{"a": "é"}\n');
  // Past the shared 64 KiB buffer, with two-byte characters across every boundary a read could end on.
  const big = 'ü'.repeat(100_000) + 'end';
  fs.writeFileSync(large, big);
  assert.equal(readTextIfExists(small), '{"a": "é"}\n');
  assert.equal(readTextIfExists(large), big);
  assert.equal(readTextIfExists(small), '{"a": "é"}\n', 'a small file after a large one is not mixed with its bytes');
  fs.writeFileSync(small, '');
  assert.equal(readTextIfExists(small), '');
  assert.equal(readTextIfExists(path.join(dir, 'missing.json')), undefined);
  assert.throws(() => readTextIfExists(dir), /is not a regular file/);
});

test('readTextIfExists never waits on a FIFO (issue 31, item 18): it is refused at once, not read', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-read-text-'));
  const fifo = path.join(dir, 'state.json');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  assert.throws(() => readTextIfExists(fifo), /is not a regular file \(a FIFO/);
});

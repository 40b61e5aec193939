import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { hashFile, initHashing } from '../util/hash.js';
import { smallCopySource } from './copy-sources.js';

test('a small copied file is read once, and only while it still has the hash the plan recorded', async () => {
  await initHashing();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-sources-'));
  try {
    const data = path.join(dir, 'data.bin');
    fs.writeFileSync(data, Buffer.alloc(100 * 1024, 7));
    const planned = hashFile(data);
    const first = smallCopySource(data, planned);
    assert.deepEqual(first, fs.readFileSync(data));

    // Kept: a second run gets the same bytes without the file being read again
    // (proved by changing the file behind its back).
    fs.writeFileSync(data, Buffer.alloc(100 * 1024, 8));
    assert.equal(smallCopySource(data, planned), first);

    // A file that no longer has the plan's hash is not kept: the caller copies it as it is.
    const other = path.join(dir, 'other.bin');
    fs.writeFileSync(other, 'before');
    const stale = hashFile(other);
    fs.writeFileSync(other, 'after!');
    assert.equal(smallCopySource(other, stale), undefined);
    // Under its new hash it is kept.
    assert.deepEqual(smallCopySource(other, hashFile(other)), Buffer.from('after!'));

    // Large files are left to the kernel's copy.
    const big = path.join(dir, 'big.bin');
    fs.writeFileSync(big, Buffer.alloc((1 << 20) + 1, 1));
    assert.equal(smallCopySource(big, hashFile(big)), undefined);

    // A missing file is left to the copy, which reports it.
    assert.equal(smallCopySource(path.join(dir, 'gone.bin'), planned), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

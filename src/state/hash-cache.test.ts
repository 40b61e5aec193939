import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { initHashing } from '../util/hash.js';
import { HashCache } from './hash-cache.js';

test('copied files are hashed once and re-read only when size, mtime or inode change', async () => {
  await initHashing();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-cache-'));
  fs.mkdirSync(path.join(dir, '.mensemble'));
  const data = path.join(dir, 'data.bin');
  fs.writeFileSync(data, 'aaaa');
  // Whole-second times, so that setting the same time again reproduces it exactly.
  const mtime = new Date('2026-01-01T00:00:00Z');
  fs.utimesSync(data, mtime, mtime);
  const cacheFile = path.join(dir, '.mensemble', 'hash-cache.json');
  const first = new HashCache(cacheFile);
  const h1 = first.hash(data, fs.statSync(data));
  first.save();

  // Same size, same mtime, same inode: the cache answers without reading the file,
  // which we prove by changing the content behind its back.
  fs.writeFileSync(data, 'bbbb');
  fs.utimesSync(data, mtime, mtime);
  const second = new HashCache(cacheFile);
  assert.equal(second.hash(data, fs.statSync(data)), h1, 'served from the cache');

  // A new mtime makes it read again.
  fs.utimesSync(data, new Date(), new Date(Date.now() + 5000));
  assert.notEqual(second.hash(data, fs.statSync(data)), h1);
});

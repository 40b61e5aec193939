import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { RenderMemo } from './render-memo.js';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-memo-'));

test('the render memo keeps input hashes across processes, only where the state folder exists', () => {
  const dir = tmp();
  const file = path.join(dir, '.mensemble', 'render-memo.json');
  const first = new RenderMemo(file);
  first.set('k1', 'h1');
  first.save();
  assert.equal(fs.existsSync(file), false, 'plan never creates the state folder');
  fs.mkdirSync(path.dirname(file));
  first.save();
  assert.equal(new RenderMemo(file).get('k1'), 'h1');
  assert.equal(new RenderMemo(file).get('nope'), undefined);
});

test('a damaged memo is ignored, and unused keys are dropped once they outnumber the used ones', () => {
  const dir = tmp();
  const file = path.join(dir, 'render-memo.json');
  fs.writeFileSync(file, '{ not json');
  const memo = new RenderMemo(file);
  assert.equal(memo.get('k'), undefined);
  for (let i = 0; i < 2000; i++) memo.set(`old${i}`, 'h');
  memo.save();
  const next = new RenderMemo(file);
  assert.equal(next.get('old1'), 'h');
  next.set('new', 'h2');
  next.save();
  const after = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.deepEqual(Object.keys(after), ['old1', 'new'], '1,999 stale keys against 2 used: only the used stay');
});

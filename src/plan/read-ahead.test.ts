import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { EnsembleSpec } from '../config/types.js';
import { STATE_DIR, writeRunState, type RunState } from '../state/run-state.js';
import { hashFile, initHashing } from '../util/hash.js';
import { FolderListings, observeRuns } from './observe.js';
import { Worker } from 'node:worker_threads';
import { startReadAhead, type WorkerStart } from './read-ahead.js';
import type { DesiredRun } from './types.js';

// Tests read ahead from any number of runs, and a thread that fails is an error, not a fallback.
process.env.MENSEMBLE_TEST_READ_AHEAD_FROM = '0';

// Node 20 does not pass tsx's loader on to threads: the thread registers it itself, then runs the TypeScript source.
const WORKER_SOURCE = new URL('./read-ahead-worker.ts', import.meta.url).href;
const startFromSource: WorkerStart = (workerData, transferList) =>
  new Worker(`import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(WORKER_SOURCE)}); })`, { eval: true, workerData, transferList });

/** A run folder with one rendered file and the state that records it, as apply leaves it. */
function appliedRun(basedir: string, id: string): string {
  const dir = path.join(basedir, id);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'model.nml');
  fs.writeFileSync(file, `run = ${id}\n`);
  const stat = fs.lstatSync(file);
  const state: RunState = {
    version: 1,
    id,
    batch: 'b',
    inputHash: '0123456789abcdef',
    vars: { a: '1' },
    files: { 'model.nml': { kind: 'rendered', hash: hashFile(file), mode: 0o644, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino } },
    jobFile: 'job.sh',
    options: '{}',
    renderedAt: new Date().toISOString(),
    attempts: [],
    tasks: {},
  };
  writeRunState(dir, state);
  return dir;
}

test('the read-ahead thread finds what the main thread would read, and leaves to it every folder it cannot make sense of', async () => {
  await initHashing();
  const basedir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-read-ahead-')), 'runs');
  const ok = appliedRun(basedir, 'r-ok');
  const edited = appliedRun(basedir, 'r-edited');
  fs.appendFileSync(path.join(edited, 'model.nml'), '# changed by hand\n');
  const sameSize = appliedRun(basedir, 'r-same-size');
  const sameSizeFile = path.join(sameSize, 'model.nml');
  const before = fs.lstatSync(sameSizeFile);
  fs.writeFileSync(sameSizeFile, fs.readFileSync(sameSizeFile, 'utf8').replace('=', ':'));
  fs.utimesSync(sameSizeFile, before.atime, new Date(before.mtimeMs + 5000));
  const deleted = appliedRun(basedir, 'r-deleted');
  fs.rmSync(path.join(deleted, 'model.nml'));
  const corrupt = appliedRun(basedir, 'r-corrupt');
  fs.writeFileSync(path.join(corrupt, STATE_DIR, 'state.json'), '{"version": 1, "id": ');
  const wrongShape = appliedRun(basedir, 'r-wrong-shape');
  fs.writeFileSync(path.join(wrongShape, STATE_DIR, 'state.json'), '{"version": 1, "files": null}');
  fs.mkdirSync(path.join(basedir, 'r-no-state'));
  fs.writeFileSync(path.join(basedir, 'r-a-file'), 'not a folder');
  fs.mkdirSync(path.join(basedir, STATE_DIR));
  const elsewhere = appliedRun(path.join(path.dirname(basedir), 'elsewhere'), 'r-linked');
  const linked = path.join(basedir, 'r-linked');
  fs.symlinkSync(elsewhere, linked);
  fs.symlinkSync(path.join(basedir, 'r-a-file'), path.join(basedir, 'r-link-to-a-file'));

  const ids = ['r-ok', 'r-edited', 'r-same-size', 'r-deleted', 'r-corrupt', 'r-wrong-shape', 'r-no-state', 'r-a-file', 'r-linked', 'r-link-to-a-file', 'r-missing'];
  const runs = ids.map((id) => ({ id, dir: path.join(basedir, id) }) as DesiredRun);
  const spec = { batches: [{ basedir, runs: ids.map(() => ({})) }] } as unknown as EnsembleSpec;

  const readAhead = startReadAhead(spec, false, startFromSource, 2);
  assert.ok(readAhead, 'the thread started');
  const found = await readAhead.results();
  assert.ok(found, 'the thread read every folder');
  assert.deepEqual([...found.keys()].sort(), [ok, edited, sameSize, deleted, linked].sort(), 'only folders (or links to them) with a readable state');

  const withThread = observeRuns(runs, new FolderListings(), found);
  const alone = observeRuns(runs, new FolderListings());
  assert.deepEqual(withThread, alone);
  assert.deepEqual(withThread.get(edited)!.drift, [{ path: 'model.nml', change: 'modified' }]);
  assert.deepEqual(withThread.get(sameSize)!.drift, [{ path: 'model.nml', change: 'modified' }]);
  assert.deepEqual(withThread.get(deleted)!.drift, [{ path: 'model.nml', change: 'deleted' }]);
  assert.deepEqual(withThread.get(ok)!.drift, []);
  assert.match(withThread.get(corrupt)!.corrupt ?? '', /state file is unreadable/);
  assert.match(withThread.get(wrongShape)!.corrupt ?? '', /not a mensemble run state/);
  assert.equal(withThread.get(path.join(basedir, 'r-missing'))!.exists, false);
  assert.equal(withThread.get(linked)!.state?.id, 'r-linked');
});

test('a targeted plan, an ensemble below the threshold, or a process that may use one CPU reads on the main thread alone', () => {
  const spec = { batches: [{ basedir: os.tmpdir(), runs: [{}, {}] }] } as unknown as EnsembleSpec;
  assert.equal(startReadAhead(spec, true, startFromSource), undefined);
  assert.equal(startReadAhead(spec, false, startFromSource, 1), undefined);
  process.env.MENSEMBLE_TEST_READ_AHEAD_FROM = '3';
  try {
    assert.equal(startReadAhead(spec, false, startFromSource, 2), undefined);
  } finally {
    process.env.MENSEMBLE_TEST_READ_AHEAD_FROM = '0';
  }
});

test('a thread that cannot start, or fails, is a slower plan for users and an error under the test setting', async () => {
  const spec = { batches: [{ basedir: os.tmpdir(), runs: Array.from({ length: 20_000 }, () => ({})) }] } as unknown as EnsembleSpec;
  const cannotStart: WorkerStart = () => {
    throw new Error('no threads left');
  };
  const fails: WorkerStart = (workerData, transferList) => new Worker('throw new Error("the thread broke")', { eval: true, workerData, transferList });
  assert.throws(() => startReadAhead(spec, false, cannotStart, 2), /no threads left/);
  await assert.rejects(startReadAhead(spec, false, fails, 2)!.results(), /the thread ended before it had read every run folder \(the thread broke\)/);
  delete process.env.MENSEMBLE_TEST_READ_AHEAD_FROM;
  try {
    assert.equal(startReadAhead(spec, false, cannotStart, 2), undefined, 'no thread: the main thread reads everything');
    assert.equal(await startReadAhead(spec, false, fails, 2)!.results(), undefined, 'a failed thread: the main thread reads everything');
  } finally {
    process.env.MENSEMBLE_TEST_READ_AHEAD_FROM = '0';
  }
});

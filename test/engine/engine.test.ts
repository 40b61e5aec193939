// Engine unit tests: the plan's decisions, retries, resume and the capacity
// rules, driven in-process against the in-memory backend (memory-backend.ts),
// in milliseconds. The same behaviour is tested end to end on the real
// cluster and the local backend elsewhere; these pin the engine's rules.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Backends } from '../../src/backends/registry.js';
import { BackendUnavailableError } from '../../src/backends/types.js';
import { loadEnsemble } from '../../src/config/load.js';
import type { ApplyEvent } from '../../src/apply/events.js';
import { executePlan, type ApplyOptions, type ApplyResult } from '../../src/apply/executor.js';
import { computePlan } from '../../src/plan/compute.js';
import { LockLost } from '../../src/state/lock.js';
import type { Plan } from '../../src/plan/types.js';
import { batchYaml, numbers, tempDir, writeTree } from '../helpers.js';
import { MemoryBackend } from './memory-backend.js';

function ensemble(options: { runs: number; maxjobs?: number; maxruns?: number; attempts?: number; array?: boolean }): string {
  const dir = tempDir('mensemble-engine-');
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ ...options, n: numbers(options.runs), attempts: options.attempts ?? 1 })}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho {{ n }}\n',
  });
  return dir;
}

const registry = (backend: MemoryBackend) => new Backends(backend, () => backend);

async function plan(dir: string, backend: MemoryBackend): Promise<Plan> {
  return (await computePlan(loadEnsemble(path.join(dir, 'mensemble.yaml')), registry(backend), { targets: [] })).plan;
}

async function apply(dir: string, backend: MemoryBackend, options: Partial<ApplyOptions> = {}): Promise<{ result: ApplyResult; events: ApplyEvent[] }> {
  const computed = await computePlan(loadEnsemble(path.join(dir, 'mensemble.yaml')), registry(backend), { targets: [] });
  const events: ApplyEvent[] = [];
  const result = await executePlan(
    computed,
    backend,
    { noWait: false, prune: false, noChecks: false, pollInterval: 0.005, checkInterval: 0.01, submitRate: Number.POSITIVE_INFINITY, array: false, shell: '/bin/sh', ...options },
    (e) => events.push(e),
  );
  return { result, events };
}

const actions = (p: Plan) => Object.fromEntries(p.entries.map((e) => [e.id, e.action]));
const state = (dir: string, run: string) => JSON.parse(fs.readFileSync(path.join(dir, 'runs', run, '.mensemble', 'state.json'), 'utf8'));

test('engine: a new ensemble plans create for every run, applies once each, then plans nothing', async () => {
  const dir = ensemble({ runs: 3 });
  const backend = new MemoryBackend();
  assert.deepEqual(actions(await plan(dir, backend)), { r1: 'create', r2: 'create', r3: 'create' });
  const { result } = await apply(dir, backend);
  assert.deepEqual(result.completed.sort(), ['b/r1', 'b/r2', 'b/r3']);
  assert.deepEqual(backend.submissions.flat().sort(), ['r1', 'r2', 'r3'], 'one submission per run');
  assert.deepEqual(actions(await plan(dir, backend)), { r1: 'none', r2: 'none', r3: 'none' });
  assert.deepEqual((await apply(dir, backend)).result.completed, [], 'a second apply does nothing');
  assert.equal(backend.submissions.length, 3);
});

test('engine: a failed attempt is retried while attempts remain, then the run fails and the plan says no attempts are left', async () => {
  const dir = ensemble({ runs: 2, attempts: 3 });
  // r1 fails twice then completes; r2 always fails.
  const backend = new MemoryBackend({ outcome: (r) => (r.runId === 'r1' && r.attempt === 3 ? { state: 'completed' } : { state: 'failed', exitCode: 2 }) });
  const { result, events } = await apply(dir, backend);
  assert.deepEqual(result.completed, ['b/r1']);
  assert.deepEqual(result.failed, ['b/r2']);
  assert.equal(backend.startsOf('r1'), 3);
  assert.equal(backend.startsOf('r2'), 3, 'max_attempts bounds the retries');
  assert.deepEqual(events.filter((e) => e.kind === 'retrying' && e.runId === 'r2').map((e) => (e as { attempt: number }).attempt), [2, 3]);
  assert.deepEqual(state(dir, 'r2').attempts.map((a: { state: string; exitCode: number }) => [a.state, a.exitCode]), [['failed', 2], ['failed', 2], ['failed', 2]]);
  const after = await plan(dir, backend);
  assert.equal(actions(after).r2, 'none');
  assert.deepEqual(after.entries.find((e) => e.id === 'r2')!.notes.map((n) => n.kind), ['no-attempts-left']);
});

test('engine: a job cancelled from outside is not retried at once; the next plan retries it while attempts remain', async () => {
  const dir = ensemble({ runs: 1, attempts: 2 });
  const backend = new MemoryBackend({ outcome: (r) => (r.attempt === 1 ? { state: 'cancelled', exitCode: null } : { state: 'completed' }) });
  assert.deepEqual((await apply(dir, backend)).result.failed, ['b/r1']);
  assert.equal(backend.startsOf('r1'), 1, 'a deliberate cancel is not retried in the same apply');
  const p = await plan(dir, backend);
  assert.equal(actions(p).r1, 'retry');
  assert.deepEqual(p.entries[0]!.reasons.map((r) => r.kind), ['attempt-failed']);
  assert.deepEqual((await apply(dir, backend)).result.completed, ['b/r1']);
  assert.equal(backend.startsOf('r1'), 2);
});

test('engine: a submission the scheduler rejects is a failed attempt, and spends it', async () => {
  const dir = ensemble({ runs: 1, attempts: 2 });
  const backend = new MemoryBackend({ outcome: () => ({ state: 'failed', exitCode: 1 }), failSubmit: (r) => (r.attempt === 2 ? new Error('sbatch: error: invalid partition') : undefined) });
  const { result, events } = await apply(dir, backend);
  assert.deepEqual(result.failed, ['b/r1']);
  assert.deepEqual(events.filter((e) => e.kind === 'warning').map((e) => (e as { warning: { kind: string } }).warning.kind), ['submit-failed']);
  assert.deepEqual(state(dir, 'r1').attempts.map((a: { state: string }) => a.state), ['failed', 'failed']);
  const p = await plan(dir, backend);
  assert.equal(actions(p).r1, 'none', 'both attempts are spent');
  assert.equal(p.entries[0]!.notes[0]!.kind, 'no-attempts-left');
});

test('engine: per-job capacity never runs more than maxjobs jobs at once, and maxruns bounds runs in flight', async () => {
  const dir = ensemble({ runs: 12, maxjobs: 3, maxruns: 5 });
  const backend = new MemoryBackend({ runFor: 3 });
  const { result } = await apply(dir, backend);
  assert.equal(result.completed.length, 12);
  assert.ok(backend.maxRunning <= 3, `at most 3 running, saw ${backend.maxRunning}`);
  assert.ok(backend.maxRunning >= 2, `the slots were used, saw ${backend.maxRunning}`);
});

test('engine: arrays share maxjobs across the arrays of a batch (retries go out as a second array)', async () => {
  const dir = ensemble({ runs: 8, maxjobs: 3, attempts: 2, array: true });
  const backend = new MemoryBackend({ arrays: true, runFor: 2, outcome: (r) => (r.attempt === 1 && Number(r.runId.slice(1)) % 2 === 0 ? { state: 'failed', exitCode: 1 } : { state: 'completed' }) });
  const { result, events } = await apply(dir, backend, { array: true });
  assert.equal(result.completed.length, 8, JSON.stringify(result));
  assert.ok(backend.submissions.length >= 2, `retries went out as another array: ${JSON.stringify(backend.submissions)}`);
  assert.ok(backend.submissions[0]!.length > 1, 'the first submission was an array of several runs');
  assert.ok(backend.maxRunning <= 3, `at most maxjobs running across arrays, saw ${backend.maxRunning}`);
  assert.equal(events.find((e) => e.kind === 'batch-started')?.kind === 'batch-started' && (events.find((e) => e.kind === 'batch-started') as { arrays: boolean }).arrays, true);
});

test('engine: an intent recorded before a crash is adopted when the job exists, and submitted when it does not; never twice', async () => {
  const dir = ensemble({ runs: 2 });
  const backend = new MemoryBackend();
  await apply(dir, backend);
  // Make both runs look as if the apply died between recording the intent and recording the job id:
  // r1's job exists in the scheduler, r2's submission never happened.
  for (const run of ['r1', 'r2']) {
    const file = path.join(dir, 'runs', run, '.mensemble', 'state.json');
    const s = JSON.parse(fs.readFileSync(file, 'utf8'));
    delete s.completed;
    const a = s.attempts[0];
    delete a.jobId;
    delete a.exitCode;
    delete a.endedAt;
    delete a.startedAt;
    a.state = 'submitting';
    fs.writeFileSync(file, JSON.stringify(s));
  }
  const r2Job = [...backend.jobs.values()].find((j) => j.request.runId === 'r2')!;
  backend.jobs.delete(r2Job.id);
  assert.deepEqual(actions(await plan(dir, backend)), { r1: 'resume', r2: 'resume' });
  const { result, events } = await apply(dir, backend);
  assert.deepEqual(result.completed.sort(), ['b/r1', 'b/r2']);
  assert.deepEqual(events.filter((e) => e.kind === 'adopted').map((e) => e.runId), ['r1']);
  assert.deepEqual(events.filter((e) => e.kind === 'intent-dropped').map((e) => e.runId), ['r2']);
  assert.equal(backend.startsOf('r1'), 1, 'r1 was adopted, not submitted again');
  assert.equal(backend.startsOf('r2'), 1, 'r2 was submitted once, now');
});

test('engine: an unreachable scheduler leaves the run pending with its intent, never failed', async () => {
  const dir = ensemble({ runs: 1 });
  const backend = new MemoryBackend({ failSubmit: () => new BackendUnavailableError('controller down') });
  const { result, events } = await apply(dir, backend);
  assert.deepEqual(result.pending, ['b/r1']);
  assert.deepEqual(result.failed, []);
  assert.equal(events.find((e) => e.kind === 'warning')?.kind, 'warning');
  assert.equal(state(dir, 'r1').attempts[0].state, 'submitting', 'the intent is kept for the next apply');
  assert.equal(actions(await plan(dir, new MemoryBackend())).r1, 'resume');
});

test('engine: --no-wait submits and leaves jobs in flight; the next plan shows them in flight, the next apply follows them', async () => {
  const dir = ensemble({ runs: 2 });
  const backend = new MemoryBackend();
  const first = await apply(dir, backend, { noWait: true });
  assert.deepEqual(first.result.pending.sort(), ['b/r1', 'b/r2']);
  assert.deepEqual(actions(await plan(dir, backend)), { r1: 'inflight', r2: 'inflight' });
  const second = await apply(dir, backend);
  assert.deepEqual(second.result.completed.sort(), ['b/r1', 'b/r2']);
  assert.equal(backend.submissions.length, 2, 'followed, not submitted again');
});

test('engine: a changed variable replaces the runs it reaches, with the change as a typed reason', async () => {
  const dir = ensemble({ runs: 2 });
  const backend = new MemoryBackend();
  await apply(dir, backend);
  const config = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('n: [1, 2]', 'n: [1, 3]'));
  const p = await plan(dir, backend);
  assert.deepEqual(actions(p), { r1: 'none', r2: 'none', r3: 'create' }, 'r2 is kept: a note, not a change, without --prune');
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('templates: [job.sh.j2]', 'templates: [job.sh.j2]\n      vars: { k: 1 }'));
  const changed = await plan(dir, backend);
  assert.equal(actions(changed).r1, 'replace');
  assert.deepEqual(changed.entries.find((e) => e.id === 'r1')!.reasons.find((r) => r.kind === 'var-added'), { kind: 'var-added', key: 'k', after: '1' });
});

test('engine: a moved run is not rehomed once the lock is lost (its record is left as it was)', async () => {
  const first = ensemble({ runs: 1 });
  const backend = new MemoryBackend();
  await apply(first, backend);
  const dir = `${first}-moved`;
  fs.renameSync(first, dir);
  const before = fs.readFileSync(path.join(dir, 'runs', 'r1', '.mensemble', 'state.json'), 'utf8');
  assert.equal(actions(await plan(dir, backend)).r1, 'moved');
  const lost = { assertHeld: () => { throw new LockLost(path.join(dir, '.mensemble', 'mensemble.yaml.lock'), undefined); } };
  await assert.rejects(apply(dir, backend, { lock: lost }), LockLost);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r1', '.mensemble', 'state.json'), 'utf8'), before, 'nothing written without the lock');
  assert.equal(actions(await plan(dir, backend)).r1, 'moved');
});

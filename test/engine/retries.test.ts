// Engine unit tests of the retry rules (plan/retry-policy.ts): causes,
// escalation from the failed attempt's request and peak, limits, and free
// retries of the cluster's failures, as the plan shows them and the apply
// carries them out. The same rules run on the real cluster in
// test/slurm.test.ts (an OOM retried with more memory, a TIMEOUT with more time).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { Backends } from '../../src/backends/registry.js';
import { loadEnsemble } from '../../src/config/load.js';
import type { ApplyEvent } from '../../src/apply/events.js';
import { executePlan } from '../../src/apply/executor.js';
import { computePlan } from '../../src/plan/compute.js';
import type { Plan, PlanEntry } from '../../src/plan/types.js';
import { describeNote, describeReason } from '../../src/ui/plan-reasons.js';
import { batchYaml, numbers, tempDir, writeTree } from '../helpers.js';
import { MemoryBackend, type JobOutcome } from './memory-backend.js';

const GiB = 1024 ** 3;

function ensemble(retry: string, runs = 1): string {
  const dir = tempDir('mensemble-retries-');
  const batch = batchYaml({ n: numbers(runs) }).replace('      matrix:', `      retry:\n${retry.replace(/^/gm, '        ')}\n      matrix:`);
  writeTree(dir, { 'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batch}`, 'tpl/job.sh.j2*': '#!/bin/sh\necho {{ n }}\n' });
  return dir;
}

const registry = (backend: MemoryBackend) => new Backends(backend, () => backend);

async function plan(dir: string, backend: MemoryBackend): Promise<Plan> {
  return (await computePlan(loadEnsemble(path.join(dir, 'mensemble.yaml')), registry(backend), { targets: [] })).plan;
}

async function apply(dir: string, backend: MemoryBackend): Promise<ApplyEvent[]> {
  const computed = await computePlan(loadEnsemble(path.join(dir, 'mensemble.yaml')), registry(backend), { targets: [] });
  const events: ApplyEvent[] = [];
  const options = { noWait: false, prune: false, noChecks: false, pollInterval: 0.005, checkInterval: 0.01, submitRate: Number.POSITIVE_INFINITY, array: false, shell: '/bin/sh' };
  await executePlan(computed, backend, options, (e) => events.push(e));
  return events;
}

const attempts = (dir: string, run = 'r1') => JSON.parse(fs.readFileSync(path.join(dir, 'runs', run, '.mensemble', 'state.json'), 'utf8')).attempts as Array<{ state: string; escalated?: Record<string, string> }>;
const entry = (p: Plan, id = 'r1'): PlanEntry => p.entries.find((e) => e.id === id)!;

/** An out-of-memory end after asking for `requested` GiB, with `peak` GiB measured. */
const oom = (requested: number, peak: number): JobOutcome => ({ state: 'out_of_memory', exitCode: null, usage: { source: 'accounting', requestedMemoryBytes: requested * GiB, peakMemoryBytes: peak * GiB, elapsedSeconds: 60, cpus: 1, coreSeconds: 60 } });

test('retries: an OUT_OF_MEMORY attempt is retried with its memory grown from the larger of request and peak, capped at the limit; at the limit it is not retried and the plan says why', async () => {
  const dir = ensemble('max_attempts: 5\nwhen: [FAILED, OUT_OF_MEMORY]\nescalate:\n  OUT_OF_MEMORY: {mem: 1.5x}\nlimits: {mem: 5G}');
  // Each attempt asks for what it was given (8G at first), uses it all, and is killed.
  const requested = (mem: unknown) => (typeof mem === 'string' ? Number(mem.replace('M', '')) / 1024 : 2);
  const backend = new MemoryBackend({ outcome: (r) => oom(requested(r.options.mem), requested(r.options.mem) * 0.99) });
  const events = await apply(dir, backend);
  // 2 GiB -> 3 GiB -> 4.5 GiB -> 5 GiB (the limit, not 6.75) -> at the limit: not retried although attempts remain.
  assert.deepEqual(backend.requestsOf('r1').map((r) => r.options.mem), [undefined, '3072M', '4608M', '5120M']);
  assert.deepEqual(attempts(dir).map((a) => a.escalated?.mem), [undefined, '3072M', '4608M', '5120M']);
  const retrying = events.filter((e) => e.kind === 'retrying');
  assert.deepEqual(retrying.map((e) => (e as { attempt: number }).attempt), [2, 3, 4]);
  assert.deepEqual(retrying.map((e) => (e as { escalations: Array<{ capped: boolean }> }).escalations.map((x) => x.capped)), [[false], [false], [true]]);
  const after = entry(await plan(dir, backend));
  assert.equal(after.action, 'none');
  assert.deepEqual(after.notes.map((n) => n.kind), ['at-limit']);
  assert.match(describeNote(after.notes[0]!), /ended OUT_OF_MEMORY; not retried: its memory 5 GB is already at retry\.limits\.mem \(5 GB\)/);
});

test('retries: the plan shows the cause, what was used of what was asked, and the change, as text and as fields', async () => {
  const dir = ensemble('max_attempts: 3\nwhen: [OUT_OF_MEMORY, TIMEOUT]\nescalate:\n  OUT_OF_MEMORY: {mem: 1.5x}\n  TIMEOUT: {time: 2x}', 2);
  const backend = new MemoryBackend({
    outcome: (r) => (r.runId === 'r1' ? oom(8, 7.9) : { state: 'timeout', exitCode: null, usage: { source: 'accounting', timeLimitSeconds: 3600, elapsedSeconds: 3600 } }),
  });
  // One apply with max_attempts 1 first, so the failed attempts are on disk for the plan to read.
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('max_attempts: 3', 'max_attempts: 1'));
  await apply(dir, backend);
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('max_attempts: 1', 'max_attempts: 3'));
  const p = await plan(dir, backend);
  const reason = entry(p).reasons[0]!;
  assert.equal(entry(p).action, 'retry');
  assert.equal(describeReason(reason), 'attempt 1 of 3 ended OUT_OF_MEMORY at 7.9 GB of 8 GB -> mem 12 GB');
  assert.deepEqual(reason, {
    kind: 'attempt-failed', attempt: 1, maxAttempts: 3, state: 'out_of_memory', exitCode: null,
    escalations: [{ resource: 'mem', from: 8 * GiB, to: 12 * GiB, capped: false }],
    used: { peakMemoryBytes: 7.9 * GiB, requestedMemoryBytes: 8 * GiB, elapsedSeconds: 60 },
  });
  assert.equal(describeReason(entry(p, 'r2').reasons[0]!), 'attempt 1 of 3 ended TIMEOUT at its 1:00:00 limit -> time 2:00:00');
});

test('retries: a cause not in retry.when is not retried, and the plan names the causes that are', async () => {
  const dir = ensemble('max_attempts: 3\nwhen: [OUT_OF_MEMORY]');
  const backend = new MemoryBackend({ outcome: () => ({ state: 'failed', exitCode: 2 }) });
  await apply(dir, backend);
  assert.equal(backend.startsOf('r1'), 1);
  const after = entry(await plan(dir, backend));
  assert.deepEqual([after.action, after.notes.map((n) => n.kind)], ['none', ['not-retried']]);
  assert.match(describeNote(after.notes[0]!), /failed \(exit code 2\); not retried: retry\.when lists OUT_OF_MEMORY/);
});

test('retries: node failures and preemptions are retried with the same request without spending an attempt, at most free_retries times', async () => {
  // One attempt to spend; the cluster fails the first two jobs; the third (the one attempt) completes.
  const dir = ensemble('max_attempts: 1\nwhen: [FAILED]\nfree_retries: 2', 2);
  const backend = new MemoryBackend({
    outcome: (r) => (r.runId === 'r1' ? (r.attempt === 1 ? { state: 'node_fail', exitCode: null } : r.attempt === 2 ? { state: 'preempted', exitCode: null } : { state: 'completed' }) : { state: 'node_fail', exitCode: null }),
  });
  const events = await apply(dir, backend);
  assert.deepEqual(attempts(dir, 'r1').map((a) => a.state), ['node_fail', 'preempted', 'completed']);
  assert.deepEqual(events.filter((e) => e.kind === 'retrying' && e.runId === 'r1').map((e) => (e as { free?: boolean }).free), [true, true]);
  // r2's node keeps failing: two free retries, then its one attempt is spent on the third failure.
  assert.deepEqual(attempts(dir, 'r2').map((a) => a.state), ['node_fail', 'node_fail', 'node_fail']);
  assert.deepEqual(entry(await plan(dir, backend), 'r2').notes.map((n) => n.kind), ['not-retried']);
  assert.deepEqual(backend.requestsOf('r1').map((r) => r.options), [{}, {}, {}], 'the same request each time');
});

test('retries: without retry: (a model-ensembler configuration) a run is tried once, whatever ended it', async () => {
  const dir = tempDir('mensemble-retries-');
  writeTree(dir, { 'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1] })}`, 'tpl/job.sh.j2*': '#!/bin/sh\n' });
  const backend = new MemoryBackend({ outcome: () => ({ state: 'node_fail', exitCode: null }) });
  await apply(dir, backend);
  assert.equal(backend.startsOf('r1'), 1);
  assert.deepEqual(entry(await plan(dir, backend)).notes.map((n) => n.kind), ['no-attempts-left']);
});

test('retries: a memory escalation whose request is unknown (no accounting, no option) is not retried blind', async () => {
  const dir = ensemble('max_attempts: 3\nescalate:\n  OUT_OF_MEMORY: {mem: 2x}');
  const backend = new MemoryBackend({ outcome: () => ({ state: 'out_of_memory', exitCode: null }) });
  await apply(dir, backend);
  assert.equal(backend.startsOf('r1'), 1);
  const after = entry(await plan(dir, backend));
  assert.deepEqual(after.notes.map((n) => n.kind), ['cannot-escalate']);
  assert.match(describeNote(after.notes[0]!), /memory request is not known/);
});

// The crash campaign: an ensemble applied under repeated SIGKILLs, then
// checked against the run directories and (on SLURM) the scheduler's own
// records. Shared by the local and the SLURM test.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliAsync, runCli, countBy, readState, writeTree } from '../helpers.js';

export interface CampaignOptions {
  dir: string;
  backend: 'local' | 'slurm';
  runs: number;
  kills: number;
  seed: number;
  /** Extra .mensemblerc lines (array mode...). */
  rc?: string;
  log: (message: string) => void;
}

/** Crash points inside mensemble, by name; `:n` picks the n-th time one is reached. */
const CRASH_POINTS = ['after-render', 'before-submit', 'after-submit', 'after-task-pre_run', 'after-task-post_run', 'mid-state-write'];

export function campaignEnsemble(dir: string, backend: 'local' | 'slurm', runs: number, rc = ''): void {
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:
  batches:
    - name: c
      basedir: ./runs
      templatedir: ../template
      templates: [job.sh.j2]
      job_file: job.sh
      maxruns: ${runs}
      maxjobs: 3
      run_id: "r{{ n }}"
      matrix:
        n: [${Array.from({ length: runs }, (_, i) => i + 1).join(', ')}]
      pre_run:
        - name: execute
          args: {cmd: 'basename "$PWD" >> ../../pre_run.log'}
      post_run:
        - name: execute
          args: {cmd: 'basename "$PWD" >> ../../post_run.log; sleep 0.05'}
`,
    'template/job.sh.j2': `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
sleep {{ 1 + (n % 3) * 0.5 }}
echo done > output.txt
`,
    '.mensemblerc': `backend: ${backend}\npoll_interval: 0.2\ncheck_interval: 0.2\n${rc}`,
  });
}

/** A small deterministic generator, so a failing campaign is replayed from its seed. */
export function generator(seed: number): () => number {
  let x = seed % 2147483647 || 1;
  return () => (x = (x * 48271) % 2147483647) / 2147483647;
}

/**
 * Applies, killing mensemble `kills` times: each apply gets SIGKILL after a
 * random delay, so that kills fall anywhere; about a third also carry a
 * named crash point (between sbatch and recording the id, after rendering,
 * after a task, half-way through writing a state file) that kills it there
 * first if it gets that far. After each kill
 * every state file must parse. Then one apply without kills must finish.
 */
export async function runCampaign(o: CampaignOptions): Promise<void> {
  const random = generator(o.seed);
  const points = o.backend === 'slurm' ? [...CRASH_POINTS, 'after-sbatch'] : CRASH_POINTS;
  let interrupted = 0;
  for (let k = 0; k < o.kills; k++) {
    const named = random() < 0.35;
    const point = `${points[Math.floor(random() * points.length)]}:${1 + Math.floor(random() * 4)}`;
    const env: Record<string, string> = named ? { MENSEMBLE_TEST_CRASH_AT: point } : {};
    const run = cliAsync(['apply', '--yes'], o.dir, env);
    // A crash point the apply does not reach (nothing left to render...) is backed by a timed kill.
    const delay = 200 + random() * 1400;
    const timer = setTimeout(() => run.kill(), delay);
    const result = await run.done;
    clearTimeout(timer);
    o.log(`kill ${k + 1}/${o.kills}: ${named ? `crash point ${point}, else ` : ''}SIGKILL after ${Math.round(delay)} ms -> exit ${result.code}`);
    assert.ok(result.code === 0 || result.code === 137, `seed ${o.seed}, kill ${k + 1}: unexpected exit ${result.code}: ${result.stderr}`);
    assertStatesParse(o.dir, `seed ${o.seed}, kill ${k + 1}`);
    if (result.code !== 0) interrupted++;
  }
  o.log(`${interrupted} of ${o.kills} kills landed while the apply had work left`);
  const last = await runCli(['apply', '--yes'], o.dir);
  assert.equal(last.code, 0, `seed ${o.seed}: the final apply: ${last.stderr}${last.stdout.slice(-2000)}`);
}

export function assertStatesParse(dir: string, context: string): void {
  const runsDir = path.join(dir, 'runs');
  for (const name of fs.existsSync(runsDir) ? fs.readdirSync(runsDir) : []) {
    const file = path.join(runsDir, name, '.mensemble', 'state.json');
    if (!fs.existsSync(file)) continue; // killed mid-render: planned as create
    assert.doesNotThrow(() => readState(path.join(runsDir, name)), `${context}: ${file} must parse`);
  }
  const stateDir = path.join(dir, '.mensemble');
  for (const file of fs.existsSync(stateDir) ? fs.readdirSync(stateDir).filter((f) => /^session-.*\.json$/.test(f)) : []) {
    const full = path.join(stateDir, file);
    if (fs.existsSync(full)) assert.doesNotThrow(() => JSON.parse(fs.readFileSync(full, 'utf8')), `${context}: ${full} must parse`);
  }
}

/** Every run completed once, its job ran once, each of its tasks ran once; the plan is empty. */
export async function assertExactlyOnce(dir: string, runs: number, seed: number): Promise<void> {
  const ids = Array.from({ length: runs }, (_, i) => `r${i + 1}`);
  for (const log of ['executions.log', 'pre_run.log', 'post_run.log']) {
    const counts = countBy(fs.readFileSync(path.join(dir, log), 'utf8').split('\n').filter(Boolean));
    const wrong = ids.filter((id) => counts.get(id) !== 1).map((id) => `${id} x${counts.get(id) ?? 0}`);
    assert.deepEqual(wrong, [], `seed ${seed}: ${log}: each run once`);
  }
  for (const id of ids) {
    const state = readState(path.join(dir, 'runs', id));
    assert.equal(state.completed?.outcome, 'completed', `seed ${seed}: ${id} completed`);
    assert.equal(state.attempts.length, 1, `seed ${seed}: ${id} has one attempt`);
    const [attempt] = state.attempts;
    assert.ok(Date.parse(attempt.startedAt) <= Date.parse(attempt.endedAt), `seed ${seed}: ${id} started (${attempt.startedAt}) before it ended (${attempt.endedAt})`);
    // On SLURM the job's own records, whatever mensemble went through, and the times the state shows are theirs.
    const records = path.join(dir, 'runs', id, '.mensemble');
    if (attempt.backend === 'slurm') {
      const [started, ended] = ['started', 'ended'].map((r) => JSON.parse(fs.readFileSync(path.join(records, `attempt-1.${r}`), 'utf8')));
      assert.deepEqual([started.job, ended.job, ended.exitCode], [attempt.jobId, attempt.jobId, 0], `seed ${seed}: ${id}'s records`);
      assert.deepEqual([attempt.startedAt, attempt.endedAt], [started.at, ended.at], `seed ${seed}: ${id}'s times are its records'`);
    }
  }
  const plan = await runCli(['plan'], dir);
  assert.match(plan.stdout, new RegExp(`No changes\\. ${runs} runs up to date`), `seed ${seed}: ${plan.stdout}`);
}

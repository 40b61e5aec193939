// The SLURM backend against a real single-node cluster (scripts/slurm-up.sh).
// Tests in this file share the cluster and run side by side (TESTS_AT_ONCE),
// each in its own ensemble folder, so none may block the event loop (runCli,
// never cli) or count on the cluster to itself; the ones that stop a daemon or
// reconfigure the cluster take it alone (aloneOnCluster) and come last.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, test, type TestContext } from 'node:test';
import { ROOT, cliAsync, runCli, countBy, executions, readState, sweepEnsemble, tempDir, writeTree } from './helpers.js';
import { accountedJobsEnded, accountedJobsSettled, countingShims, ensureCluster, faultyCommands, mostInSchedulerAtOnce, queuedJobsUnder, slurm, stopDaemon } from './slurm/cluster.js';
import { ClusterLock } from './slurm/cluster-lock.js';
import { parseCpuTime, parseMemory } from '../src/util/units.js';
import { tearDown } from './slurm/cluster.js';
import { HOSTILE_RUNS, expectedParams, hostileEnsemble, pwnedFiles } from './security/hostile.js';
import { SLURM_CAMPAIGN, slurmCrashCampaign } from './reliability/slurm-campaign.js';
import { expectedSanityTree, mensembleOwn, repository, tree } from './model-ensembler/examples.js';

const skip = ensureCluster('accounting');
after(() => {
  if (!skip) tearDown();
});

const TESTS_AT_ONCE = Number(process.env.MENSEMBLE_SLURM_TESTS_AT_ONCE ?? 5);
const cluster = new ClusterLock();
type Body = (t: TestContext) => Promise<void>;
/** A test that shares the cluster with the others running. */
function onCluster(name: string, options: { skip?: string; timeout?: number }, body: Body): void {
  test(name, options, (t) => cluster.shared(() => body(t)));
}
/** A test that stops or reconfigures the cluster: it waits for the running ones and runs alone. */
function aloneOnCluster(name: string, options: { skip?: string; timeout?: number }, body: Body): void {
  test(name, options, (t) => cluster.exclusive(() => body(t)));
}

/** sweepEnsemble on the slurm backend. */
function slurmEnsemble(dir: string, options: Parameters<typeof sweepEnsemble>[1] & { retry?: number } = {}): void {
  sweepEnsemble(dir, options);
  writeTree(dir, { '.mensemblerc': 'backend: slurm\npoll_interval: 0.3\ncheck_interval: 0.2\n' });
  if (options.retry) {
    const file = path.join(dir, 'mensemble.yaml');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('      run_id:', `      retry: { max_attempts: ${options.retry} }\n      run_id:`));
  }
}

async function statusJson(dir: string): Promise<{ runs: Array<{ id: string; state: string; jobId: string | null; attempt: number | null; exitCode: number | null }>; summary: Record<string, number> }> {
  const r = await runCli(['status', '--json'], dir);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

async function waitUntil(what: string, condition: () => boolean, seconds = 60): Promise<void> {
  for (let i = 0; i < seconds * 10; i++) {
    if (condition()) return;
    await sleep(100);
  }
  assert.fail(`timed out waiting until ${what}`);
}

describe('the SLURM backend on the test cluster', { concurrency: TESTS_AT_ONCE }, () => {

  aloneOnCluster("issue 33, item 13: a MariaDB whose `slurm` user has another password (a cluster set up before) does not keep slurmdbd out: slurm-up.sh sets the password and accounting comes up", { skip, timeout: 120_000 }, async () => {
    const mysql = (sql: string) => spawnSync('mysql', ['-e', sql], { encoding: 'utf8' });
    assert.equal(mysql("ALTER USER 'slurm'@'localhost' IDENTIFIED BY 'a-password-of-another-cluster'").status, 0);
    stopDaemon('slurmdbd');
    const up = spawnSync('bash', [path.join(ROOT, 'scripts/slurm-up.sh'), 'accounting'], { encoding: 'utf8', timeout: 100_000 });
    assert.equal(up.status, 0, `before: "timed out waiting for slurmdbd" after 30 s, not saying why\n${up.stderr}`);
    assert.match(slurm('sacctmgr', ['-n', '-P', 'list', 'cluster', 'format=cluster']), /\S/, 'accounting answers');
  });

  // The tests that stop or reconfigure the cluster come first: each runs alone, and run here they
  // wait for nothing (declared last, each first waited for the shared tests still running).
  // Alone: its background apply polls the cluster, and beside the timing-sensitive array tests it made them flaky.
  aloneOnCluster('apply --no-wait keeps maxjobs (issue 31, item 11): 6 runs with maxjobs 2 never run more than 2 at once, one job per run (an apply goes on in the background) and as throttled arrays (the scheduler holds the rest), and all complete without another command', { skip, timeout: 240_000 }, async () => {
    for (const array of [false, true]) {
      const dir = tempDir();
      slurmEnsemble(dir, {
        runs: 6,
        maxjobs: 2,
        jobBody: '#!/bin/sh\necho "{{ run.id }}" >> ../../executions.log\necho "start {{ run.id }} $(date +%s.%N)" >> ../../times.log\nsleep 1\necho "end {{ run.id }} $(date +%s.%N)" >> ../../times.log\n',
      });
      const r = await runCli(['apply', '--yes', '--no-wait', ...(array ? ['--array'] : [])], dir);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      if (array) assert.doesNotMatch(r.stdout, /background/, 'as throttled arrays, the scheduler holds the rest: the apply returns at once');
      else assert.match(r.stdout, /--no-wait: batch sweep has 6 runs .* the apply goes on in the background/);
      const times = path.join(dir, 'times.log');
      const ended = () => (fs.existsSync(times) ? fs.readFileSync(times, 'utf8').split('\n').filter((l) => l.startsWith('end')).length : 0);
      await waitUntil('all six jobs ended', () => ended() === 6 && !fs.existsSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock')), 150);
      const events = fs.readFileSync(times, 'utf8').split('\n').filter(Boolean).map((l) => l.split(' ')).map(([what, , t]) => ({ t: Number(t), d: what === 'start' ? 1 : -1 }));
      events.sort((a, b) => a.t - b.t || a.d - b.d);
      let now = 0;
      let most = 0;
      for (const e of events) most = Math.max(most, (now += e.d));
      assert.ok(most <= 2, `array ${array}: ${most} jobs ran at once (before: all 6 were in the queue at once)`);
      assert.deepEqual(countBy(executions(dir)).size, 6);
      assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1, 1, 1], 'each ran once');
    }
  });

  aloneOnCluster('a node failure (slurmd and the job killed without a trace, the node marked down as the controller does once slurmd stops answering) is seen through the scheduler as node_fail', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, {
      runs: 2,
      maxjobs: 2,
      jobBody: `#!/bin/bash
  echo "{{ run.id }}" >> ../../executions.log
  {% if n == 1 %}echo $$ > job.pid; sleep 600{% endif %}
  `,
    });
    const shims = countingShims(dir);
    const run = cliAsync(['apply', '--yes'], dir, { PATH: shims.path });
    const r1 = path.join(dir, 'runs', 'r1');
    await waitUntil('r1 is running', () => fs.existsSync(path.join(r1, 'job.pid')) && fs.existsSync(path.join(r1, '.mensemble', 'attempt-1.started')), 60);
    // The job, its wrapper and the slurmstepd above them die at once, as on a node that lost power: no trap runs.
    const job = Number(fs.readFileSync(path.join(r1, 'job.pid'), 'utf8'));
    const parentOf = (pid: number) => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]);
    const wrapper = parentOf(job);
    const stepd = parentOf(wrapper);
    assert.match(fs.readFileSync(`/proc/${stepd}/comm`, 'utf8'), /slurmstepd/);
    const node = slurm('sinfo', ['-h', '-N', '-o', '%N']).trim().split('\n')[0]!;
    stopDaemon('slurmd');
    try {
      for (const pid of [stepd, wrapper, job]) process.kill(pid, 'SIGKILL');
      // What slurmctld does once slurmd has not answered for SlurmdTimeout (300 s by default): the node goes down
      // and its jobs end NODE_FAIL.
      slurm('scontrol', ['update', `NodeName=${node}`, 'State=DOWN', 'Reason=mensemble test: node failure']);
      const r = await run.done;
      assert.equal(r.code, 3, r.stderr + r.stdout);
    } finally {
      assert.equal(ensureCluster('accounting'), undefined);
      spawnSync('scontrol', ['update', `NodeName=${node}`, 'State=RESUME']);
    }
    const attempt = readState(r1).attempts[0];
    assert.equal(attempt.state, 'node_fail', JSON.stringify(attempt));
    assert.equal(fs.existsSync(path.join(r1, '.mensemble', 'attempt-1.ended')), false, 'r1 left no record of its end');
    assert.ok((countBy(shims.calls()).get('squeue') ?? 0) >= 1, 'the safety net asked the scheduler');
    assert.equal(readState(path.join(dir, 'runs', 'r2')).attempts[0].state, 'completed');
    assert.deepEqual([...countBy(executions(dir)).values()], [1, 1]);
  });

  aloneOnCluster('slurmctld stopped for 10 s during an apply: the apply carries on and every run completes once', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    // The first two jobs run through the whole outage: their ends come from their records, but the safety net's
    // queries go on while they run, and they must meet the stopped controller (jobs of 2 s could end, by their
    // records, before slurmctld was down, and then nothing queried it: seen once in a fresh-machine run).
    slurmEnsemble(dir, {
      runs: 6,
      maxjobs: 2,
      jobBody: `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
sleep {% if n <= 2 %}15{% else %}1{% endif %}
echo done > output.txt
`,
    });
    // A squeue that starts while slurmctld is down may wait for it, and be answered once it is back: then no query
    // failed and the outage went unnoticed (seen once in a full run). With a 5 s limit on each command, the first
    // query of the outage (one starts at least every 2.4 s at this poll interval) fails before the 10 s are over.
    const run = cliAsync(['apply', '--yes'], dir, { MENSEMBLE_TEST_SLURM_TIMEOUT_MS: '5000' });
    await waitUntil('the first jobs are submitted', () => executions(dir).length >= 1);
    stopDaemon('slurmctld');
    try {
      await sleep(10_000);
    } finally {
      assert.equal(ensureCluster('accounting'), undefined);
    }
    const r = await run.done;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /could not query the slurm backend/, 'the outage was noticed');
    assert.match(r.stdout, /the slurm backend answers again after \d+ s/, 'and its end');
    assert.match(r.stdout, /Apply complete: 6 completed, 0 failed/);
    assert.deepEqual([...countBy(executions(dir)).values()], Array(6).fill(1));
  });

  aloneOnCluster('without accounting, final states come from the controller (scontrol) for a job that left no record of its end', { skip, timeout: 240_000 }, async () => {
    assert.equal(ensureCluster('no-accounting'), undefined);
    try {
      await withoutAccounting();
    } finally {
      // The tests after this one need accounting again.
      assert.equal(ensureCluster('accounting'), undefined);
    }
  });

  async function withoutAccounting(): Promise<void> {
    const dir = tempDir();
    // r4 ends by itself (its records tell); r3 kills its wrapper, so only the controller can tell how it ended.
    slurmEnsemble(dir, {
      runs: 4,
      maxjobs: 4,
      jobBody: `#!/bin/sh
  echo "{{ run.id }}" >> ../../executions.log
  {% if n == 4 %}exit 5{% endif %}
  {% if n == 3 %}kill -KILL $PPID; sleep 5{% endif %}
  echo done > output.txt
  `,
    });
    const shims = countingShims(dir);
    const r = await runCli(['apply', '--yes'], dir, { PATH: shims.path });
    assert.equal(r.code, 3, r.stderr + r.stdout);
    const status = await statusJson(dir);
    assert.deepEqual(status.summary, { completed: 2, failed: 2 });
    assert.equal(status.runs.find((x) => x.id === 'r4')!.exitCode, 5);
    assert.equal(fs.existsSync(path.join(dir, 'runs', 'r3', '.mensemble', 'attempt-1.ended')), false, 'r3 left no record of its end');
    assert.match(readState(path.join(dir, 'runs', 'r3')).attempts[0].reason, /killed by signal 9/);
    const counts = countBy(shims.calls());
    assert.ok((counts.get('sacct') ?? 0) <= 1, 'sacct is asked once, then mensemble knows accounting is off');
    assert.ok((counts.get('scontrol') ?? 0) >= 1);
    // A crash between sbatch and recording the id is recovered from squeue and scontrol alone.
    const dir2 = tempDir();
    slurmEnsemble(dir2, { runs: 2, maxjobs: 2, sleep: 0.5 });
    assert.equal((await runCli(['apply', '--yes'], dir2, { MENSEMBLE_TEST_CRASH_AT: 'after-sbatch:1' })).code, 137);
    const resumed = await runCli(['apply', '--yes'], dir2);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    // Which run reached sbatch first, and whether the other's sbatch was already on its way when mensemble
    // died, depends on the machine's load: at least the first is adopted; a run whose sbatch was never made
    // is submitted now. Either way each ran once.
    assert.ok((resumed.stdout.match(/r[12]: adopted job \d+/g) ?? []).length >= 1, resumed.stdout);
    assert.deepEqual([...countBy(executions(dir2)).values()], [1, 1]);
  }

  // The rest share the cluster, longest first, so that no long test starts last (test/slurm.test.ts sets
  // the suite's length).
  onCluster('jobs that end without their records are still seen, through the scheduler: a job whose wrapper is SIGKILLed, one cancelled while pending, one over its time limit', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, {
      runs: 3,
      maxjobs: 3,
      jobBody: `#!/bin/bash
{% if n == 2 %}#SBATCH --begin=now+3600
{% elif n == 3 %}#SBATCH --time=1
{% endif %}echo "{{ run.id }}" >> ../../executions.log
{% if n == 1 %}kill -KILL $PPID; sleep 5{% else %}sleep 600{% endif %}
`,
    });
    // The default pace (60 s) would make this test slow; any pace is the same safety net.
    writeTree(dir, { '.mensemblerc': 'backend: slurm\npoll_interval: 2\n' });
    const apply = cliAsync(['apply', '--yes'], dir);
    await waitUntil('r2 submitted', () => fs.existsSync(path.join(dir, 'runs', 'r2', '.mensemble', 'state.json')) && readState(path.join(dir, 'runs', 'r2')).attempts[0]?.jobId !== undefined, 60);
    await sleep(1000);
    slurm('scancel', [readState(path.join(dir, 'runs', 'r2')).attempts[0].jobId]);
    const r = await apply.done;
    assert.equal(r.code, 3, r.stderr + r.stdout);
    const [killed, cancelled, timedOut] = [1, 2, 3].map((n) => readState(path.join(dir, 'runs', `r${n}`)).attempts[0]);
    assert.equal(killed.state, 'failed', JSON.stringify(killed));
    assert.match(killed.reason, /killed by signal 9/);
    assert.equal(fs.existsSync(path.join(dir, 'runs', 'r1', '.mensemble', 'attempt-1.ended')), false, 'r1 left no end record');
    assert.equal(cancelled.state, 'cancelled', JSON.stringify(cancelled));
    assert.equal(fs.existsSync(path.join(dir, 'runs', 'r2', '.mensemble', 'attempt-1.started')), false, 'r2 never started');
    // A time limit: the wrapper recorded the signal, and the scheduler named it.
    assert.equal(timedOut.state, 'timeout', JSON.stringify(timedOut));
    assert.equal(JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'r3', '.mensemble', 'attempt-1.ended'), 'utf8')).signalled, true);
  });

  // Early: its TIMEOUT takes SLURM's one-minute smallest limit and a sweep of up to a minute, so it runs beside the rest.
  onCluster('retries by cause with cgroup enforcement: a job past its --mem ends OUT_OF_MEMORY and its retry gets the escalated memory and completes; a job past its one-minute --time ends TIMEOUT and its retry gets the doubled time', { skip, timeout: 400_000 }, async () => {
    const dir = tempDir();
    writeTree(dir, {
      'mensemble.yaml': `dialect: mensemble\nensemble:
  batches:
    - name: b
      basedir: ./runs
      templatedir: ../tpl
      templates: [job.sh]
      job_file: job.sh
      maxruns: 2
      maxjobs: 2
      run_id: "{{ kind }}"
      retry:
        max_attempts: 2
        when: [OUT_OF_MEMORY, TIMEOUT]
        escalate:
          OUT_OF_MEMORY: { mem: 8x }
          TIMEOUT: { time: 2x }
        limits: { mem: 1G, time: "00:10:00" }
      matrix:
        kind: [memory, time]
`,
      // The job file's own #SBATCH lines ask for 60 MB per CPU and one minute: the retry's options must win over them.
      'tpl/job.sh*': `#!/bin/sh
#SBATCH --mem-per-cpu=60M
#SBATCH --time=1
{% if kind == 'memory' %}x=$(head -c 100000000 /dev/zero | tr '\\0' a)
{% else %}[ "$MENSEMBLE_ATTEMPT" = 1 ] && sleep 600
{% endif %}echo "{{ kind }} done"
`,
      '.mensemblerc': 'backend: slurm\npoll_interval: 2\n',
    });
    const r = await runCli(['apply', '--yes'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /memory: retrying: attempt 2 of 2 -> mem 480 MB/);
    assert.match(r.stdout, /time: retrying: attempt 2 of 2 -> time 0:02:00/);
    const memory = readState(path.join(dir, 'runs', 'memory')).attempts;
    const time = readState(path.join(dir, 'runs', 'time')).attempts;
    assert.deepEqual(memory.map((a: { state: string }) => a.state), ['out_of_memory', 'completed']);
    assert.deepEqual(time.map((a: { state: string }) => a.state), ['timeout', 'completed']);
    assert.deepEqual([memory[1].escalated, time[1].escalated], [{ mem: '480M' }, { time: '00:02:00' }]);
    // What the scheduler itself gave each job: sacct's request and time limit.
    const printed = slurm('sacct', ['-X', '-n', '-P', `--jobs=${[...memory, ...time].map((a: { jobId: string }) => a.jobId).join(',')}`, '--format=JobID,State,ReqMem,TimelimitRaw']);
    const rows = new Map(printed.trim().split('\n').map((l) => { const [id, ...rest] = l.split('|'); return [id, rest]; }));
    assert.deepEqual(rows.get(memory[0].jobId), ['OUT_OF_MEMORY', '60M', '1']);
    assert.deepEqual(rows.get(memory[1].jobId), ['COMPLETED', '480M', '1']);
    assert.deepEqual(rows.get(time[0].jobId)?.slice(0, 1), ['TIMEOUT']);
    assert.deepEqual(rows.get(time[1].jobId)?.[2], '2');
    // The plan has nothing left to do.
    const plan = await runCli(['plan'], dir);
    assert.match(plan.stdout, /No changes\. 2 runs up to date/);
  });

  onCluster("model-ensembler's own examples (sanity check, test.yaml, test-single.yaml, test-seqbatch.yaml), unmodified, on SLURM: its partitions, #SBATCH lines and job names; the tree model-ensembler leaves", { skip, timeout: 240_000 }, async () => {
    const { root, env } = repository();
    const sanity = await runCli(['apply', 'examples/sanity-check.yml', '--yes', '--backend', 'slurm', '--check-interval', '0.2', '--poll-interval', '0.3'], root, env);
    assert.equal(sanity.code, 0, sanity.stderr + sanity.stdout);
    assert.match(sanity.stdout, /Apply complete: 6 completed, 0 failed\./);
    assert.deepEqual(tree(root, (rel) => rel === 'examples' || mensembleOwn(rel)), expectedSanityTree());
    const jobs = await accountedJobsSettled(path.join(root, 'sanity_check'), 6);
    assert.equal(jobs.size, 6, 'one job per run directory');
    for (const [dir, list] of jobs) {
      assert.equal(list.length, 1, `${dir}: ${JSON.stringify(list)}`);
      assert.equal(list[0]!.state, 'COMPLETED');
    }
    const named = slurm('sacct', ['-X', '-n', '-P', '-S', 'now-1hours', '-o', 'JobName,Partition,WorkDir']).split('\n').filter((l) => l.includes(`${root}/sanity_check/`));
    assert.deepEqual(named.map((l) => l.split('|').slice(0, 2).join('|')).sort(), [1, 2, 3, 4, 5, 6].map((n) => `sanity_check${n}|long`), 'the job file\'s #SBATCH --job-name and --partition');

    const examples = path.join(root, 'examples');
    writeTree(examples, { 'tst1/batch.ready': '', 'tst2/batch.ready': '' });
    const testYaml = await runCli(['apply', 'test.yaml', '--yes', '--backend', 'slurm', '--check-interval', '0.2', '--poll-interval', '0.3'], examples, env);
    assert.equal(testYaml.code, 3, testYaml.stdout);
    assert.match(testYaml.stdout, /Apply complete: 4 completed, 4 failed\./);
    const tst2 = await accountedJobsSettled(path.join(examples, 'tst2'), 4);
    assert.equal([...tst2.values()].flat().filter((j) => j.state === 'COMPLETED').length, 4);
    assert.equal((await accountedJobsSettled(path.join(examples, 'tst1'), 0)).size, 0, "tst1's runs failed in pre_run, before any job");
    assert.ok(fs.existsSync(path.join(examples, 'process.keep')) && !fs.existsSync(path.join(examples, 'process.touch')));

    for (const file of ['test-single.yaml', 'test-seqbatch.yaml']) {
      const other = repository();
      const folder = path.join(other.root, 'examples');
      const plan = JSON.parse((await runCli(['plan', file, '--json', '--backend', 'slurm'], folder)).stdout);
      for (const b of plan.batches) writeTree(b.basedir, { 'batch.ready': '' });
      const r = await runCli(['apply', file, '--yes', '--backend', 'slurm', '--check-interval', '0.2', '--poll-interval', '0.3'], folder, other.env);
      assert.equal(r.code, 0, `${file}: ${r.stderr}${r.stdout}`);
      assert.match(r.stdout, new RegExp(`Apply complete: ${plan.runs.length} completed, 0 failed\\.`));
      const accounted = await accountedJobsSettled(folder, plan.runs.length);
      assert.equal([...accounted.values()].flat().filter((j) => j.state === 'COMPLETED').length, plan.runs.length, `${file}: one completed job per run`);
    }
  });

  onCluster(`crash campaign on SLURM with job arrays: ${SLURM_CAMPAIGN.runs} runs, ${SLURM_CAMPAIGN.kills} SIGKILLs; sacct holds one completed task per run`, { skip, timeout: 900_000 }, async (t) => {
    await slurmCrashCampaign(t, 'array: true\n');
  });

  onCluster(`crash campaign on SLURM: ${SLURM_CAMPAIGN.runs} runs, ${SLURM_CAMPAIGN.kills} SIGKILLs anywhere in apply; sacct holds one completed job per run`, { skip, timeout: 900_000 }, async (t) => {
    await slurmCrashCampaign(t);
  });

  onCluster('job arrays: 30 runs as arrays split at MaxArraySize, each run once; resumed after SIGKILL twice; a failed task retried alone', { skip, timeout: 300_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, {
      runs: 30,
      maxjobs: 5,
      retry: 2,
      jobBody: `#!/bin/sh
  #SBATCH --time=5
  echo "{{ run.id }}" >> ../../executions.log
  echo "hello from {{ run.id }}"
  {% if n == 7 %}if [ ! -f failed-once ]; then touch failed-once; exit 3; fi{% endif %}
  sleep 2
  echo done > output.txt
  `,
    });
    // Each task takes 2 s, so that the first array still holds all 5 slots while the second apply is
    // killed and the third starts, on a loaded machine too (at 0.5 s, with the suite's other files
    // beside it, the first array had drained meanwhile and r26-r30 went out in two arrays).
    fs.appendFileSync(path.join(dir, '.mensemblerc'), 'array: true\n');
    const shims = countingShims(dir);
    const env = { PATH: shims.path };
    // 1. Killed right after the first array's sbatch returned, before any task id was recorded.
    const crashed = await runCli(['apply', '--yes'], dir, { ...env, MENSEMBLE_TEST_CRASH_AT: 'after-sbatch:1' });
    assert.equal(crashed.code, 137, crashed.stderr);
    // How runs group into arrays depends on when they reach the submit step (an array goes out 150 ms after
    // the last arrival, or 2 s after the first): on a loaded machine the first array may go out before every
    // run reached it, so the runs of the crashed sbatch are found rather than assumed to be r1-r25.
    const intents = Array.from({ length: 30 }, (_, i) => readState(path.join(dir, 'runs', `r${i + 1}`))?.attempts?.[0]).filter((a) => a?.state === 'submitting');
    assert.ok(intents.some((a) => typeof a.backendData?.array === 'string'), 'the intent names its array before sbatch');
    assert.match((await runCli(['plan'], dir)).stdout, /\d+ to resume/);
    // 2. Resumed, and killed again while tasks run.
    const resumed = cliAsync(['apply', '--yes'], dir, env);
    await waitUntil('some tasks ran', () => executions(dir).length >= 8, 120);
    resumed.kill();
    assert.equal((await resumed.done).code, 137);
    // 3. Resumed to the end.
    const r = await runCli(['apply', '--yes'], dir, env);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Apply complete: \d+ completed, 0 failed/);
    assert.match(r.stdout, /as job arrays/);
    assert.match((await runCli(['plan'], dir)).stdout, /No changes\. 30 runs up to date/);

    const counts = countBy(executions(dir));
    for (let n = 1; n <= 30; n++) assert.equal(counts.get(`r${n}`), n === 7 ? 2 : 1, `r${n} ran ${counts.get(`r${n}`)} times`);
    const states = Array.from({ length: 30 }, (_, i) => readState(path.join(dir, 'runs', `r${i + 1}`)));
    const arrayOf = (a: { jobId: string }) => String(a.jobId).split('_')[0]!;
    const firstTasks = countBy(states.map((st) => arrayOf(st.attempts[0])));
    assert.ok(firstTasks.size >= 2, `30 runs with MaxArraySize=25 make at least two arrays (${[...firstTasks.keys()].join(', ')})`);
    for (const [array, tasks] of firstTasks) assert.ok(tasks <= 25, `array ${array} has ${tasks} tasks, more than MaxArraySize`);
    for (const st of states) {
      assert.match(st.attempts[0].jobId, /^\d+_\d+$/, 'array tasks are recorded as <array>_<task>');
      assert.equal(st.attempts.length, st.id === 'r7' ? 2 : 1);
    }
    const retried = states[6].attempts;
    assert.equal(retried[0].state, 'failed');
    assert.equal(retried[0].exitCode, 3);
    assert.notEqual(retried[1].jobId.split('_')[0], retried[0].jobId.split('_')[0], 'the retry went out in a later array');
    // The scheduler's own records: 31 array tasks under this ensemble, each run's task id once.
    const accounted = [...(await accountedJobsSettled(dir, 31)).values()].flat();
    assert.equal(accounted.length, 31, `sacct holds ${accounted.length} tasks`);
    const recorded = states.flatMap((st) => st.attempts.map((a: { jobId: string }) => a.jobId)).sort();
    assert.deepEqual(accounted.map((j) => j.id).sort(), recorded);
    // One sbatch per array, none lost or repeated: usually two (the first array of 25 before the first
    // crash; r26-r30 and r7's retry together once slots freed), more when runs arrived slowly.
    const everyArray = new Set(states.flatMap((st) => st.attempts.map(arrayOf)));
    assert.equal(countBy(shims.calls()).get('sbatch'), everyArray.size, JSON.stringify(Object.fromEntries(countBy(shims.calls()))));
    const logs = await runCli(['logs', 'r5'], dir);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, `==> runs/r5/slurm-${states[4].attempts[0].jobId}.out <==\nhello from r5\n`, 'each task\'s output is in its own run directory');
    assert.deepEqual((await statusJson(dir)).summary, { completed: 30 });
  });

  onCluster('hostile values ($(...), quotes, spaces, line breaks, %) in variables, run ids and paths reach no shell on SLURM, one job per run and as arrays', { skip, timeout: 240_000 }, async () => {
    for (const array of [false, true]) {
      const root = tempDir('mensemble-hostile-slurm-');
      const dir = hostileEnsemble(path.join(root, 'ens'), 'backend: slurm\npoll_interval: 0.3\n', `      array: ${array}\n`);
      const r = await runCli(['apply', '--yes'], dir);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stdout, new RegExp(`Apply complete: ${HOSTILE_RUNS.length} completed, 0 failed`));
      assert.deepEqual(pwnedFiles(root), [], `array: ${array}: no command hidden in a value ran`);
      const basedir = path.join(dir, "runs $(touch PWNED-basedir) 'b'");
      const recorded: string[] = [];
      for (const run of HOSTILE_RUNS) {
        const runDir = path.join(basedir, run.id);
        assert.equal(fs.readFileSync(path.join(runDir, 'seen.txt'), 'utf8'), expectedParams(run.text), `array: ${array}: ${run.id} ran in its own directory`);
        recorded.push(readState(runDir).attempts[0].jobId);
      }
      // The scheduler's records: exactly the recorded jobs, each completed once.
      const accounted = [...(await accountedJobsSettled(dir, HOSTILE_RUNS.length)).values()].flat();
      assert.deepEqual(accounted.map((j) => j.id).sort(), recorded.sort(), `array: ${array}`);
      assert.ok(accounted.every((j) => j.state === 'COMPLETED'), JSON.stringify(accounted));
    }
  });

  onCluster('scheduler load: one squeue per poll cycle whatever the ensemble size', { skip, timeout: 240_000 }, async (t) => {
    const calls = async (runs: number) => {
      const dir = tempDir();
      slurmEnsemble(dir, { runs, maxjobs: runs, sleep: 0 });
      const shims = countingShims(dir);
      const started = Date.now();
      const r = await runCli(['apply', '--yes', '--poll-interval', '1'], dir, { PATH: shims.path });
      const seconds = (Date.now() - started) / 1000;
      assert.equal(r.code, 0, r.stderr);
      return { counts: countBy(shims.calls()), seconds };
    };
    const small = await calls(10);
    const large = await calls(50);
    for (const [runs, m] of [[10, small], [50, large]] as const) t.diagnostic(`${runs} runs in ${m.seconds.toFixed(1)} s: ${JSON.stringify(Object.fromEntries(m.counts))}`);
    assert.equal(small.counts.get('sbatch'), 10);
    assert.equal(large.counts.get('sbatch'), 50, 'one submission per run');
    for (const { counts, seconds } of [small, large]) {
      // A poll cycle starts at most once a second (--poll-interval 1): one squeue each, plus sacct or
      // scontrol only for jobs that left the queue in that cycle; and after the runs, the ledger's one
      // sacct for every job that ended (asked at most 4 times while accounting catches up).
      const squeue = counts.get('squeue') ?? 0;
      assert.ok(squeue <= seconds + 2, `${squeue} squeue calls in ${seconds.toFixed(1)} s`);
      assert.ok((counts.get('sacct') ?? 0) <= squeue + 4 && (counts.get('scontrol') ?? 0) <= squeue, JSON.stringify(Object.fromEntries(counts)));
    }
    // Five times the runs does not mean five times the polls.
    assert.ok((large.counts.get('squeue') ?? 0) < 50, `polls: ${large.counts.get('squeue')} for 50 runs`);
  });

  onCluster('model-ensembler parity on SLURM: its example runs with its #SBATCH lines; the jobs check waits; the submit task submits', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    fs.cpSync(path.join(ROOT, 'examples', 'model-ensembler'), dir, { recursive: true });
    // Only the partition differs on this cluster; -x overrides it, as with model-ensembler.
    const r = await runCli(['apply', 'ensemble.yml', '--yes', '--backend', 'slurm', '--poll-interval', '0.3', '--check-interval', '0.2', '-x', 'cluster=debug'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const runDir = path.join(dir, 'tst1', 'tst1-0');
    const jobId = readState(runDir).attempts[0].jobId;
    assert.ok(fs.existsSync(path.join(runDir, `job.${jobId}.out`)), 'the job file\'s own #SBATCH --output was honoured');
    // Job ids are reused when the cluster's state is reset and its accounting kept: the row of this run's
    // directory, once accounting has it (it learns of jobs a little after the controller).
    const named = async () => {
      for (let i = 0; i < 100; i++) {
        const rows = slurm('sacct', ['-X', '-n', '-P', '-j', jobId, '-o', 'JobName,WorkDir']).split('\n').filter((l) => l.endsWith(`|${runDir}`));
        if (rows.length > 0) return rows.map((l) => l.split('|')[0]);
        await sleep(100);
      }
      return [];
    };
    assert.deepEqual(await named(), ['tst1-0'], 'and its --job-name');
    assert.ok(fs.existsSync(path.join(dir, 'archive', 'tst1-0', 'output.txt')), 'post_run tasks ran');

    const dir2 = tempDir();
    writeTree(dir2, {
      'mensemble.yaml': `dialect: mensemble\nensemble:
    batches:
      - name: sweep
        basedir: ./runs
        templatedir: ../template
        templates: [job.sh.j2]
        job_file: job.sh
        maxruns: 1
        maxjobs: 1
        runs: [{n: 1}]
        pre_run:
          - name: jobs
            args: {limit: 1, match: blocker-}
        post_run:
          - name: submit
            args: {script: ../../extra.sh}
  `,
      'template/job.sh.j2': '#!/bin/sh\necho run > ran.txt\n',
      'extra.sh': '#!/bin/sh\n#SBATCH --job-name=extra-job\necho extra > extra.txt\n',
      '.mensemblerc': 'backend: slurm\npoll_interval: 0.3\ncheck_interval: 0.2\n',
    });
    // The blocker runs until the test's word (at most a minute), given 3 s after the run was rendered, when its
    // pre_run check has looked (it slept 4 s from before the apply started, and had ended before the check
    // looked on a loaded machine).
    const blocker = slurm('sbatch', ['--parsable', `--job-name=blocker-${path.basename(dir2)}`, '--chdir', dir2, '--wrap', 'i=0; while [ ! -f release ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done']).trim();
    const applying = runCli(['apply', '--yes'], dir2);
    await waitUntil('the run is rendered', () => fs.existsSync(path.join(dir2, 'runs', 'sweep-0', 'job.sh')));
    await sleep(3000);
    fs.writeFileSync(path.join(dir2, 'release'), '');
    const applied = await applying;
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    assert.match(applied.stdout, /waiting: 1 active jobs match `blocker-`/);
    const run = path.join(dir2, 'runs', 'sweep-0');
    const mine = readState(run).attempts[0];
    await accountedJobsSettled(dir2, 2);
    const times = (id: string) => slurm('sacct', ['-X', '-n', '-P', '-j', id, '-o', 'Start,End']).trim().split('\n').at(-1)!.split('|');
    assert.ok(Date.parse(times(mine.jobId)[0]!) >= Date.parse(times(blocker)[1]!), 'the run was submitted only after the blocker ended');
    await waitUntil('the extra job ran', () => fs.existsSync(path.join(run, 'extra.txt')), 60);
    assert.match(applied.stdout, /submit: extra\.sh is job \d+/);
  });

  onCluster('job arrays keep maxjobs across arrays: runs that reach submit later wait for a free slot, and their array is raised as tasks end', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    // r1-r3 reach submit at once and go out as one array (%3). r4-r6 arrive 3 s later (their
    // pre_run sleeps) while r1-r3 hold all three slots. r1, r2, r3 end at different times.
    writeTree(dir, {
      'mensemble.yaml': `dialect: mensemble\nensemble:
    batches:
      - name: sweep
        basedir: ./runs
        templatedir: ../template
        templates: [job.sh.j2, delay.j2]
        job_file: job.sh
        maxruns: 6
        maxjobs: 3
        array: true
        run_id: "r{{ n }}"
        matrix:
          n: [1, 2, 3, 4, 5, 6]
        pre_run:
          - name: execute
            args: {cmd: "sleep $(cat delay)"}
  `,
      'template/job.sh.j2': `#!/bin/sh
  echo "start {{ run.id }} $(date +%s.%N)" >> ../../times.log
  sleep {{ [0, 2, 5, 8][n] if n <= 3 else 6 }}
  echo "end {{ run.id }} $(date +%s.%N)" >> ../../times.log
  `,
      'template/delay.j2': '{{ 0 if n <= 3 else 3 }}\n',
      '.mensemblerc': 'backend: slurm\npoll_interval: 0.3\ncheck_interval: 0.2\n',
    });
    const shims = countingShims(dir);
    const r = await runCli(['apply', '--yes'], dir, { PATH: shims.path });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Apply complete: 6 completed, 0 failed/);

    // The jobs' own clock: how many ran at once, and when.
    const events = fs.readFileSync(path.join(dir, 'times.log'), 'utf8').trim().split('\n').map((line) => {
      const [kind, run, at] = line.split(' ');
      return { kind: kind!, run: run!, at: Number(at) };
    });
    assert.equal(events.filter((e) => e.kind === 'start').length, 6, 'each run started once');
    const running = new Set<string>();
    let most = 0;
    let laterTogether = 0;
    for (const e of events.sort((a, b) => a.at - b.at || (a.kind === 'end' ? -1 : 1))) {
      if (e.kind === 'start') running.add(e.run);
      else running.delete(e.run);
      most = Math.max(most, running.size);
      laterTogether = Math.max(laterTogether, ['r4', 'r5', 'r6'].filter((id) => running.has(id)).length);
    }
    assert.ok(most <= 3, `at most 3 tasks of the batch ran at once (saw ${most})`);
    assert.equal(most, 3, 'and the three slots were used');
    // The later array went out throttled to the one slot r1 freed; without raising its
    // throttle as r2 and r3 ended, its tasks would only ever have run one at a time.
    assert.ok(laterTogether >= 2, `the later array's tasks ran side by side once slots freed (saw ${laterTogether})`);
    const arrays = new Set(['r1', 'r2', 'r3', 'r4', 'r5', 'r6'].map((id) => String(readState(path.join(dir, 'runs', id)).attempts[0].jobId).split('_')[0]));
    assert.equal(arrays.size, 2, 'two arrays');
    assert.equal(countBy(shims.calls()).get('sbatch'), 2);
    // A raise that comes after an array's tasks have all ended is no error (SLURM answers
    // "Job has already finished" and exits 1): the gate may be a poll behind the scheduler.
    const { SlurmBackend } = await import('../src/backends/slurm/index.js');
    await new SlurmBackend().arrays.setThrottle!(['r1', 'r4'].map((id) => readState(path.join(dir, 'runs', id)).attempts[0]), 3);
  });

  onCluster('at default settings the apply learns of every start and end from the jobs\' own records: no squeue, sacct or scontrol status query, one job per run and as arrays', { skip, timeout: 240_000 }, async (t) => {
    for (const array of [false, true]) {
      const dir = tempDir();
      slurmEnsemble(dir, { runs: 8, maxjobs: 4, sleep: 1 });
      // The defaults: no poll interval of the tests' own.
      writeTree(dir, { '.mensemblerc': `backend: slurm\narray: ${array}\n` });
      const shims = countingShims(dir);
      const started = Date.now();
      const r = await runCli(['apply', '--yes'], dir, { PATH: shims.path });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      const calls = countBy(shims.calls());
      t.diagnostic(`array: ${array}: 8 runs in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(Object.fromEntries(calls))}`);
      assert.equal(calls.get('squeue'), undefined, `array: ${array}: ${JSON.stringify(Object.fromEntries(calls))}`);
      // sacct only for the ledger, once the runs are done: one query for all of them (asked again while accounting catches up).
      const sacct = shims.withArgs().filter((c) => c.startsWith('sacct '));
      assert.ok(sacct.length <= 4 && sacct.every((c) => c.includes('MaxRSS') && c.includes('--jobs=')), JSON.stringify(sacct));
      // Arrays ask the controller's configuration once (MaxArraySize); never a job's status.
      assert.ok((calls.get('scontrol') ?? 0) <= (array ? 1 : 0), JSON.stringify(Object.fromEntries(calls)));
      assert.equal(executions(dir).length, 8);
      for (let n = 1; n <= 8; n++) {
        const runDir = path.join(dir, 'runs', `r${n}`);
        const attempt = readState(runDir).attempts[0];
        assert.equal(attempt.state, 'completed');
        assert.equal(attempt.exitCode, 0);
        // The times are the job's own (milliseconds, from its records), the start before the end.
        const started = JSON.parse(fs.readFileSync(path.join(runDir, '.mensemble', 'attempt-1.started'), 'utf8'));
        const ended = JSON.parse(fs.readFileSync(path.join(runDir, '.mensemble', 'attempt-1.ended'), 'utf8'));
        assert.equal(started.job, attempt.jobId);
        assert.deepEqual([attempt.startedAt, attempt.endedAt], [started.at, ended.at]);
        assert.ok(Date.parse(attempt.startedAt) < Date.parse(attempt.endedAt));
        // The output file is the job's alone: the wrapper writes nothing into it.
        const output = fs.readdirSync(runDir).filter((f) => f.startsWith('slurm-'));
        assert.deepEqual(output.map((f) => fs.readFileSync(path.join(runDir, f), 'utf8')), [''], `array: ${array}: r${n}`);
      }
      // The ledger: each attempt's figures are what sacct itself prints for its job.
      const attempts = Array.from({ length: 8 }, (_, i) => readState(path.join(dir, 'runs', `r${i + 1}`)).attempts[0]);
      const jobList = `--jobs=${attempts.map((a) => a.jobId).join(',')}`;
      const printed = slurm('sacct', ['-X', '-n', '-P', jobList, '--format=JobID,ElapsedRaw,AllocCPUS,CPUTimeRAW,ReqMem']);
      const byJob = new Map(printed.trim().split('\n').map((line) => { const [id, ...rest] = line.split('|'); return [id, rest]; }));
      // With its steps (no -X): the job's own line has the CPU time of all its steps (-X leaves the steps out:
      // 0 for a batch job), and the peak is the largest MaxRSS of its steps (none printed: the ledger says missing).
      const peaks = new Map<string, number>();
      const cpuTimes = new Map<string, number | undefined>();
      for (const line of slurm('sacct', ['-n', '-P', jobList, '--format=JobID,MaxRSS,TotalCPU']).trim().split('\n')) {
        const [id, rss, totalCpu] = line.split('|');
        const job = id!.split('.')[0]!;
        if (job === id) cpuTimes.set(job, parseCpuTime(totalCpu!));
        const bytes = rss ? parseMemory(rss) : undefined;
        if (bytes !== undefined) peaks.set(job, Math.max(peaks.get(job) ?? 0, bytes));
      }
      for (const a of attempts) {
        const [elapsed, cpus, coreTime, reqMem] = byJob.get(a.jobId) ?? [];
        assert.equal(a.usage?.source, 'accounting', `array: ${array}: job ${a.jobId}: ${JSON.stringify(a.usage)}`);
        assert.deepEqual(
          [a.usage.elapsedSeconds, a.usage.cpus, a.usage.coreSeconds, a.usage.requestedMemoryBytes, a.usage.cpuSeconds, a.usage.peakMemoryBytes],
          [Number(elapsed), Number(cpus), Number(coreTime), parseMemory(reqMem!), cpuTimes.get(a.jobId), peaks.get(a.jobId)],
          `job ${a.jobId}`,
        );
      }
      if (array) continue;
      // The cost of 4 more runs is 4 times the mean of what sacct says the 8 completed ones cost; a smaller budget submits nothing.
      const config = path.join(dir, 'mensemble.yaml');
      fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace(/n: \[[^\]]*\]/, `n: [${Array.from({ length: 12 }, (_, i) => i + 1).join(', ')}]`));
      const perRun = [...byJob.values()].reduce((sum, [, , coreTime]) => sum + Number(coreTime) / 3600, 0) / 8;
      const plan = JSON.parse((await runCli(['plan', '--json'], dir)).stdout);
      assert.deepEqual([plan.cost.runs, plan.cost.batches[0].basis.runs], [4, 8]);
      assert.ok(Math.abs(plan.cost.coreHours - 4 * perRun) < 1e-12, `${plan.cost.coreHours} != 4 x ${perRun}`);
      const before = shims.calls().filter((c) => c === 'sbatch').length;
      const refused = await runCli(['apply', '--yes', '--max-core-hours', String(plan.cost.coreHours / 2)], dir, { PATH: shims.path });
      assert.equal(refused.code, 1, refused.stdout + refused.stderr);
      assert.match(refused.stderr, /is above the budget .* Nothing was submitted\./);
      assert.equal(shims.calls().filter((c) => c === 'sbatch').length, before, 'no sbatch');
      assert.equal(fs.existsSync(path.join(dir, 'runs', 'r9')), false);
    }
  });

  onCluster('damaged state files on SLURM: repair re-adopts the jobs from the scheduler, one job per run and as array tasks; nothing is submitted again', { skip, timeout: 240_000 }, async () => {
    for (const array of [false, true]) {
      const dir = tempDir();
      slurmEnsemble(dir, { runs: 4, maxjobs: 4 });
      if (array) fs.appendFileSync(path.join(dir, '.mensemblerc'), 'array: true\n');
      const first = await runCli(['apply', '--yes'], dir);
      assert.equal(first.code, 0, first.stderr + first.stdout);
      await accountedJobsSettled(dir, 4);
      const before = ['r1', 'r3'].map((id) => readState(path.join(dir, 'runs', id)).attempts[0].jobId);
      for (const id of ['r1', 'r3']) fs.writeFileSync(path.join(dir, 'runs', id, '.mensemble', 'state.json'), '{"version": 1, "attem');
      assert.match((await runCli(['plan'], dir)).stdout, /2 damaged/);
      const repair = await runCli(['repair'], dir);
      assert.equal(repair.code, 0, repair.stderr);
      assert.match(repair.stdout, /Repaired 2 runs/, repair.stdout);
      assert.deepEqual(['r1', 'r3'].map((id) => readState(path.join(dir, 'runs', id)).attempts.map((a: { jobId: string; state: string }) => `${a.jobId} ${a.state}`)), before.map((id) => [`${id} completed`]), `array: ${array}: the same jobs, re-adopted`);
      const shims = countingShims(dir);
      const again = await runCli(['apply', '--yes'], dir, { PATH: shims.path });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /No changes\. 4 runs up to date/);
      assert.equal(countBy(shims.calls()).get('sbatch') ?? 0, 0, `array: ${array}: nothing submitted again`);
      assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1]);
    }
  });

  onCluster('a cluster with arrays disabled (MaxArraySize=0): array: true submits one job per run and maxjobs still holds', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 6, maxjobs: 2, sleep: 1 });
    fs.appendFileSync(path.join(dir, '.mensemblerc'), 'array: true\n');
    // Fault injection beside the real scontrol: only its configuration says arrays are off.
    const PATH = faultyCommands(dir, {
      scontrol: 'if [ "$1 $2" = "show config" ]; then /usr/bin/scontrol "$@" | sed -E "s/^(MaxArraySize +)= .*/\\1= 0/"; exit ${PIPESTATUS[0]}; fi\nexec /usr/bin/scontrol "$@"\n',
    });
    const r = await runCli(['apply', '--yes'], dir, { PATH });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const most = mostInSchedulerAtOnce(await accountedJobsEnded(dir, 6));
    assert.ok(most <= 2, `at most 2 jobs queued or running at once (saw ${most})`);
    assert.match(r.stdout, /job arrays are disabled on this slurm cluster: batch sweep is submitted one job per run, at most maxjobs \(2\) at once/);
    assert.equal(executions(dir).length, 6);
    for (let n = 1; n <= 6; n++) assert.match(String(readState(path.join(dir, 'runs', `r${n}`)).attempts[0].jobId), /^\d+$/, 'a job of its own, not an array task');
  });

  onCluster('maxjobs: 2 is never exceeded in the scheduler', { skip }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 8, maxjobs: 2, sleep: 2 });
    const r = await runCli(['apply', '--yes'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(executions(dir).length, 8);
    // From the scheduler's own records, not by sampling the queue (which misses moments when
    // the machine is busy): each job's submit and end time.
    const jobs = await accountedJobsEnded(dir, 8);
    assert.equal(jobs.length, 8, JSON.stringify(jobs));
    assert.equal(mostInSchedulerAtOnce(jobs), 2, `at most 2 jobs queued or running at once, and 2 used: ${JSON.stringify(jobs)}`);
  });

  onCluster('12 runs on SLURM: each job in its run directory, each run once; a second apply submits nothing', { skip }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 12, maxjobs: 12 });
    const r = await runCli(['apply', '--yes'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /Apply complete: 12 completed, 0 failed/);
    assert.deepEqual([...countBy(executions(dir)).values()], Array(12).fill(1));
    const jobs = await accountedJobsSettled(dir, 12);
    for (let n = 1; n <= 12; n++) {
      const runDir = path.join(dir, 'runs', `r${n}`);
      const state = readState(runDir);
      assert.equal(state.attempts.length, 1);
      assert.equal(state.attempts[0].backend, 'slurm');
      assert.deepEqual(jobs.get(runDir)?.map((j) => j.id), [state.attempts[0].jobId], `r${n}: one job, in its run directory`);
      assert.equal(fs.readFileSync(path.join(runDir, 'output.txt'), 'utf8'), 'done\n');
    }
    const again = await runCli(['apply', '--yes'], dir);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /No changes\. 12 runs up to date/);
    assert.equal(executions(dir).length, 12);
    assert.equal([...(await accountedJobsSettled(dir, 12)).values()].flat().length, 12, 'nothing submitted the second time');
    const status = await statusJson(dir);
    assert.deepEqual(status.summary, { completed: 12 });
  });

  onCluster('issue 33, item 12: --profile picks a section of .mensemblerc: its backend and its sbatch defaults (the partition) reach the jobs; a batch\'s own option wins', { skip }, async () => {
    const dir = tempDir();
    sweepEnsemble(dir, { runs: 2, extraBatch: batchYamlOwnPartition() });
    writeTree(dir, { '.mensemblerc': 'backend: local\npoll_interval: 0.3\nprofiles:\n  cluster:\n    backend: slurm\n    slurm: {partition: short}\n' });
    const plain = await runCli(['plan', '--json'], dir);
    assert.equal(plain.code, 0, plain.stderr);
    const r = await runCli(['apply', '--yes', '--profile', 'cluster'], dir);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    for (const run of ['runs/r1', 'runs/r2', 'own/o1']) {
      const state = readState(path.join(dir, run));
      assert.equal(state.attempts[0].backend, 'slurm', `${run}: the profile's backend`);
      const partition = slurm('sacct', ['-n', '-X', '-P', '-j', state.attempts[0].jobId, '-o', 'Partition']).trim();
      assert.equal(partition, run.startsWith('own') ? 'long' : 'short', `${run}: the profile's partition, or the batch's own`);
    }
  });

  onCluster('fault injection: squeue and sacct that hang past their time limit are retried; every run completes once', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 4, maxjobs: 4, sleep: 3 });
    // Beside the real commands: the first squeue and every second one after it, and the first two sacct calls, hang
    // far past mensemble's limit (2 s here). (With every second squeue from the second, an apply whose jobs' records
    // told it everything made one squeue call, and met no hang, on a loaded machine.)
    const hanging = faultyCommands(dir, {
      squeue: 'if [ $(( n % 2 )) -eq 1 ]; then exec sleep 60; fi\nexec /usr/bin/squeue "$@"\n',
      sacct: 'if [ $n -le 2 ]; then exec sleep 60; fi\nexec /usr/bin/sacct "$@"\n',
    });
    const r = await runCli(['apply', '--yes'], dir, { PATH: hanging, MENSEMBLE_TEST_SLURM_TIMEOUT_MS: '2000' });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /could not query the slurm backend \(squeue did not answer within 2 s\)/);
    assert.match(r.stdout, /Apply complete: 4 completed, 0 failed/);
    const jobs = await accountedJobsSettled(dir, 4);
    for (const id of ['r1', 'r2', 'r3', 'r4']) assert.equal(jobs.get(path.join(dir, 'runs', id))?.length, 1, `${id}: one job`);
    assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1]);
  });

  onCluster('a failing job is FAILED with its exit code and retried up to max_attempts; a cancelled job is CANCELLED', { skip }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, {
      runs: 3,
      maxjobs: 3,
      retry: 2,
      jobBody: `#!/bin/sh
  echo "{{ run.id }}" >> ../../executions.log
  echo "hello from {{ run.id }}"
  {% if n == 2 %}exit 3{% endif %}
  {% if n == 3 %}sleep 60{% endif %}
  echo done > output.txt
  `,
    });
    const run = cliAsync(['apply', '--yes'], dir);
    const r3 = path.join(dir, 'runs', 'r3');
    await waitUntil('r3 runs', () => {
      try {
        return readState(r3).attempts.at(-1)?.state === 'running';
      } catch {
        return false;
      }
    });
    // Cancelled behind mensemble's back, as a user or an admin would.
    slurm('scancel', [readState(r3).attempts.at(-1).jobId]);
    const r = await run.done;
    assert.equal(r.code, 3, 'failed runs make apply exit 3');
    assert.match(r.stdout, /r2: job \d+ failed \(exit code 3\)/);
    assert.match(r.stdout, /r2: retrying: attempt 2 of 2/);
    const status = await statusJson(dir);
    const byId = new Map(status.runs.map((x) => [x.id, x]));
    assert.equal(byId.get('r1')!.state, 'completed');
    assert.deepEqual({ state: byId.get('r2')!.state, exitCode: byId.get('r2')!.exitCode, attempt: byId.get('r2')!.attempt }, { state: 'failed', exitCode: 3, attempt: 2 });
    assert.deepEqual({ state: byId.get('r3')!.state, attempt: byId.get('r3')!.attempt }, { state: 'cancelled', attempt: 1 }, 'a cancelled job is not retried by the apply that saw it cancelled');
    assert.match((await runCli(['plan'], dir)).stdout, /retry\s+sweep\/r3/, 'the next apply offers to retry it');
    assert.equal(countBy(executions(dir)).get('r2'), 2);
    const acct = await accountedJobsSettled(dir, 4);
    assert.deepEqual(acct.get(path.join(dir, 'runs', 'r2'))!.map((j) => [j.state, j.exit]), [['FAILED', '3:0'], ['FAILED', '3:0']]);
    const text = (await runCli(['status'], dir)).stdout;
    // RUN JOB STATE ATTEMPT ELAPSED CORE-H CPU MEM NOTE
    assert.match(text, /r2\s+\d+\s+failed\s+2\s+\S+\s+\S+\s+\S+\s+\S+\s+exit 3/);
    assert.match(text, /r3\s+\d+\s+cancelled/);
    const logs = await runCli(['logs', 'r2'], dir);
    assert.equal(logs.code, 0, logs.stderr);
    assert.equal(logs.stdout, `==> runs/r2/slurm-${byId.get('r2')!.jobId}.out <==\nhello from r2\n`, 'logs shows the latest attempt\'s SLURM output file');
  });

  onCluster('a per-user submit limit (MaxSubmitJobs) is waited out, not failed', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 2, maxjobs: 2, sleep: 0.2 });
    // Beside the real sbatch: the first three calls are refused as a real cluster refuses at the limit.
    const limited = faultyCommands(dir, {
      sbatch: `if [ $n -le 3 ]; then echo 'sbatch: error: QOSMaxSubmitJobPerUserLimit' >&2; echo 'sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user'"'"'s size and/or time limits)' >&2; exit 1; fi
  exec /usr/bin/sbatch "$@"
  `,
    });
    const r = await runCli(['apply', '--yes'], dir, { PATH: limited });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /a per-user job limit is reached .*waiting \d+ s/);
    assert.match(r.stdout, /Apply complete: 2 completed, 0 failed/);
    const jobs = await accountedJobsSettled(dir, 2);
    for (const id of ['r1', 'r2']) assert.equal(jobs.get(path.join(dir, 'runs', id))?.length, 1, `${id}: one job`);
  });

  onCluster('an intent recorded with a time in the future (clock skew) still finds its job: adopted, not submitted again', { skip }, async () => {
    const dir = tempDir();
    // maxjobs 1: the crash after the first sbatch leaves no second sbatch running on (killed with mensemble, an
    // sbatch in flight still creates its job, perhaps after the wait below: that run would then find nothing, as
    // squeue and scontrol are made to list nothing here, and be submitted again).
    slurmEnsemble(dir, { runs: 2, maxjobs: 1, sleep: 1 });
    const crashed = await runCli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'after-sbatch:1' });
    assert.notEqual(crashed.code, 0);
    const runDir = ['r1', 'r2'].map((id) => path.join(dir, 'runs', id)).find((d) => fs.existsSync(path.join(d, '.mensemble', 'state.json')) && readState(d).attempts[0]?.state === 'submitting')!;
    assert.ok(runDir, 'a run was left with an intent and no job id');
    const statePath = path.join(runDir, '.mensemble', 'state.json');
    const state = readState(runDir);
    state.attempts[0].submittedAt = new Date(Date.now() + 24 * 3600 * 1000).toISOString();
    fs.writeFileSync(statePath, JSON.stringify(state));
    // Once the job has left the queue and the controller (MinJobAge), accounting searched from the intent's time is the only way to find it: an squeue and scontrol that list nothing stand for that.
    await accountedJobsSettled(runDir.replace(/\/r\d+$/, ''), 1);
    const resumed = await runCli(['apply', '--yes'], dir, { PATH: faultyCommands(dir, { squeue: 'exit 0', scontrol: 'exit 0' }) });
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /adopted job \d+/);
    const jobs = await accountedJobsSettled(dir, 2);
    assert.equal(jobs.get(runDir)?.length, 1, 'one job for the run, not a second submission');
  });

  onCluster('fault injection: sbatch that reports a timeout after creating the job, or fails outright, never yields a second job', { skip, timeout: 240_000 }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 4, maxjobs: 4, sleep: 0.5 });
    // Beside the real sbatch: call 1 of every 3 submits for real and then claims a timeout,
    // call 2 fails without submitting, call 3 is the real sbatch.
    const faulty = faultyCommands(dir, {
      sbatch: `case $(( n % 3 )) in
    1) /usr/bin/sbatch "$@" > /dev/null; echo 'sbatch: error: Socket timed out on send/recv operation' >&2; exit 1 ;;
    2) echo 'sbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)' >&2; exit 1 ;;
    *) exec /usr/bin/sbatch "$@" ;;
  esac
  `,
    });
    const r = await runCli(['apply', '--yes'], dir, { PATH: faulty });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /sbatch: sbatch failed: .*Socket timed out.*trying again in 1 s/);
    assert.match(r.stdout, /Apply complete: 4 completed, 0 failed/);
    const jobs = await accountedJobsSettled(dir, 4);
    for (const id of ['r1', 'r2', 'r3', 'r4']) {
      const runDir = path.join(dir, 'runs', id);
      assert.equal(jobs.get(runDir)?.length, 1, `${id}: exactly one job although sbatch was called again`);
      assert.equal(readState(runDir).attempts.length, 1, `${id}: one attempt`);
    }
    assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1, 1]);
  });

  onCluster('a job that ended while squeue still lists it gets its exit code and signal from accounting, not a bare state (as a site whose squeue shows finished jobs)', { skip, timeout: 120_000 }, async () => {
    const dir = tempDir();
    // Exit 3, and death by SIGUSR2: both final states that squeue's %T names without an exit code.
    slurmEnsemble(dir, { runs: 2, maxjobs: 2, jobBody: '#!/bin/sh\n{% if n == 1 %}exit 3{% else %}kill -USR2 $$; sleep 5{% endif %}\n' });
    // Beside the real squeue: it also lists jobs that ended within MinJobAge, with their final state.
    const PATH = faultyCommands(dir, { squeue: 'exec /usr/bin/squeue --states=all "$@"\n' });
    const r = await runCli(['apply', '--yes'], dir, { PATH });
    assert.equal(r.code, 3, r.stderr + r.stdout);
    const [exited, killed] = [1, 2].map((n) => readState(path.join(dir, 'runs', `r${n}`)).attempts[0]);
    assert.equal(exited.state, 'failed');
    assert.equal(exited.exitCode, 3, JSON.stringify(exited));
    assert.equal(killed.state, 'failed');
    assert.equal(killed.exitCode, 128 + 12, JSON.stringify(killed));
    assert.match(killed.reason, /killed by signal 12/);
  });

  onCluster('mensemble cancel cancels queued and running jobs and records them', { skip }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 3, maxjobs: 3, sleep: 30 });
    const r = await runCli(['apply', '--yes', '--no-wait'], dir);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(queuedJobsUnder(dir).length, 3);
    const c = await runCli(['cancel'], dir);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /Cancelled 3 jobs/);
    await waitUntil('the queue has none of them', () => queuedJobsUnder(dir).length === 0, 30);
    assert.deepEqual((await statusJson(dir)).summary, { cancelled: 3 });
    assert.match((await runCli(['cancel'], dir)).stdout, /Nothing to cancel/);
  });

  onCluster('jobs see MENSEMBLE_RUN_ID, MENSEMBLE_RUN_DIR and MENSEMBLE_ATTEMPT, one job per run and as arrays; inside an allocation mensemble warns and the allocation\'s SLURM_* variables do not reach the jobs', { skip, timeout: 240_000 }, async () => {
    for (const array of [false, true]) {
      const dir = tempDir();
      slurmEnsemble(dir, {
        runs: 2,
        maxjobs: 2,
        jobBody: '#!/bin/sh\necho "{{ run.id }}" >> ../../executions.log\nprintf \'%s|%s|%s|%s\\n\' "$MENSEMBLE_RUN_ID" "$MENSEMBLE_RUN_DIR" "$MENSEMBLE_ATTEMPT" "${SLURM_MEM_PER_NODE:-unset}" > env.txt\n',
      });
      if (array) fs.appendFileSync(path.join(dir, '.mensemblerc'), 'array: true\n');
      // As if run from inside `salloc --mem=1234`: SLURM sets these in the allocation's shell.
      const r = await runCli(['apply', '--yes'], dir, { SLURM_JOB_ID: '999999', SLURM_MEM_PER_NODE: '1234' });
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(r.stderr, /mensemble: warning: mensemble runs inside slurm job 999999 \(an allocation\)/);
      for (const id of ['r1', 'r2']) {
        const runDir = path.join(dir, 'runs', id);
        assert.equal(fs.readFileSync(path.join(runDir, 'env.txt'), 'utf8'), `${id}|${runDir}|1|unset\n`, `array: ${array}: ${id}`);
      }
    }
  });

  onCluster('killed after sbatch returned but before the job id was recorded: the next apply adopts the job', { skip }, async () => {
    const dir = tempDir();
    slurmEnsemble(dir, { runs: 3, maxjobs: 3, sleep: 1 });
    const crashed = await runCli(['apply', '--yes'], dir, { MENSEMBLE_TEST_CRASH_AT: 'after-sbatch:2' });
    assert.equal(crashed.code, 137, 'killed by SIGKILL');
    const intent = readState(path.join(dir, 'runs', 'r2')).attempts[0];
    assert.equal(intent.state, 'submitting', 'the intent was recorded, the job id was not');
    assert.equal(intent.jobId, undefined);
    assert.match((await runCli(['plan'], dir)).stdout, /resume\s+sweep\/r2/);
    const resumed = await runCli(['apply', '--yes'], dir);
    assert.equal(resumed.code, 0, resumed.stderr + resumed.stdout);
    assert.match(resumed.stdout, /r2: adopted job \d+/);
    const jobs = await accountedJobsSettled(dir, 3);
    for (const id of ['r1', 'r2', 'r3']) {
      const runDir = path.join(dir, 'runs', id);
      assert.equal(jobs.get(runDir)?.length, 1, `${id}: one job in the scheduler`);
      assert.equal(readState(runDir).attempts[0].jobId, jobs.get(runDir)![0]!.id);
    }
    assert.deepEqual([...countBy(executions(dir)).values()], [1, 1, 1]);
  });
});

/** A second batch with its own partition, for sweepEnsemble's extraBatch. */
function batchYamlOwnPartition(): string {
  return `    - name: own
      basedir: ./own
      templatedir: ../template
      templates: [job.sh.j2, params.j2]
      job_file: job.sh
      maxruns: 1
      maxjobs: 1
      run_id: "o{{ n }}"
      slurm: {partition: long}
      matrix:
        n: [1]
`;
}

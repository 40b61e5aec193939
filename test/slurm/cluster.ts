import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, writeTree } from '../helpers.js';
import { cannotRun, needPackages } from '../system-packages.js';

export type ClusterMode = 'accounting' | 'no-accounting';

/**
 * Brings the test cluster up in `mode` (scripts/slurm-up.sh, idempotent).
 * Returns a skip reason on machines that cannot run it; under CI=true a
 * cluster that does not come up is an error, never a skip.
 */
export function ensureCluster(mode: ClusterMode): string | undefined {
  const missing = needPackages('slurm', 'SLURM tests');
  if (missing) return missing;
  if (process.getuid?.() !== 0) return cannotRun('SLURM tests', 'they need root to start a SLURM cluster');
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/slurm-up.sh'), mode], { encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) return cannotRun('SLURM tests', `scripts/slurm-up.sh ${mode} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' / ')}`);
  return undefined;
}

export function stopDaemon(name: 'slurmctld' | 'slurmd' | 'slurmdbd'): void {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/slurm-down.sh'), name], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`slurm-down.sh ${name}: ${r.stderr}`);
}

export function tearDown(): void {
  if (process.env.MENSEMBLE_KEEP_SLURM === '1') return;
  spawnSync('bash', [path.join(ROOT, 'scripts/slurm-down.sh')], { encoding: 'utf8' });
}

/** Runs a SLURM client command for assertions (an argument array, like mensemble does). */
export function slurm(command: string, args: string[]): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export type AccountedJob = { id: string; state: string; exit: string; submit: string; end: string };

/** Jobs the scheduler's accounting holds whose working directory is under `dir`, by working directory. */
export function accountedJobsUnder(dir: string): Map<string, AccountedJob[]> {
  const out = slurm('sacct', ['-X', '-n', '-P', '-S', 'now-2hours', '-o', 'JobID,State,ExitCode,Submit,End,WorkDir']);
  const byDir = new Map<string, AccountedJob[]>();
  for (const line of out.split('\n')) {
    // WorkDir comes last and may itself hold a `|`.
    const [id, state, exit, submit, end, ...rest] = line.split('|');
    const workDir = rest.join('|');
    if (!id || !workDir || !workDir.startsWith(`${dir}/`)) continue;
    const list = byDir.get(workDir) ?? [];
    list.push({ id, state: state!, exit: exit!, submit: submit!, end: end! });
    byDir.set(workDir, list);
  }
  return byDir;
}

/**
 * accountedJobsUnder once accounting has caught up: sacct learns of jobs a
 * little after the controller, more so on a busy machine. Waits until at
 * least `expected` jobs are recorded, then a little longer so that an
 * unexpected extra job would show too.
 */
export async function accountedJobsSettled(dir: string, expected: number): Promise<ReturnType<typeof accountedJobsUnder>> {
  const total = () => [...accountedJobsUnder(dir).values()].reduce((n, list) => n + list.length, 0);
  for (let i = 0; i < 300 && total() < expected; i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 2000));
  return accountedJobsUnder(dir);
}

/** The `expected` jobs under `dir` once accounting holds an end time for each. */
export async function accountedJobsEnded(dir: string, expected: number): Promise<AccountedJob[]> {
  let jobs = [...(await accountedJobsSettled(dir, expected)).values()].flat();
  for (let i = 0; i < 150 && jobs.some((j) => Number.isNaN(Date.parse(j.end))); i++) {
    await new Promise((r) => setTimeout(r, 200));
    jobs = [...accountedJobsUnder(dir).values()].flat();
  }
  return jobs;
}

/**
 * The most jobs that were in the scheduler (queued or running) at once, from
 * accounting's submit and end times. They have one-second resolution, but a
 * job that left the queue before the next was submitted also ended no later
 * in whole seconds, so half-open [submit, end) intervals never overlap falsely.
 */
export function mostInSchedulerAtOnce(jobs: AccountedJob[]): number {
  const events = jobs.flatMap((j) => [
    { at: Date.parse(j.submit), delta: 1 },
    { at: Date.parse(j.end), delta: -1 },
  ]);
  if (events.some((e) => Number.isNaN(e.at))) throw new Error(`a job without submit or end time: ${JSON.stringify(jobs)}`);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const e of events) most = Math.max(most, (now += e.delta));
  return most;
}

/** Jobs in the queue now whose working directory is under `dir`. */
export function queuedJobsUnder(dir: string): Array<{ id: string; state: string; workDir: string }> {
  const out = slurm('squeue', ['--me', '-h', '-o', '%i|%T|%Z']);
  return out
    .split('\n')
    .map((l) => l.split('|'))
    .filter(([id, , workDir]) => id && workDir?.startsWith(`${dir}/`))
    .map(([id, state, workDir]) => ({ id: id!, state: state!, workDir: workDir! }));
}

/**
 * A PATH folder whose sbatch, squeue, sacct, scontrol and scancel log each
 * call and then run the real command: to count what mensemble asks of the
 * scheduler, never to stand in for it.
 */
export function countingShims(dir: string): { path: string; calls: () => string[]; withArgs: () => string[] } {
  const shims = path.join(dir, 'shims');
  const log = path.join(dir, 'slurm-calls.log');
  const argsLog = path.join(dir, 'slurm-calls-with-args.log');
  const files: Record<string, string> = {};
  for (const name of ['sbatch', 'squeue', 'sacct', 'scontrol', 'scancel']) {
    files[`${name}*`] = `#!/bin/sh\necho ${name} >> '${log}'\necho ${name} "$*" >> '${argsLog}'\nexec /usr/bin/${name} "$@"\n`;
  }
  writeTree(shims, files);
  const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  return {
    path: `${shims}:${process.env.PATH}`,
    calls: () => lines(log),
    /** Each call as `<command> <arguments joined by spaces>`. */
    withArgs: () => lines(argsLog),
  };
}

/**
 * Fault-injecting SLURM commands placed before the real ones on PATH: each
 * body is bash that sees the command's call number (1, 2, ...) in `$n` and
 * decides whether to fail, hang, call the real /usr/bin/<command>, or both.
 * Returns the PATH to run with.
 */
export function faultyCommands(dir: string, bodies: Partial<Record<'sbatch' | 'squeue' | 'sacct' | 'scontrol', string>>): string {
  const folder = path.join(dir, 'faulty');
  const files: Record<string, string> = {};
  for (const [name, body] of Object.entries(bodies)) {
    const counter = path.join(dir, `${name}-calls`);
    files[`${name}*`] = `#!/bin/bash
exec 9>>'${counter}.lock'; flock 9
n=$(( $(cat '${counter}' 2>/dev/null || echo 0) + 1 )); echo $n > '${counter}'
exec 9>&-
${body}`;
  }
  writeTree(folder, files);
  return `${folder}:${process.env.PATH}`;
}

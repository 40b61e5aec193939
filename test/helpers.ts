import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'dist', 'cli', 'main.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** No colour, no FORCE_COLOR (Node warns when both are set), HOME in the test folder. */
function testEnv(cwd: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: cwd, ...extra };
  if (!('FORCE_COLOR' in extra)) delete env.FORCE_COLOR;
  return env;
}

/** Runs the built CLI (npm test builds it first) with no terminal and no colour. */
export function cli(args: string[], cwd: string, env: Record<string, string> = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd,
    encoding: 'utf8',
    env: testEnv(cwd, env),
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 120_000,
    maxBuffer: 1 << 28,
  });
  return { code: r.status ?? exitCodeOfSignal(r.signal), stdout: r.stdout, stderr: r.stderr };
}

/** A shell's code for a process a signal ended: 128 + its number (137 for SIGKILL). */
function exitCodeOfSignal(signal: NodeJS.Signals | null): number {
  return signal ? 128 + os.constants.signals[signal] : 1;
}

/** Starts the CLI in the background; resolves with its result (killed processes give code 137). */
export function cliAsync(args: string[], cwd: string, env: Record<string, string> = {}): { pid: number; done: Promise<CliResult>; kill: () => void } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: testEnv(cwd, env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code: code ?? exitCodeOfSignal(signal), stdout, stderr }));
  });
  return { pid: child.pid!, done, kill: () => child.kill('SIGKILL') };
}

/**
 * cli without blocking: the test file's other tests (and its timers) go on
 * while the command runs. Killed after `timeoutMs`, as cli is.
 */
export async function runCli(args: string[], cwd: string, env: Record<string, string> = {}, timeoutMs = 120_000): Promise<CliResult> {
  const run = cliAsync(args, cwd, env);
  const timer = setTimeout(run.kill, timeoutMs);
  try {
    return await run.done;
  } finally {
    clearTimeout(timer);
  }
}

export function tempDir(prefix = 'mensemble-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes a tree of files: { 'a/b.txt': 'content' }. Paths ending in `*` are made executable. */
export function writeTree(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    const executable = name.endsWith('*');
    const file = path.join(dir, executable ? name.slice(0, -1) : name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode: executable ? 0o755 : 0o644 });
  }
}

/** Every path under dir (relative), for "nothing was written" assertions. */
export function listTree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      out.push(child);
      if (fs.lstatSync(path.join(dir, child)).isDirectory()) walk(child);
    }
  };
  walk('');
  return out;
}

/**
 * A small ensemble whose job appends its run id to `executions.log` in the
 * ensemble folder, so tests can count how often each run really ran.
 */
export function sweepEnsemble(dir: string, options: { runs?: number; maxjobs?: number; sleep?: number; extraBatch?: string; jobBody?: string } = {}): void {
  const runs = options.runs ?? 4;
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble
ensemble:
  vars:
    scale: 1.5
  batches:
    - name: sweep
      basedir: ./runs
      templatedir: ../template
      templates: [job.sh.j2, params.j2]
      job_file: job.sh
      maxruns: ${runs}
      maxjobs: ${options.maxjobs ?? 2}
      run_id: "r{{ n }}"
      matrix:
        n: [${Array.from({ length: runs }, (_, i) => i + 1).join(', ')}]
${options.extraBatch ?? ''}`,
    'template/job.sh.j2': options.jobBody ?? `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
sleep ${options.sleep ?? 0.1}
echo done > output.txt
`,
    'template/params.j2': 'n = {{ n }}\nscale = {{ run.scale }}\n',
    '.mensemblerc': 'poll_interval: 0.1\ncheck_interval: 0.2\n',
  });
}

/**
 * A job file for sweepEnsemble that runs until the test's word: the file
 * `release` in the ensemble's folder (at most `seconds`). For tests that must
 * see a job still running however loaded the machine; a fixed sleep ended
 * before the test looked on a busy one.
 */
export function jobUntilReleased(seconds = 60): string {
  return `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
i=0; while [ ! -f ../../release ] && [ $i -lt ${seconds * 10} ]; do sleep 0.1; i=$((i+1)); done
echo done > output.txt
`;
}

/** Lets the jobs of jobUntilReleased end. */
export function releaseJobs(dir: string): void {
  fs.writeFileSync(path.join(dir, 'release'), '');
}

export function executions(dir: string): string[] {
  const file = path.join(dir, 'executions.log');
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

export function countBy(items: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(i, (m.get(i) ?? 0) + 1);
  return m;
}

export function readState(runDir: string): any {
  return JSON.parse(fs.readFileSync(path.join(runDir, '.mensemble', 'state.json'), 'utf8'));
}

/**
 * One batch of a test ensemble, as YAML list item: `b` (or `name`), run ids
 * `r<n>` over `n`, basedir ./runs, the template tpl/job.sh.j2 rendered to
 * job.sh. `extra` is more keys of the batch, already indented by 6 spaces.
 */
export function batchYaml(options: { name?: string; n: readonly number[]; maxruns?: number; maxjobs?: number; attempts?: number; array?: boolean; extra?: string }): string {
  const lines = [
    `    - name: ${options.name ?? 'b'}`,
    '      basedir: ./runs',
    '      templatedir: ../tpl',
    '      templates: [job.sh.j2]',
    '      job_file: job.sh',
    `      maxruns: ${options.maxruns ?? options.n.length}`,
    `      maxjobs: ${options.maxjobs ?? options.n.length}`,
    '      run_id: "r{{ n }}"',
    ...(options.attempts === undefined ? [] : [`      retry: { max_attempts: ${options.attempts} }`]),
    ...(options.array === undefined ? [] : [`      array: ${options.array}`]),
    '      matrix:',
    `        n: [${options.n.join(', ')}]`,
  ];
  return `${lines.join('\n')}\n${options.extra ?? ''}`;
}

/** 1, 2, ..., count. */
export function numbers(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i + 1);
}

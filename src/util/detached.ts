import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fromWorkingFolder } from './paths.js';
import { isSameProcess, isUsablePid, processStartTime } from './process.js';
import { shellCpuSeconds } from './shell-times.js';

/** The files a detached process leaves behind: its pid first, its exit code last, its output. */
export interface DetachedFiles {
  pid: string;
  exit: string;
  out: string;
}

/**
 * Sampling the memory of a process tree from a POSIX shell, with builtins
 * only (no process per sample but one `sleep`): `mensemble_tree <pid>` adds
 * the resident memory (kB) of the process and its descendants (from
 * /proc/<pid>/task/<tid>/children) to `mensemble_kb`; `mensemble_sample
 * <pid> <file>` samples the tree every second, the first time after one
 * second, and writes the largest sum so far to `<file>`. A job shorter than
 * a second has no sample: its peak is then missing, not zero.
 */
const MEASURE_FUNCTIONS = [
  'mensemble_tree() {',
  '  local k v rest c kids p',
  '  { while read -r k v rest; do if [ "$k" = VmRSS: ]; then mensemble_kb=$((mensemble_kb + v)); break; fi; done < "/proc/$1/status"; } 2>/dev/null',
  '  for c in /proc/$1/task/*/children; do',
  '    kids=; { read -r kids < "$c"; } 2>/dev/null',
  '    for p in $kids; do mensemble_tree "$p"; done',
  '  done',
  '}',
  'mensemble_sample() {',
  '  local peak=0',
  '  while sleep 1; do',
  '    kill -0 "$1" 2>/dev/null || return 0',
  '    mensemble_kb=0; mensemble_tree "$1"',
  '    if [ "$mensemble_kb" -gt "$peak" ]; then peak=$mensemble_kb; echo "$peak" > "$2"; fi',
  '  done',
  '}',
].join('\n  ');

/**
 * The fixed script every detached process runs under; paths and the command
 * reach it only as positional arguments, never spliced into the script. It
 * records its pid first and the exit code last, each with write-then-rename,
 * so a later mensemble can tell running, finished and lost processes apart,
 * even after the mensemble that started it was killed. A command whose pid
 * cannot be recorded is not run.
 */
const WRAPPER = [
  'pidf=$1; exitf=$2; out=$3; notice=$4; measure=$5; shift 5',
  // Its own start time and boot id beside the pid, so that a process that later gets the same pid (after a
  // reboot) is never taken for this one. No recorded pid, no run: a later mensemble could not tell the command
  // ever started (a full disk...).
  'st=$(s=$(cat /proc/$$/stat 2>/dev/null) && s=${s##*") "} && set -- $s && echo "${20}"); b=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)',
  '{ echo "$$ ${st}${st:+${b:+@$b}}" > "$pidf.tmp" && mv -f "$pidf.tmp" "$pidf"; } || exit 97',
  // A notice for a watching apply (state/attempt-records.ts), when asked for; only a hint, never needed.
  '[ -z "$notice" ] || { echo $$ > "$notice.start.tmp" && mv -f "$notice.start.tmp" "$notice.start"; } 2>/dev/null',
  'if [ -z "$measure" ]; then',
  '  "$@" > "$out" 2>&1 < /dev/null',
  '  code=$?',
  'else',
  // Measured (a job): the command runs beside a sampler of its process tree's memory (MEASURE_FUNCTIONS), and
  // INT and QUIT are given back to it (a background child starts with them ignored).
  `  ${MEASURE_FUNCTIONS}`,
  '  ( trap - INT QUIT; exec "$@" ) > "$out" 2>&1 < /dev/null &',
  '  job=$!',
  '  mensemble_sample "$job" "$exitf.peak" &',
  '  sampler=$!',
  '  wait "$job"; code=$?',
  '  kill "$sampler" 2>/dev/null',
  '  peak=; { read -r peak < "$exitf.peak"; } 2>/dev/null',
  'fi',
  // After the code, `times`: the CPU time of the command's processes (its second line), and the sampled peak, for the local ledger.
  '{ echo $code; times; [ -z "${peak:-}" ] || echo "peakKB $peak"; } > "$exitf.tmp" && mv -f "$exitf.tmp" "$exitf"',
  '[ -z "$notice" ] || { echo $$ > "$notice.end.tmp" && mv -f "$notice.end.tmp" "$notice.end"; } 2>/dev/null',
].join('\n');

/** How long a started process may take to show its pid file before it is taken as never started. */
export const START_GRACE_MS = 3000;

/**
 * Starts `argv` in its own session (it outlives mensemble: Ctrl-C, SIGKILL,
 * logout), its output in `files.out`. Returns its pid once its pid file (or
 * exit file) exists. With `notice`, it also leaves `<notice>.start` and
 * `<notice>.end` when it starts and ends.
 */
export interface DetachedOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  name: string;
  notice?: string;
  /** Sample the memory of the process tree and record its peak with the exit code (a job, for the ledger). */
  measure?: boolean;
}

export async function startDetached(files: DetachedFiles, argv: readonly string[], options: DetachedOptions): Promise<{ pid: number; processStart?: string }> {
  forgetDetached(files);
  // The wrapper opens its files relative to its working folder where it can: a job outlives a move of its ensemble.
  const at = (p: string) => fromWorkingFolder(options.cwd, p);
  const child = spawn('/bin/sh', ['-c', WRAPPER, options.name, at(files.pid), at(files.exit), at(files.out), options.notice ? at(options.notice) : '', options.measure ? '1' : '', ...argv], {
    cwd: options.cwd,
    detached: true,
    stdio: 'ignore',
    env: options.env ?? process.env,
  });
  child.unref();
  // A failed start (a working folder that vanished, no /bin/sh) is an 'error' event: unheard, it would end mensemble.
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`could not start ${options.name} in ${options.cwd}: ${err.message}`)));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start /bin/sh for ${options.name}`);
  const processStart = processStartTime(pid);
  await waitFor(() => fs.existsSync(files.pid) || fs.existsSync(files.exit), START_GRACE_MS);
  return { pid, processStart };
}

/** Removes what an earlier process left in these files, so that nothing of it is taken for a new one's. */
export function forgetDetached(files: DetachedFiles): void {
  for (const f of [...Object.values(files), `${files.exit}.peak`]) fs.rmSync(f, { force: true });
}

export type DetachedState = { state: 'exited'; code: number; endedAt: string; cpuSeconds?: number; peakKB?: number } | { state: 'running'; pid: number } | { state: 'lost' } | { state: 'never-started' };

/**
 * Where a detached process stands. `pid`/`processStart` are what its starter
 * recorded, if it got that far; otherwise the pid file is read.
 */
export function detachedState(files: DetachedFiles, recorded: { pid?: number; processStart?: string } = {}): DetachedState {
  const exited = (): DetachedState | undefined => {
    const exit = readExitFile(files.exit);
    if (exit === undefined) return undefined;
    const state: DetachedState = { state: 'exited', code: exit.code, endedAt: fs.statSync(files.exit).mtime.toISOString() };
    if (exit.cpuSeconds !== undefined) state.cpuSeconds = exit.cpuSeconds;
    if (exit.peakKB !== undefined) state.peakKB = exit.peakKB;
    return state;
  };
  const done = exited();
  if (done) return done;
  const written = readPidFile(files.pid);
  const pid = recorded.pid ?? written?.pid;
  if (pid === undefined) return { state: 'never-started' };
  // What the starter recorded, else what the process wrote of itself.
  const start = recorded.processStart ?? (written?.pid === pid ? written.processStart : undefined);
  if (isUsablePid(pid) && isSameProcess(pid, start)) return { state: 'running', pid };
  // It may have finished between the two looks.
  return exited() ?? { state: 'lost' };
}

/** Signals the process group a detached process leads (it and what it started); never a pid that is not that process. */
export function signalDetached(pid: number, processStart: string | undefined, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (!isUsablePid(pid) || !isSameProcess(pid, processStart)) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** The pid file a detached process wrote: `<pid>` (older wrappers) or `<pid> <ticks>@<boot id>`. */
export function readPidFile(file: string): { pid: number; processStart?: string } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
  const match = /^(\d+)(?: (\d+(?:@[0-9a-f-]+)?))?$/.exec(text);
  if (!match) return undefined;
  return { pid: Number(match[1]), processStart: match[2] };
}

/** An exit file: the code on its first line, then (from newer wrappers) the shell's `times`, whose second line is the command's CPU time. */
function readExitFile(file: string): { code: number; cpuSeconds?: number; peakKB?: number } | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(file, 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const first = lines[0]!.trim();
  if (!/^-?\d+$/.test(first)) return undefined;
  const out: { code: number; cpuSeconds?: number; peakKB?: number } = { code: Number(first) };
  const cpuSeconds = lines[2] === undefined ? undefined : shellCpuSeconds(lines[2]);
  if (cpuSeconds !== undefined) out.cpuSeconds = cpuSeconds;
  const peak = /^peakKB (\d+)$/.exec(lines[3] ?? '');
  if (peak) out.peakKB = Number(peak[1]);
  return out;
}

export function readNumber(file: string): number | undefined {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    return /^-?\d+$/.test(text) ? Number(text) : undefined;
  } catch {
    return undefined;
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let pause = 10;
  while (!condition()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, Math.min(pause, Math.max(1, deadline - Date.now()))));
    pause = Math.min(pause * 2, 200);
  }
  return true;
}

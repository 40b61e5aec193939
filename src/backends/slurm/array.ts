import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../state/atomic-write.js';
import { hash64 } from '../../util/hash.js';
import { attemptRecordFiles, preparedNotice } from '../../state/attempt-records.js';
import type { SubmitRequest } from '../types.js';
import { RECORDING_FUNCTIONS } from './job-wrapper.js';
import { compatibleHeaderLines, headerOptions, jobOption, parseHeaderLine, sbatchHeaderLines } from './job-file-header.js';

/**
 * Job arrays: many runs of one batch in one sbatch call. SLURM starts every
 * task of an array from one script, so each array gets a small wrapper
 * (`<basedir>/.mensemble/arrays/<key>/wrapper.sh`) that carries the runs' shared
 * `#SBATCH` lines, reads its task's run directory from a list file written
 * before sbatch, sends the job's output where the run's own `--output` /
 * `--error` (or `slurm-%A_%a.out`) say, and runs the run's job file there.
 */

/** Options that are per run: each task applies them itself, so they never split runs into separate arrays. */
const PER_TASK = new Set(['job-name', 'J', 'output', 'o', 'error', 'e']);

/** Runs that can share one array: the same job file, scheduler options and `#SBATCH` lines. */
export interface ArrayGroup {
  requests: SubmitRequest[];
  /** The shared `#SBATCH` lines, per-task options removed. */
  header: string[];
  /** The job name every task shares: the runs' own when they agree, else the batch name. */
  jobName: string;
  /** Where each run's task sends its output: the run's `--output`/`--error` pattern, else SLURM's array default. */
  outputs: Map<SubmitRequest, { output: string; error: string }>;
}

/** Groups the requests for arrays, reading each run's job file once. */
export function groupForArrays(requests: readonly SubmitRequest[]): ArrayGroup[] {
  const groups = new Map<string, ArrayGroup & { names: Set<string> }>();
  for (const request of requests) {
    const lines = compatibleHeaderLines(sbatchHeaderLines(path.join(request.runDir, request.jobFile)), request.options);
    const header = headerOptions(lines);
    const option = (long: string, short: string) => jobOption(request.options, header, long, short);
    const shared = lines.filter((l) => !PER_TASK.has(parseHeaderLine(l)?.key ?? ''));
    const name = option('job-name', 'J') ?? request.batch;
    const key = JSON.stringify([request.batch, request.jobFile, request.options, shared]);
    const group: ArrayGroup & { names: Set<string> } = groups.get(key) ?? { requests: [], header: shared, jobName: name, outputs: new Map(), names: new Set<string>() };
    group.requests.push(request);
    group.outputs.set(request, { output: option('output', 'o') ?? 'slurm-%A_%a.out', error: option('error', 'e') ?? '' });
    group.names.add(name);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ names, ...g }) => ({ ...g, jobName: names.size === 1 ? g.jobName : g.requests[0]!.batch }));
}

/** One array as written to disk before it is submitted. */
export interface PreparedArray {
  key: string;
  /** `<basedir>/.mensemble/arrays/<key>/`: the array's working directory, which also tells its jobs apart in accounting. */
  dir: string;
  script: string;
  list: string;
  size: number;
}

/**
 * Writes the wrapper and the list for `requests` (task i is requests[i]).
 * The list holds four lines per task: run directory, job file, output
 * pattern, error pattern. Paths with a line break cannot be listed.
 */
export function prepareArray(group: ArrayGroup, requests: readonly SubmitRequest[], key: string): PreparedArray {
  const dir = path.join(path.dirname(requests[0]!.runDir), '.mensemble', 'arrays', key);
  fs.mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (const r of requests) {
    const { output, error } = group.outputs.get(r)!;
    for (const value of [r.runDir, r.jobFile, output, error]) {
      if (/[\n\r]/.test(value)) throw new Error(`array mode cannot list ${JSON.stringify(value)}: it contains a line break`);
      lines.push(value);
    }
  }
  const script = path.join(dir, 'wrapper.sh');
  const list = path.join(dir, 'tasks.list');
  // Per task, which run and attempt it is (the job's MENSEMBLE_* variables) and where its records and notices
  // go (job-wrapper.ts): five lines, in a file of its own so that tasks.list keeps its shape.
  const runs = requests.flatMap((r) => {
    const records = attemptRecordFiles(r.runDir, r.attempt);
    const values = [r.runId, String(r.attempt), records.started, records.ended, preparedNotice(r.runDir, r.attempt)];
    for (const value of values) if (/[\n\r]/.test(value)) throw new Error(`array mode cannot list ${JSON.stringify(value)}: it contains a line break`);
    return values;
  });
  writeFileAtomic(path.join(dir, 'runs.list'), `${runs.join('\n')}\n`);
  writeFileAtomic(list, `${lines.join('\n')}\n`);
  writeFileAtomic(script, wrapperScript(group.header), 0o755);
  return { key, dir, script, list, size: requests.length };
}

/** A key for a new array: unique per submission, short enough for file names. */
export function newArrayKey(requests: readonly SubmitRequest[], chunk: number): string {
  const first = requests[0]!;
  return hash64(`${first.ensembleKey}\0${first.batch}\0${chunk}\0${Date.now()}\0${process.pid}\0${requests.map((r) => `${r.runDir}#${r.attempt}`).join('\0')}`);
}

/**
 * The wrapper every task of an array runs. It is the same text for every
 * array but for the `#SBATCH` lines copied from the runs' job file; run
 * data reaches it only as arguments and through the list file, never as
 * shell text.
 */
export function wrapperScript(header: readonly string[]): string {
  return `#!/bin/bash
${header.join('\n')}${header.length ? '\n' : ''}# mensemble job array wrapper: task N runs entry N of the list given as $1.
set -u
mapfile -t entry < <(sed -n "$((SLURM_ARRAY_TASK_ID * 4 + 1)),$((SLURM_ARRAY_TASK_ID * 4 + 4))p" "$1")
dir=\${entry[0]:-}
job=\${entry[1]:-}
if [ -z "$dir" ] || ! cd -- "$dir"; then
  echo "mensemble: array task $SLURM_ARRAY_TASK_ID: cannot enter its run directory '$dir'" >&2
  exit 97
fi
# The run and attempt, as a job of its own sees them, and where the task's records go.
mapfile -t run < <(sed -n "$((SLURM_ARRAY_TASK_ID * 5 + 1)),$((SLURM_ARRAY_TASK_ID * 5 + 5))p" "$(dirname -- "$1")/runs.list")
export MENSEMBLE_RUN_ID="\${run[0]:-}" MENSEMBLE_RUN_DIR="$dir" MENSEMBLE_ATTEMPT="\${run[1]:-}"
expand() {
  local p=$1
  p=\${p//%%/$'\\x01'}
  p=\${p//%j/$SLURM_JOB_ID}
  p=\${p//%A/$SLURM_ARRAY_JOB_ID}
  p=\${p//%a/$SLURM_ARRAY_TASK_ID}
  p=\${p//%x/\${SLURM_JOB_NAME:-}}
  p=\${p//%u/\${USER:-$(id -un)}}
  p=\${p//$'\\x01'/%}
  printf '%s' "$p"
}
out=$(expand "\${entry[2]:-slurm-%A_%a.out}")
err=\${entry[3]:-}
if [ -n "$err" ] && [ "$(expand "$err")" != "$out" ]; then
  exec >"$out" 2>"$(expand "$err")"
else
  exec >"$out" 2>&1
fi
${RECORDING_FUNCTIONS}mensemble_run "./$job" "\${run[2]:-}" "\${run[3]:-}" "\${run[4]:-}"
`;
}

/**
 * Array task ids as SLURM prints them, expanded: `12_7` -> [12_7];
 * `12_[0-3%2]` or `12_[1,4-5]` -> one id per task.
 */
export function expandArrayId(id: string): string[] {
  const m = /^(\d+)_\[?([\d,\-]+)(?:%\d+)?\]?$/.exec(id);
  if (!m) return [id];
  const out: string[] = [];
  for (const part of m[2]!.split(',')) {
    const [from, to] = part.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let i = from; i <= (to ?? from) && out.length < 100_000; i++) out.push(`${m[1]}_${i}`);
  }
  return out;
}

/** `12_7` -> { arrayJobId: '12', task: 7 }; undefined for a plain job id. */
export function splitArrayId(id: string): { arrayJobId: string; task: number } | undefined {
  const m = /^(\d+)_(\d+)$/.exec(id);
  return m ? { arrayJobId: m[1]!, task: Number(m[2]) } : undefined;
}

/**
 * The array tasks a run directory was listed as, oldest array first, from
 * the task lists in `<basedir>/.mensemble/arrays/`: how a run's array jobs
 * are found again when its own state is lost.
 */
export function arrayTasksOf(runDir: string): Array<{ key: string; task: number; workDir: string }> {
  const root = path.join(path.dirname(runDir), '.mensemble', 'arrays');
  let keys: string[];
  try {
    keys = fs.readdirSync(root);
  } catch {
    return [];
  }
  const found: Array<{ key: string; task: number; workDir: string; at: number }> = [];
  for (const key of keys) {
    const workDir = path.join(root, key);
    let lines: string[];
    try {
      lines = fs.readFileSync(path.join(workDir, 'tasks.list'), 'utf8').split('\n');
    } catch {
      continue;
    }
    for (let i = 0; i + 3 < lines.length; i += 4) {
      if (lines[i] === runDir) found.push({ key, task: i / 4, workDir, at: fs.statSync(workDir).mtimeMs });
    }
  }
  return found.sort((a, b) => a.at - b.at).map(({ key, task, workDir }) => ({ key, task, workDir }));
}

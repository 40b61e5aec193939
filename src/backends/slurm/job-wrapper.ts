import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../state/atomic-write.js';
import { attemptRecordFiles, preparedNotice } from '../../state/attempt-records.js';
import { STATE_DIR } from '../../state/run-state.js';
import { fromWorkingFolder } from '../../util/paths.js';
import type { SubmitRequest } from '../types.js';
import { compatibleHeaderLines, sbatchHeaderLines } from './job-file-header.js';

/**
 * The bash every job wrapper shares (one job per run, and each task of an
 * array): `mensemble_run <job> <started> <ended> <notice>` runs the user's
 * job file as a child process, records its start and end
 * (state/attempt-records.ts) and leaves a notice of each in the batch's
 * notice folder, so the apply learns of both within a second without asking
 * the scheduler.
 *
 * - The job file runs as SLURM would run it: directly when it is
 *   executable, else through its `#!` line as the kernel reads it (one
 *   interpreter, at most one argument), else /bin/sh. Its stdin, output
 *   and environment are the wrapper's; INT and QUIT are not left ignored
 *   (bash ignores them in background children).
 * - Signals sent to the batch shell alone (`--signal=B:USR1@300`) reach it:
 *   the wrapper forwards them. A signalled job is recorded as such, and the
 *   wrapper then dies of the same signal, so the scheduler records the job
 *   as it would have without the wrapper.
 * - The wrapper prints nothing: the job's output file is the job's alone.
 *   A record that cannot be written (a full disk) does not stop the job;
 *   the apply's scheduler queries still see it end.
 * - Run data arrive as arguments, never as shell text. Its variables are
 *   prefixed and not exported.
 */
export const RECORDING_FUNCTIONS = `mensemble_now() { date -u +%Y-%m-%dT%H:%M:%S.%3NZ; }
mensemble_put() { { printf '%s\\n' "$2" > "$1.tmp" && mv -f -- "$1.tmp" "$1"; } 2>/dev/null; }
mensemble_run() {
  local job=$1 started=$2 ended=$3 notice=$4 id first rest interp arg code c s cpu signalled=false
  id=\${SLURM_ARRAY_JOB_ID:+\${SLURM_ARRAY_JOB_ID}_\${SLURM_ARRAY_TASK_ID:-}}
  id=\${id:-\${SLURM_JOB_ID:-$$}}
  mensemble_put "$started" "{\\"job\\":\\"$id\\",\\"host\\":\\"\${HOSTNAME:-}\\",\\"at\\":\\"$(mensemble_now)\\",\\"cpus\\":\\"\${SLURM_CPUS_ON_NODE:-}\\"}"
  mensemble_put "$notice.start" "$id"
  if [ -x "$job" ] && [ -f "$job" ]; then
    set -- "$job"
  else
    IFS= read -r first < "$job" || first=
    case $first in
      '#!'*)
        rest=\${first#??}; rest=\${rest#"\${rest%%[![:space:]]*}"}; rest=\${rest%"\${rest##*[![:space:]]}"}
        interp=\${rest%%[[:space:]]*}; arg=\${rest#"$interp"}; arg=\${arg#"\${arg%%[![:space:]]*}"}
        if [ -n "$arg" ]; then set -- "$interp" "$arg" "$job"; else set -- "$interp" "$job"; fi ;;
      *) set -- /bin/sh "$job" ;;
    esac
  fi
  mensemble_signal= mensemble_child=
  for s in TERM INT HUP QUIT USR1 USR2 ALRM; do
    trap "mensemble_signal=$s; mensemble_woke=1; kill -s $s \\$mensemble_child 2>/dev/null" "$s"
  done
  ( trap - INT QUIT; exec "$@" ) 0<&0 &
  mensemble_child=$!
  code=
  while :; do
    mensemble_woke=
    wait "$mensemble_child" 2>/dev/null; c=$?
    # After a signal woke the wait, a second wait for a child already reaped says nothing (127, or -1 in bash 5.2).
    if [ -n "$code" ] && { [ "$c" -eq 127 ] || [ "$c" -lt 0 ] || [ "$c" -gt 255 ]; }; then break; fi
    code=$c
    [ -z "$mensemble_woke" ] && break
  done
  if [ -n "$mensemble_signal" ] || [ "$code" -gt 128 ]; then signalled=true; fi
  # times' second line: the CPU time (user, system) of the job's processes, for a ledger without accounting. Run
  # here, not in $(...): a subshell's own counts start at zero.
  times > "$ended.times" 2>/dev/null && { read -r cpu; read -r cpu; } < "$ended.times" 2>/dev/null || cpu=
  rm -f -- "$ended.times" 2>/dev/null
  mensemble_put "$ended" "{\\"job\\":\\"$id\\",\\"at\\":\\"$(mensemble_now)\\",\\"exitCode\\":$code,\\"signalled\\":$signalled,\\"times\\":\\"$cpu\\"}"
  mensemble_put "$notice.end" "$id"
  if [ "$code" -gt 128 ] && s=$(kill -l "$code" 2>/dev/null); then
    trap - "$s" 2>/dev/null
    kill -s "$s" $$
  fi
  exit "$code"
}
`;

/**
 * The script sbatch is given for one job per run: the job file's own
 * `#SBATCH` lines (so sbatch reads exactly the options it read from the job
 * file), then the recording wrapper around that job file. Its arguments are
 * the job file and where the attempt's records and notices go.
 */
export function jobWrapperScript(header: readonly string[]): string {
  return `#!/bin/bash
${header.join('\n')}${header.length ? '\n' : ''}# mensemble job wrapper: runs the job file $1 and records its start and end ($2, $3; notices at $4).
set -u
${RECORDING_FUNCTIONS}mensemble_run "$@"
`;
}

/**
 * Writes the wrapper for one attempt: `<run>/.mensemble/wrapper/<job file's
 * name>`, named as the job file is, so `scontrol show job` and
 * sacct's default job name read as before. Returns sbatch's script and its arguments.
 */
export function prepareJobWrapper(request: SubmitRequest): string[] {
  const jobPath = path.resolve(request.runDir, request.jobFile);
  const dir = path.join(request.runDir, STATE_DIR, 'wrapper');
  fs.mkdirSync(dir, { recursive: true });
  const script = path.join(dir, path.basename(jobPath));
  writeFileAtomic(script, jobWrapperScript(compatibleHeaderLines(sbatchHeaderLines(jobPath), request.options)), 0o755);
  const records = attemptRecordFiles(request.runDir, request.attempt);
  // An earlier try of this attempt (an sbatch that failed) must not be read as this job's.
  for (const file of Object.values(records)) fs.rmSync(file, { force: true });
  // The job runs in the run folder: its records are written relative to it, so a job that outlives a move of its ensemble still records its end where the next apply looks.
  const at = (p: string) => fromWorkingFolder(request.runDir, p);
  return [script, jobPath, at(records.started), at(records.ended), at(preparedNotice(request.runDir, request.attempt))];
}

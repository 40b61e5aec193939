import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { computePlan } from '../../../plan/compute.js';
import { findRun, runLogs, type RunLogs } from '../../../logs/run-logs.js';
import { isActive } from '../../../state/run-state.js';
import { displayPath } from '../../../util/paths.js';
import { UserError } from '../../../util/errors.js';
import { logsJson } from '../../../ui/logs-view.js';
import { commandContext, type CommandContext, type CommonFlags } from '../../options.js';

export interface LogsFlags extends CommonFlags {
  follow?: boolean;
  attempt?: number;
  pollInterval?: number;
}

/** `mensemble logs <run>`: the run's job output and task logs; --follow keeps printing until the job ends. */
export async function logsCommand(run: string, config: string | undefined, flags: LogsFlags): Promise<number> {
  // A stream of someone's job output has no document shape a program could rely on; where the files are does.
  if (flags.json && flags.follow) throw new UserError('`logs --json` cannot be combined with --follow: it prints where the run\'s logs are (one JSON document), not their contents. Follow the files it names with `tail -f`, or run `mensemble logs --follow` without --json.');
  const ctx = commandContext(config, flags);
  const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: [] });
  const entry = findRun(plan.entries, run);
  let logs = runLogs(entry, ctx.backend, flags.attempt === undefined ? undefined : Number(flags.attempt));
  if (flags.json) {
    process.stdout.write(logsJson(logs));
    return 0;
  }
  const offsets = new Map<string, number>();
  let current: string | undefined;
  const print = (file: string): boolean => {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return false;
    }
    const from = offsets.get(file) ?? 0;
    if (size <= from) return size > 0 || offsets.has(file);
    if (current !== file) process.stdout.write(`${current === undefined ? '' : '\n'}==> ${displayPath(file)} <==\n`);
    current = file;
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - from);
      fs.readSync(fd, buffer, 0, buffer.length, from);
      process.stdout.write(buffer);
    } finally {
      fs.closeSync(fd);
    }
    offsets.set(file, size);
    return true;
  };
  const printAll = () => logs.files.map((f) => print(f.path)).some(Boolean);

  if (!logs.attempt) process.stderr.write(`mensemble: ${entry.batch}/${entry.id} has not been submitted yet; no job output.\n`);
  const shown = printAll();
  if (!flags.follow) {
    // An empty output file is worth saying so: the job ran and printed nothing.
    for (const f of logs.files) if (!offsets.has(f.path) && fs.existsSync(f.path)) process.stdout.write(`==> ${displayPath(f.path)} <== (empty)\n`);
  }
  if (!flags.follow) {
    if (!shown && logs.attempt) {
      const where = logs.files.filter((f) => f.kind === 'job').map((f) => displayPath(f.path));
      process.stderr.write(`mensemble: no output yet for ${entry.batch}/${entry.id} (job ${logs.attempt.jobId ?? '?'}, ${logs.attempt.state})${where.length ? `; expected in ${where.join(', ')}` : ''}.\n`);
    }
    return 0;
  }
  return follow(ctx, run, (next) => (logs = next), printAll);
}

/** Prints new output twice a second; asks the backend about the job every poll interval; ends once it has ended. */
async function follow(ctx: CommandContext, run: string, set: (l: RunLogs) => void, printAll: () => boolean): Promise<number> {
  let stopped = false;
  const stop = () => (stopped = true);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    let nextCheck = Date.now() + ctx.pollInterval * 1000;
    for (;;) {
      printAll();
      if (stopped) return 0;
      if (Date.now() >= nextCheck) {
        nextCheck = Date.now() + ctx.pollInterval * 1000;
        const { plan } = await computePlan(ctx.spec, ctx.backend, { targets: [] });
        const fresh = runLogs(findRun(plan.entries, run), ctx.backend);
        set(fresh);
        if (!fresh.attempt || !isActive(fresh.attempt.state)) {
          printAll();
          process.stderr.write(`\nmensemble: job ${fresh.attempt?.jobId ?? '?'} ${fresh.attempt?.state ?? 'not submitted'}.\n`);
          return 0;
        }
      }
      await sleep(500);
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

import type { Detached } from '../../apply/detach.js';
import type { ApplyEvent, ApplyWarning, Reporter } from '../../apply/events.js';
import type { ApplyResult } from '../../apply/executor.js';
import type { Plan } from '../../plan/types.js';
import type { WaitNeeded } from '../../plan/no-wait.js';
import { displayPath } from '../../util/paths.js';
import type { Colors } from '../color.js';
import { describeEvent, describeWarning, eventSubject, eventTone } from '../apply-events.js';
import { jsonLine } from '../json.js';
import { LiveProgress } from '../live-progress.js';
import type { Output } from '../output.js';
import { clockTime } from '../clock.js';
import { planJson, renderPlan, summaryLine } from './plan.js';
import { describeOutcome } from '../outcome.js';
import { hoursText } from '../usage-words.js';
import type { JobState } from '../../state/run-state.js';

/** One plain line per event (no escape codes unless colour is on): fit for terminals, logs and nohup. */
export function lineReporter(c: Colors, write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return (event: ApplyEvent) => {
    const time = clockTime();
    const tone = eventTone(event);
    const color = tone === 'warning' || tone === 'failure' ? c.yellow : tone === 'success' ? c.green : (s: string) => s;
    write(`${c.dim(time)}  ${eventSubject(event)}: ${color(describeEvent(event))}\n`);
  };
}

/** Newline-delimited JSON, one object per event: its typed fields and, for people, `message` (docs/json-output.md). */
export function jsonReporter(write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return (event: ApplyEvent) => write(jsonLine('event', { time: new Date().toISOString(), ...event, message: describeEvent(event) }));
}

export function resultLine(result: ApplyResult, c: Colors): string {
  const parts = [`${result.completed.length} completed`, `${result.failed.length} failed`];
  if (result.pending.length > 0) parts.push(`${result.pending.length} left for the next apply (still running, or waiting on the scheduler or on a deleted run directory; run \`mensemble apply\` again)`);
  if (result.removed.length > 0) parts.push(`${result.removed.length} removed`);
  if (result.moved.length > 0) parts.push(`${result.moved.length} moved (record carried over, not run again)`);
  const took = result.durationSeconds !== undefined ? ` Took ${durationText(result.durationSeconds)}${result.coreHours ? `; its jobs used ${hoursText(result.coreHours)} core-hours` : ''}.` : '';
  const text = `Apply complete: ${parts.join(', ')}.${took}`;
  if (result.failed.length === 0) return c.bold(text);
  return `${c.yellow(text)}\n${failuresText(result)}`;
}

/** The failed runs, the first ten with why and where their logs are (as Nextflow's end of run). */
function failuresText(result: ApplyResult): string {
  const failures = result.failures ?? result.failed.map((run) => ({ run, state: 'failed', exitCode: null, reason: null, task: null, logs: `mensemble logs ${run}` }));
  const shown = failures.slice(0, 10);
  const width = Math.min(40, Math.max(...shown.map((f) => f.run.length)));
  const lines = shown.map((f) => {
    const why = f.task ? `${f.task} failed${f.exitCode !== null ? ` with exit code ${f.exitCode}` : ''}` : describeOutcome({ state: f.state as JobState, exitCode: f.exitCode, reason: f.reason ?? undefined });
    return `  ${f.run.padEnd(width)}  ${why}  (${f.logs})`;
  });
  const more = failures.length > shown.length ? `\n  ... and ${failures.length - shown.length} more: \`mensemble status\` lists them all.` : '';
  return `Failed (${failures.length}):\n${lines.join('\n')}${more}`;
}

/** 42 s, 3 min 05 s, 2 h 04 min. */
export function durationText(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${seconds < 10 ? seconds.toFixed(1) : s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** What `mensemble apply` shows: the plan, progress as it goes, and the result; or, with --detach, where it went. */
export interface ApplyView {
  /** The plan about to be applied (with --detach, the one confirmed here). */
  plan(plan: Plan, mode: { detach: boolean }): void;
  /** Progress while the plan is carried out; `stop` once it is over. */
  progress(plan: Plan): { report: Reporter; stop(): void };
  result(result: ApplyResult): void;
  /** A plan without changes: nothing was carried out. */
  nothingToDo(): void;
  /** The apply went on in the background: asked for (--detach), or because --no-wait could not keep a limit (`why`). */
  detached(child: Detached, why?: WaitNeeded): void;
  /** Stopped by a signal; jobs keep running. */
  stopped(signal: NodeJS.Signals): void;
  /** Something to know before the jobs go out (ApplyWarning), outside any run. */
  warning(warning: ApplyWarning): void;
}

export function applyView(output: Output, options: { quiet?: boolean } = {}): ApplyView {
  return output.json ? applyJsonView(output) : applyTextView(output, Boolean(options.quiet));
}

/** Newline-delimited JSON: the plan, one line per event, the result (docs/json-output.md). */
function applyJsonView(output: Output): ApplyView {
  const result = (r: ApplyResult) => output.out(jsonLine('result', r));
  return {
    plan(plan, { detach }) {
      // A detached apply's plan is for the person confirming it; the JSON reader gets where the apply went.
      if (!detach) output.out(`${JSON.stringify(planJson(plan))}\n`);
    },
    progress: () => ({ report: jsonReporter((s) => output.out(s)), stop() {} }),
    result,
    nothingToDo: () => result({ completed: [], failed: [], pending: [], removed: [], moved: [] }),
    detached: (child) => output.out(jsonLine('detached', { pid: child.pid, log: child.log, finished: child.finished })),
    stopped: (signal) => output.err(stoppedText(signal)),
    warning: (warning) => jsonReporter((s) => output.out(s))({ kind: 'warning', warning }),
  };
}

/**
 * Text: live progress in a terminal, one line per event elsewhere (logs,
 * nohup). Quiet (`-q`): the plan's summary line, failures and warnings as
 * they happen, and the result; for large applies into a log, which print
 * several lines per run otherwise.
 */
function applyTextView(output: Output, quiet: boolean): ApplyView {
  const c = output.colors;
  return {
    plan: (plan) => output.out(`${quiet ? summaryLine(plan.summary, c) : renderPlan(plan, c)}\n`),
    progress(plan) {
      if (quiet) {
        const lines = lineReporter(c, (s) => output.out(s));
        return { report: (event) => (eventTone(event) === 'failure' || eventTone(event) === 'warning' ? lines(event) : undefined), stop() {} };
      }
      if (!output.interactive) return { report: lineReporter(c, (s) => output.out(s)), stop() {} };
      const live = new LiveProgress(plan, c, (s) => output.out(s));
      return { report: live.report, stop: () => live.stop() };
    },
    result: (result) => output.out(`\n${resultLine(result, c)}\n`),
    nothingToDo() {},
    detached(child, why) {
      if (why) output.out(`\n--no-wait: ${describeWaitNeeded(why)}; so that no limit is passed, the apply goes on in the background instead of returning with part of it undone.\n`);
      if (child.finished) output.out(`\nThe background apply already finished; its log: ${displayPath(child.log)}\n`);
      else output.out(`\nApplying in the background: pid ${child.pid}, log ${displayPath(child.log)}\n\`mensemble status\` shows progress; it is safe to log out.\n`);
    },
    stopped: (signal) => output.err(stoppedText(signal)),
    warning: (warning) => output.err(`mensemble: warning: ${describeWarning(warning)}\n`),
  };
}

function stoppedText(signal: NodeJS.Signals): string {
  return `\nmensemble: stopped by ${signal}. Jobs already submitted keep running; run \`mensemble apply\` again to follow them.\n`;
}

function describeWaitNeeded(why: WaitNeeded): string {
  if (why.kind === 'batches') return `batches ${why.batches.join(', ')} have work, and each waits for the one before it`;
  return `batch ${why.batch} has ${why.runs} runs to submit or follow and runs at most ${why.limit} at once (maxjobs, maxruns)`;
}

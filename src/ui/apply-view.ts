import type { ApplyEvent, Reporter } from '../apply/events.js';
import type { ApplyResult } from '../apply/executor.js';
import type { Colors } from './color.js';

/** One plain line per event (no escape codes unless colour is on): fit for terminals, logs and nohup. */
export function lineReporter(c: Colors, write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return (event: ApplyEvent) => {
    const time = new Date().toISOString().slice(11, 19);
    const who = event.runId ? `${event.batch ? `${event.batch}/` : ''}${event.runId}` : (event.batch ?? 'ensemble');
    const color = event.kind === 'warn' || event.state === 'failed' ? c.yellow : event.kind === 'done' && event.state === 'completed' ? c.green : (s: string) => s;
    write(`${c.dim(time)}  ${who}: ${color(event.message)}\n`);
  };
}

/** Newline-delimited JSON, one object per event (see docs/json-output.md). */
export function jsonReporter(write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return (event: ApplyEvent) => write(`${JSON.stringify({ type: 'event', time: new Date().toISOString(), ...event })}\n`);
}

export function resultLine(result: ApplyResult, c: Colors): string {
  const parts = [`${result.completed.length} completed`, `${result.failed.length} failed`];
  if (result.pending.length > 0) parts.push(`${result.pending.length} left for the next apply (still running, or waiting on the scheduler or on a deleted run directory; run \`mensemble apply\` again)`);
  if (result.removed.length > 0) parts.push(`${result.removed.length} removed`);
  if (result.moved.length > 0) parts.push(`${result.moved.length} moved (record carried over, not run again)`);
  const text = `Apply complete: ${parts.join(', ')}.`;
  return result.failed.length > 0 ? `${c.yellow(text)}\nFailed: ${result.failed.join(', ')}` : c.bold(text);
}

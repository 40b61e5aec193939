import type { ApplyEvent, Reporter } from '../apply/events.js';
import type { ApplyResult } from '../apply/executor.js';
import type { Colors } from './color.js';
import { describeEvent, eventSubject, eventTone } from './apply-events.js';
import { jsonLine } from './json.js';

/** One plain line per event (no escape codes unless colour is on): fit for terminals, logs and nohup. */
export function lineReporter(c: Colors, write: (s: string) => void = (s) => process.stdout.write(s)): Reporter {
  return (event: ApplyEvent) => {
    const time = new Date().toISOString().slice(11, 19);
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
  const text = `Apply complete: ${parts.join(', ')}.`;
  return result.failed.length > 0 ? `${c.yellow(text)}\nFailed: ${result.failed.join(', ')}` : c.bold(text);
}

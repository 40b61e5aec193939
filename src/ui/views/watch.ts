import path from 'node:path';
import type { WatchEvent } from '../../watch/session.js';
import type { PlanChange } from '../../watch/plan-delta.js';
import { displayPath } from '../../util/paths.js';
import type { Colors } from '../color.js';
import type { Output } from '../output.js';
import { clockTime } from '../clock.js';
import { describeReason, reasonJson } from '../plan-reasons.js';
import { jsonLine } from '../json.js';
import { diagnostic } from './error.js';
import { planJson, renderPlan, summaryLine } from './plan.js';

const clock = () => clockTime();

/** Text for a person at a terminal (or a log): a header per re-plan, then what changed, run by run. */
export function watchText(event: WatchEvent, c: Colors): string {
  const names = (files: string[]) => [...new Set(files.map((f) => path.basename(f)))].join(', ');
  switch (event.type) {
    case 'start': {
      const n = event.templateDirs.length;
      return `Watching ${displayPath(event.config)} and ${n} template folder${n === 1 ? '' : 's'}; Ctrl-C to stop.\n\n${renderPlan(event.plan, c)}\n`;
    }
    case 'plan': {
      const lines = [`\n${c.dim(clock())} ${names(event.files)} changed; re-planned in ${Math.round(event.ms)} ms${event.recovered ? c.green(' (fixed)') : ''}`];
      if (event.changes.length === 0) lines.push('  the plan is unchanged');
      for (const line of changeLines(event.changes, c)) lines.push(line);
      lines.push(summaryLine(event.plan.summary, c));
      return `${lines.join('\n')}\n`;
    }
    case 'error':
      return `\n${c.dim(clock())} ${names(event.files)} changed: ${c.red('error')}\n${event.message
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n')}\n  (still watching; the next good save re-plans)\n`;
    case 'rendered':
      return `  rendered ${event.runs.length} run${event.runs.length === 1 ? '' : 's'} (not submitted): ${event.runs.slice(0, 5).map((r) => `${r.batch}/${r.id}`).join(', ')}${event.runs.length > 5 ? ', ...' : ''}\n`;
    case 'skipped':
      return `  ${c.yellow(event.message)}\n`;
  }
}

/**
 * Runs that changed the same way are one line (a shared template edit in a
 * 1,000-run ensemble is one line, not a thousand), with the first few names.
 */
function changeLines(changes: readonly PlanChange[], c: Colors): string[] {
  const groups = new Map<string, PlanChange[]>();
  for (const ch of changes) {
    const k = `${ch.before}\u0000${ch.after}\u0000${JSON.stringify(ch.reasons)}`;
    groups.set(k, [...(groups.get(k) ?? []), ch]);
  }
  const lines: string[] = [];
  const shown = [...groups.values()].slice(0, MAX_GROUPS);
  for (const group of shown) {
    const { before, after, reasons } = group[0]!;
    const who = group.length === 1 ? group[0]!.run : `${group.length} runs (${group.slice(0, 3).map((g) => g.run).join(', ')}${group.length > 3 ? ', ...' : ''})`;
    const why = reasons.length > 0 ? `: ${reasons.map(describeReason).join('; ')}` : '';
    lines.push(`  ${who}: ${before} → ${c.bold(after)}${why}`);
  }
  if (groups.size > MAX_GROUPS) lines.push(`  ... and ${groups.size - MAX_GROUPS} more kinds of change (\`mensemble plan\` lists every run)`);
  return lines;
}

const MAX_GROUPS = 20;

/** One JSON object per line (docs/json-output.md). */
export function watchJson(event: WatchEvent): string {
  const time = new Date().toISOString();
  switch (event.type) {
    case 'start':
      return jsonLine('start', { time, config: event.config, templateDirs: event.templateDirs, plan: planJson(event.plan) });
    case 'plan':
      return jsonLine('plan', { time, files: event.files, ms: Math.round(event.ms), recovered: event.recovered, changes: event.changes.map((ch) => ({ ...ch, reasons: ch.reasons.map(reasonJson) })), summary: event.plan.summary });
    case 'error':
      return jsonLine('error', { time, files: event.files, message: event.message, diagnostics: event.message.split('\n').map((p) => diagnostic(p, 'input')) });
    default: {
      const { type, ...body } = event;
      return jsonLine(type, { time, ...body });
    }
  }
}

/** What `mensemble watch` shows: one block of text, or one JSON line, per event of the session. */
export interface WatchView {
  event(event: WatchEvent): void;
  /** Watching ended (Ctrl-C). */
  stopped(): void;
}

export function watchView(output: Output): WatchView {
  if (output.json) return { event: (e) => output.out(watchJson(e)), stopped() {} };
  return { event: (e) => output.out(watchText(e, output.colors)), stopped: () => output.out('\nStopped watching.\n') };
}

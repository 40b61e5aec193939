import { maxOf } from '../util/numbers.js';
import type { ApplyEvent, Reporter } from '../apply/events.js';
import type { Plan } from '../plan/types.js';
import type { Colors } from './color.js';
import { describeEvent, eventSubject } from './apply-events.js';

type RunPhase = 'waiting' | 'rendered' | 'queued' | 'running' | 'completed' | 'failed';

const FINAL_OK = 'completed';
const RECENT = 5;
const BAR = 24;
/** Failures kept on screen. */
const PINNED = 5;
const FRAME_MS = 100;

/**
 * Live progress for a terminal: a line per batch (a bar, counts by state),
 * the elapsed time and the last few events, redrawn in place at most ten
 * times a second. Warnings are printed above it and stay. Only for
 * terminals: without one, apply prints plain lines (lineReporter).
 */
export class LiveProgress {
  private readonly runs = new Map<string, Map<string, RunPhase>>();
  private readonly recent: string[] = [];
  /** Failed runs' lines: pinned above the events, never scrolled away by later ones. */
  private readonly failures = new Map<string, string>();
  private drawn = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly started = Date.now();
  /** Keeps the elapsed time moving while nothing happens (long jobs). */
  private readonly ticker: NodeJS.Timeout;

  /** Shows the cursor again however the process ends (Ctrl-C, an error): a hidden cursor outlives its program. */
  private readonly showCursor = () => this.write(SHOW_CURSOR);

  constructor(
    plan: Plan,
    private readonly c: Colors,
    private readonly write: (s: string) => void,
    /** The terminal's width now (it may be resized while an apply runs). */
    private readonly columns: () => number = () => process.stdout.columns || 100,
  ) {
    this.write(HIDE_CURSOR);
    process.once('exit', this.showCursor);
    for (const e of plan.entries) {
      if (e.action === 'none' || e.action === 'remove' || e.action === 'moved') continue;
      const batch = this.runs.get(e.batch) ?? new Map<string, RunPhase>();
      batch.set(e.id, 'waiting');
      this.runs.set(e.batch, batch);
    }
    this.ticker = setInterval(() => this.schedule(), 1000);
    this.ticker.unref();
  }

  readonly report: Reporter = (event: ApplyEvent) => {
    if (event.batch && event.runId) this.track(event);
    const line = `${eventSubject(event)}: ${describeEvent(event)}`;
    if (event.kind === 'warning') {
      this.clear();
      this.write(`${this.c.yellow('warning:')} ${line}\n`);
      this.drawn = 0;
    }
    // One line per failed run: its last word on why.
    if ((event.kind === 'finished' && event.state !== FINAL_OK) || event.kind === 'run-failed') {
      const key = eventSubject(event);
      this.failures.delete(key);
      this.failures.set(key, line);
    }
    this.recent.push(line);
    if (this.recent.length > RECENT) this.recent.shift();
    this.schedule();
  };

  /** Draws the final frame and leaves it on screen. */
  stop(): void {
    clearInterval(this.ticker);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.draw();
    process.off('exit', this.showCursor);
    this.showCursor();
  }

  private track(event: ApplyEvent): void {
    const batch = this.runs.get(event.batch!);
    if (!batch) return;
    const phase = phaseOf(event);
    if (phase) batch.set(event.runId!, phase);
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.draw();
    }, FRAME_MS);
  }

  private clear(): void {
    // Up to the first line of the last frame, then erase to the end of the screen.
    if (this.drawn > 0) this.write(`\u001b[${this.drawn}A\r\u001b[0J`);
  }

  private draw(): void {
    // A line longer than the terminal wraps onto two rows, and the next frame, moving up one row a line, leaves the rest behind.
    const width = this.columns();
    const lines = this.frame(width).map((line) => clip(line, width - 1));
    this.clear();
    this.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  /**
   * The lines of one frame for a terminal `columns` wide. The counts are
   * what a person reads, so a narrow terminal narrows the bar first (down to
   * nothing), then the counts' spacing; failures stay on screen, pinned
   * above the last events.
   */
  frame(columns = this.columns()): string[] {
    const c = this.c;
    const width = Math.max(maxOf([...this.runs.keys()].map((b) => b.length)), 5);
    const lines: string[] = [];
    for (const [batch, runs] of this.runs) {
      const count = (p: RunPhase) => [...runs.values()].filter((x) => x === p).length;
      const done = count('completed');
      const failed = count('failed');
      const total = runs.size;
      const words = [`${done + failed}/${total}`, `${done} completed`, `${count('running')} running`, `${count('queued')} queued`, ...(failed > 0 ? [`${failed} failed`] : [])];
      const paint = [(s: string) => s, c.green, (s: string) => s, (s: string) => s, c.red];
      let gap = '  ';
      let room = columns - 1 - width - 2 - words.join(gap).length;
      if (room < 4) {
        gap = ' ';
        room = columns - 1 - width - 2 - words.join(gap).length;
      }
      const barWidth = Math.min(BAR, room);
      const filled = total === 0 ? barWidth : Math.round(((done + failed) / total) * barWidth);
      const bar = barWidth >= 4 ? `${c.green('█'.repeat(filled))}${c.dim('░'.repeat(barWidth - filled))} ` : '';
      lines.push(`${c.bold(batch.padEnd(width))} ${bar}${words.map((w, i) => paint[i]!(w)).join(gap)}`);
    }
    lines.push(c.dim(`elapsed ${elapsed(Date.now() - this.started)}`));
    if (this.failures.size > 0) {
      const shown = [...this.failures.values()].slice(-PINNED);
      const more = this.failures.size - shown.length;
      lines.push(c.red(`failed${more > 0 ? ` (${this.failures.size}, the last ${shown.length})` : ''}:`));
      for (const f of shown) lines.push(c.red(`  ${f}`));
    }
    for (const r of this.recent) lines.push(c.dim(`  ${r}`));
    return lines;
  }
}

function phaseOf(event: ApplyEvent): RunPhase | undefined {
  switch (event.kind) {
    case 'rendered':
      return 'rendered';
    case 'submitted':
    case 'job-state':
      return event.state === 'running' ? 'running' : event.state === 'queued' ? 'queued' : undefined;
    case 'finished':
      return event.state === FINAL_OK ? 'completed' : 'failed';
    case 'run-failed':
      return 'failed';
    default:
      return undefined;
  }
}

/** mm:ss, and h:mm:ss from an hour on. */
export function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const mmss = `${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mmss}` : mmss;
}

const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
const ESCAPE = /\u001b\[[0-9;]*m/y;

/** `line` cut to `max` visible characters (colour codes take no room), with `…` where it was cut. */
export function clip(line: string, max: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < line.length; ) {
    ESCAPE.lastIndex = i;
    const escape = ESCAPE.exec(line);
    if (escape) {
      out += escape[0];
      i += escape[0].length;
      continue;
    }
    const char = String.fromCodePoint(line.codePointAt(i)!);
    if (visible === max - 1 && visibleLength(line.slice(i)) > 1) return `${out}…\u001b[0m`;
    out += char;
    visible++;
    i += char.length;
  }
  return out;
}

function visibleLength(text: string): number {
  return [...text.replace(/\u001b\[[0-9;]*m/g, '')].length;
}

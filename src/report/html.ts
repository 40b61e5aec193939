import type { ReportData } from './model.js';
import { timeSpent } from './model.js';
import type { AttemptUsage, UsageTotals } from '../state/usage.js';
import { bytesText } from '../ui/retry-words.js';
import { hoursText, percentText } from '../ui/usage-words.js';

/**
 * One self-contained HTML file: styles, data and the chart's script are
 * inline, nothing is fetched when it is opened. Tables are written here;
 * the timeline is drawn in the browser from the embedded data (one bar per
 * run, queued and running segments per attempt, coloured by state).
 */
export function renderReport(data: ReportData): string {
  const now = Date.parse(data.generatedAt);
  const byBatch = new Map<string, ReportData['runs']>();
  for (const r of data.runs) {
    const mine = byBatch.get(r.batch);
    if (mine) mine.push(r);
    else byBatch.set(r.batch, [r]);
  }
  const batches = [...byBatch.keys()];
  const states = [...new Set(data.runs.map((r) => r.state))].sort();
  const summaryRows = batches.map((b) => {
    const mine = byBatch.get(b)!;
    const spent = mine.map((r) => timeSpent(r, now));
    const cells = states.map((s) => `<td>${mine.filter((r) => r.state === s).length || ''}</td>`).join('');
    const used = data.batches.find((x) => x.name === b)?.usage;
    return `<tr><th>${esc(b)}</th><td>${mine.length}</td>${cells}<td>${duration(median(spent.map((x) => x.queued)))}</td><td>${duration(median(spent.map((x) => x.running)))}</td><td>${duration(sum(spent.map((x) => x.queued)))}</td><td>${duration(sum(spent.map((x) => x.running)))}</td>${usageCells(used)}</tr>`;
  });
  const total = data.batches.map((b) => b.usage);
  const ensembleUsage = total.length > 0 ? sumUsage(total) : undefined;
  // A page a browser opens: past SHOWN_RUNS runs the timeline and the attempts table show the first ones, and say so.
  const submitted = data.runs.filter((r) => r.attempts.length > 0);
  const shown = submitted.slice(0, SHOWN_RUNS);
  const cut = submitted.length > shown.length ? `<p class="cut">Showing the first ${shown.length} of ${submitted.length} submitted runs; \`mensemble status --json\` lists every run and attempt.</p>` : '';
  const attemptRows = shown.flatMap((r) =>
    r.attempts.map(
      (a) =>
        `<tr class="state-${esc(a.state)}"><td>${esc(r.batch)}/${esc(r.id)}</td><td>${a.attempt}</td><td>${esc(a.jobId ?? '')}</td><td>${esc(a.state)}</td><td>${a.exitCode ?? ''}</td><td>${esc(a.reason ?? '')}</td><td>${when(a.submittedAt)}</td><td>${when(a.startedAt)}</td><td>${when(a.endedAt)}</td>${attemptUsageCells(a.usage)}</tr>`,
    ),
  );
  // One table per batch: its runs with their parameters (the variables that differ between them), state and cost.
  const runTables = data.batches.map((b) => {
    const mine = shown.filter((r) => r.batch === b.name).concat(data.runs.filter((r) => r.batch === b.name && r.attempts.length === 0).slice(0, Math.max(0, SHOWN_RUNS - shown.length)));
    const rows = mine.map((r) => `<tr class="state-${esc(r.state)}" data-run="${esc(r.batch)}/${esc(r.id)}"><td>${esc(r.id)}</td>${b.params.map((k) => `<td>${esc(r.params[k] ?? '')}</td>`).join('')}<td>${esc(r.state)}</td><td>${r.attempts.length}</td>${usageCells(r.usage)}</tr>`);
    return `<h3>${esc(b.name)}</h3>\n<table class="runs" data-batch="${esc(b.name)}"><thead><tr><th>run</th>${b.params.map((k) => `<th>${esc(k)}</th>`).join('')}<th>state</th><th>attempts</th>${USAGE_HEADERS}</tr></thead>\n<tbody>${rows.join('\n')}</tbody></table>`;
  });
  const grids = data.batches.filter((b) => b.grid);
  const failed = data.runs.filter((r) => r.failure);
  const failures = failed.slice(0, SHOWN_FAILURES).map((r) => {
    const f = r.failure!;
    const why = `${esc(f.cause)}${f.exitCode !== null ? `, exit code ${f.exitCode}` : ''}${f.reason ? ` (${esc(f.reason)})` : ''}`;
    const log = f.log ? `<p class="log-name">the last lines of ${esc(f.log)} (<code>mensemble logs ${esc(r.batch)}/${esc(r.id)}</code> shows it all):</p><pre>${esc(f.lastLines.join('\n'))}</pre>` : '<p class="log-name">no log was found.</p>';
    return `<div class="failure" data-run="${esc(r.batch)}/${esc(r.id)}"><h3>${esc(r.batch)}/${esc(r.id)}: ${why}</h3>${log}</div>`;
  });
  const failuresSection = failed.length === 0 ? '' : `<h2 id="failures">Failures (${failed.length})</h2>\n${failed.length > SHOWN_FAILURES ? `<p class="cut">The first ${SHOWN_FAILURES} of ${failed.length}; <code>mensemble status</code> lists them all.</p>\n` : ''}${failures.join('\n')}`;
  const json = JSON.stringify({ ...data, runs: shown }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mensemble report: ${esc(data.ensemble)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; max-width: 1600px; }
.scroll { overflow-x: auto; max-width: 100%; }
table.runs td:first-child, #attempts td:first-child { white-space: nowrap; }
.failure h3 { font-size: 1em; margin: 1.2em 0 0.3em; color: #a02020; }
.failure pre { background: #f6f6f6; border-left: 3px solid #d33c3c; padding: 6px 10px; overflow-x: auto; white-space: pre-wrap; word-break: break-all; margin: 0; }
.log-name { margin: 0.2em 0; color: #555; }
#timeline { width: 100%; }
.grid table td.cell { text-align: center; font-weight: bold; color: #fff; text-shadow: 0 0 2px #000; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
thead th { background: #f4f4f4; }
.legend span { display: inline-block; margin-right: 1em; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
#timeline text { font-size: 11px; fill: #444; }
.grid table td.cell { width: 28px; height: 22px; border: 1px solid #fff; }
.grid caption { text-align: left; font-weight: bold; padding: 4px 0; }
</style>
</head>
<body>
<h1>mensemble report: ${esc(data.ensemble)}</h1>
<p>${data.runs.length} runs in ${batches.length} batch${batches.length === 1 ? '' : 'es'}${failed.length > 0 ? `, <a href="#failures">${failed.length} failed</a>` : ''}; generated ${when(data.generatedAt)}.</p>
<h2>Summary by batch and state</h2>
<div class="scroll"><table id="summary"><thead><tr><th>batch</th><th>runs</th>${states.map((s) => `<th>${esc(s)}</th>`).join('')}<th>median queued</th><th>median running</th><th>total queued</th><th>total running</th>${USAGE_HEADERS}</tr></thead>
<tbody>${summaryRows.join('\n')}</tbody></table></div>
${ensembleUsage && ensembleUsage.measured > 0 ? `<p id="ensemble-usage">The ensemble used ${hoursText(ensembleUsage.coreHours)} core-hours (CPU efficiency ${percentText(ensembleUsage.cpuEfficiency)}, memory efficiency ${percentText(ensembleUsage.memoryEfficiency)}) in ${ensembleUsage.attempts} attempts.</p>` : ''}
${failuresSection}
${grids.length > 0 ? `<h2>Parameter grids</h2>\n<p>Each cell is a run: its state as a letter and a colour (${Object.entries(SYMBOLS).map(([s, l]) => `${esc(l)} ${esc(s)}`).join(', ')}); hover for its core-hours.</p>\n${grids.map((b) => `<div class="grid" data-batch="${esc(b.name)}"></div>`).join('\n')}` : ''}
<h2>Timeline</h2>
<p class="legend"><span><i style="background:#ccc"></i>queued</span>${Object.entries(COLOURS)
    .map(([s, c]) => `<span><i style="background:${c}"></i>${s}</span>`)
    .join('')}</p>
${cut}<div id="timeline"></div>
<h2>Runs</h2>
${cut}${runTables.map((t) => `<div class="scroll">${t}</div>`).join('\n')}
<h2>Attempts</h2>
${cut}<div class="scroll"><table id="attempts"><thead><tr><th>run</th><th>attempt</th><th>job</th><th>state</th><th>exit code</th><th>reason</th><th>submitted</th><th>started</th><th>ended</th><th>elapsed</th><th>CPUs</th><th>core-hours</th><th>peak memory</th><th>requested memory</th></tr></thead>
<tbody>${attemptRows.join('\n')}</tbody></table></div>
<script type="application/json" id="report-data">${json}</script>
<script>
${TIMELINE_SCRIPT}
</script>
</body>
</html>
`;
}

/** Runs drawn in the timeline and listed in the attempts table: beyond this a page is too large to open. */
const SHOWN_RUNS = 2000;
/** Failures shown with their log's last lines. */
const SHOWN_FAILURES = 50;

/** A run's state as a letter in the grid, beside its colour: for readers who do not tell the colours apart, and for print. */
const SYMBOLS: Record<string, string> = { completed: '✓', failed: '✗', timeout: 'T', out_of_memory: 'M', cancelled: 'C', running: 'R', queued: 'Q', new: '·', rendered: '·' };

/** An ISO time as a person reads it: to the second, in UTC. */
function when(iso: string | null): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  return Number.isNaN(t) ? esc(iso) : `${new Date(t).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

const COLOURS: Record<string, string> = {
  completed: '#2e9b4f',
  running: '#3b7dd8',
  failed: '#d33c3c',
  timeout: '#e08a1e',
  out_of_memory: '#b5479b',
  cancelled: '#888888',
  other: '#6b4fbb',
};

// Plain browser JavaScript, no libraries: reads the embedded data and draws an SVG.
const TIMELINE_SCRIPT = `(() => {
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const colours = ${JSON.stringify(COLOURS)};
  const now = Date.parse(data.generatedAt);
  const runs = data.runs.filter((r) => r.attempts.length > 0);
  const box = document.getElementById('timeline');
  if (runs.length === 0) { box.textContent = 'No run has been submitted yet.'; return; }
  const t = (s) => Date.parse(s);
  // Loops, not Math.min(...): spreading many values overflows the stack.
  let start = Infinity, end = -Infinity;
  for (const r of runs) for (const a of r.attempts) { start = Math.min(start, t(a.submittedAt)); end = Math.max(end, a.endedAt ? t(a.endedAt) : now); }
  end = Math.max(end, start + 1000);
  const label = 160, row = 16, top = 20;
  // As wide as the page gives it: no sideways scrolling on a narrow window.
  const width = Math.max(320, Math.floor(box.clientWidth || 900));
  const x = (ms) => label + ((ms - start) / (end - start)) * (width - label - 10);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', top + runs.length * row + 10);
  const el = (name, attrs, parent) => { const e = document.createElementNS(ns, name); for (const k in attrs) e.setAttribute(k, attrs[k]); parent.appendChild(e); return e; };
  // The start in words, then ticks at round steps of the elapsed time.
  const startText = el('text', { x: 0, y: 12 }, svg); startText.textContent = new Date(start).toISOString().slice(11, 19) + ' UTC';
  const span = (end - start) / 1000;
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  const ticks = Math.max(2, Math.floor((width - label) / 90));
  const step = steps.find((s) => span / s <= ticks) || steps[steps.length - 1];
  const tickText = (s) => s === 0 ? '0' : s < 60 ? '+' + s + ' s' : s < 3600 ? '+' + Math.round(s / 60) + ' min' : s < 86400 ? '+' + (s / 3600).toFixed(s % 3600 ? 1 : 0) + ' h' : '+' + (s / 86400).toFixed(s % 86400 ? 1 : 0) + ' d';
  for (let s = 0; s <= span; s += step) {
    const tx = x(start + s * 1000);
    el('line', { x1: tx, x2: tx, y1: 15, y2: top + runs.length * row, stroke: '#eee' }, svg);
    const tick = el('text', { x: tx, y: 12, 'text-anchor': s === 0 ? 'start' : 'middle', class: 'tick' }, svg); tick.textContent = tickText(s);
  }
  runs.forEach((r, i) => {
    const y = top + i * row;
    const g = el('g', { class: 'run-bar', 'data-run': r.batch + '/' + r.id, 'data-state': r.state }, svg);
    const name = el('text', { x: 0, y: y + 11 }, g); name.textContent = r.batch + '/' + r.id;
    for (const a of r.attempts) {
      const submitted = t(a.submittedAt), started = a.startedAt ? t(a.startedAt) : null, ended = a.endedAt ? t(a.endedAt) : now;
      const queuedEnd = started ?? ended;
      el('rect', { class: 'queued', x: x(submitted), y: y + 2, width: Math.max(1, x(queuedEnd) - x(submitted)), height: row - 4, fill: '#ccc' }, g);
      if (started !== null) {
        const rect = el('rect', { class: 'running', x: x(started), y: y + 2, width: Math.max(1, x(ended) - x(started)), height: row - 4, fill: colours[a.state] || colours.other }, g);
        const tip = el('title', {}, rect); tip.textContent = r.id + ' attempt ' + a.attempt + ': ' + a.state + (a.exitCode !== null ? ' (exit ' + a.exitCode + ')' : '');
      }
    }
  });
  box.appendChild(svg);
})();
(() => {
  // Parameter grids: one table per batch with two parameters, a cell per run coloured by its state and marked with its letter.
  const data = JSON.parse(document.getElementById('report-data').textContent);
  const colours = ${JSON.stringify(COLOURS)};
  const symbols = ${JSON.stringify(SYMBOLS)};
  for (const batch of data.batches) {
    if (!batch.grid) continue;
    const box = document.querySelector('.grid[data-batch="' + CSS.escape(batch.name) + '"]');
    if (!box) continue;
    const { x, y } = batch.grid;
    const byCell = new Map();
    for (const r of data.runs) if (r.batch === batch.name) byCell.set(r.params[x.key] + '\\u0000' + r.params[y.key], r);
    const table = document.createElement('table');
    const caption = table.createCaption(); caption.textContent = batch.name + ': ' + y.key + ' (rows) by ' + x.key + ' (columns)';
    const head = table.createTHead().insertRow();
    head.appendChild(document.createElement('th')).textContent = y.key + ' \\\\ ' + x.key;
    for (const v of x.values) head.appendChild(document.createElement('th')).textContent = v;
    const body = table.createTBody();
    for (const yv of y.values) {
      const row = body.insertRow();
      row.appendChild(document.createElement('th')).textContent = yv;
      for (const xv of x.values) {
        const cell = row.insertCell();
        const r = byCell.get(xv + '\\u0000' + yv);
        if (!r) continue;
        cell.className = 'cell';
        cell.dataset.run = r.batch + '/' + r.id;
        cell.dataset.state = r.state;
        cell.style.background = colours[r.state] || (r.state === 'new' || r.state === 'rendered' ? '#eeeeee' : colours.other);
        const hours = r.usage.measured > 0 ? r.usage.coreHours.toPrecision(3) + ' core-hours' : 'no usage measured yet';
        cell.title = r.id + ': ' + r.state + ', ' + hours;
        cell.textContent = symbols[r.state] || '?';
      }
    }
    box.appendChild(table);
  }
})();`;

const USAGE_HEADERS = '<th>core-hours</th><th>CPU efficiency</th><th>memory efficiency</th>';

function usageCells(u: UsageTotals | undefined): string {
  if (!u || u.measured === 0) return '<td></td><td></td><td></td>';
  return `<td>${hoursText(u.coreHours)}</td><td>${percentText(u.cpuEfficiency)}</td><td>${percentText(u.memoryEfficiency)}</td>`;
}

function attemptUsageCells(u: AttemptUsage | null): string {
  if (!u) return '<td></td>'.repeat(5);
  const cell = (v: number | undefined, f: (n: number) => string) => `<td>${v === undefined ? '' : esc(f(v))}</td>`;
  return cell(u.elapsedSeconds, (s) => duration(s)) + cell(u.cpus, String) + cell(u.coreSeconds, (s) => hoursText(s / 3600)) + cell(u.peakMemoryBytes, bytesText) + cell(u.requestedMemoryBytes, bytesText);
}

function sumUsage(parts: readonly UsageTotals[]): UsageTotals {
  return parts.reduce((a, b) => ({
    attempts: a.attempts + b.attempts,
    measured: a.measured + b.measured,
    coreHours: a.coreHours + b.coreHours,
    cpuHours: a.cpuHours + b.cpuHours,
    cpuMeasuredCoreHours: a.cpuMeasuredCoreHours + b.cpuMeasuredCoreHours,
    cpuEfficiency: a.cpuMeasuredCoreHours + b.cpuMeasuredCoreHours > 0 ? (a.cpuHours + b.cpuHours) / (a.cpuMeasuredCoreHours + b.cpuMeasuredCoreHours) : undefined,
    memoryEfficiency: a.memoryEfficiency === undefined ? b.memoryEfficiency : b.memoryEfficiency === undefined ? a.memoryEfficiency : Math.max(a.memoryEfficiency, b.memoryEfficiency),
  }));
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function duration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}


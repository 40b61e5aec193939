import type { ReportData } from './model.js';
import { timeSpent } from './model.js';

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
    return `<tr><th>${esc(b)}</th><td>${mine.length}</td>${cells}<td>${duration(median(spent.map((x) => x.queued)))}</td><td>${duration(median(spent.map((x) => x.running)))}</td><td>${duration(sum(spent.map((x) => x.queued)))}</td><td>${duration(sum(spent.map((x) => x.running)))}</td></tr>`;
  });
  // A page a browser opens: past SHOWN_RUNS runs the timeline and the attempts table show the first ones, and say so.
  const submitted = data.runs.filter((r) => r.attempts.length > 0);
  const shown = submitted.slice(0, SHOWN_RUNS);
  const cut = submitted.length > shown.length ? `<p class="cut">Showing the first ${shown.length} of ${submitted.length} submitted runs; \`mensemble status --json\` lists every run and attempt.</p>` : '';
  const attemptRows = shown.flatMap((r) =>
    r.attempts.map(
      (a) =>
        `<tr class="state-${esc(a.state)}"><td>${esc(r.batch)}/${esc(r.id)}</td><td>${a.attempt}</td><td>${esc(a.jobId ?? '')}</td><td>${esc(a.state)}</td><td>${a.exitCode ?? ''}</td><td>${esc(a.reason ?? '')}</td><td>${esc(a.submittedAt)}</td><td>${esc(a.startedAt ?? '')}</td><td>${esc(a.endedAt ?? '')}</td></tr>`,
    ),
  );
  const json = JSON.stringify({ ...data, runs: shown }).replace(/</g, '\\u003c');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>mensemble report: ${esc(data.ensemble)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 2em; }
table { border-collapse: collapse; } th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; }
thead th { background: #f4f4f4; }
.legend span { display: inline-block; margin-right: 1em; } .legend i { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: middle; }
#timeline text { font-size: 11px; fill: #444; }
</style>
</head>
<body>
<h1>mensemble report: ${esc(data.ensemble)}</h1>
<p>${data.runs.length} runs in ${batches.length} batch${batches.length === 1 ? '' : 'es'}; generated ${esc(data.generatedAt)}.</p>
<h2>Summary by batch and state</h2>
<table id="summary"><thead><tr><th>batch</th><th>runs</th>${states.map((s) => `<th>${esc(s)}</th>`).join('')}<th>median queued</th><th>median running</th><th>total queued</th><th>total running</th></tr></thead>
<tbody>${summaryRows.join('\n')}</tbody></table>
<h2>Timeline</h2>
<p class="legend"><span><i style="background:#ccc"></i>queued</span>${Object.entries(COLOURS)
    .map(([s, c]) => `<span><i style="background:${c}"></i>${s}</span>`)
    .join('')}</p>
${cut}<div id="timeline"></div>
<h2>Attempts</h2>
${cut}<table id="attempts"><thead><tr><th>run</th><th>attempt</th><th>job</th><th>state</th><th>exit code</th><th>reason</th><th>submitted</th><th>started</th><th>ended</th></tr></thead>
<tbody>${attemptRows.join('\n')}</tbody></table>
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
  const label = 160, width = 900, row = 16, top = 20;
  const x = (ms) => label + ((ms - start) / (end - start)) * (width - label - 10);
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('width', width);
  svg.setAttribute('height', top + runs.length * row + 10);
  const el = (name, attrs, parent) => { const e = document.createElementNS(ns, name); for (const k in attrs) e.setAttribute(k, attrs[k]); parent.appendChild(e); return e; };
  const axis = el('text', { x: label, y: 12 }, svg); axis.textContent = new Date(start).toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
  const last = el('text', { x: width - 10, y: 12, 'text-anchor': 'end' }, svg); last.textContent = '+' + Math.round((end - start) / 1000) + ' s';
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
})();`;

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


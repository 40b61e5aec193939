import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, sweepEnsemble, tempDir } from './helpers.js';
import { needPackages } from './system-packages.js';

/** Debian's chromium (installed by scripts/test-deps.sh before the tests start); a skip reason where it is missing (never under CI). */
function chromium(): { path?: string; skip?: string } {
  const skip = needPackages('chromium', 'the report browser test');
  return skip ? { skip } : { path: '/usr/bin/chromium' };
}

const browser = chromium();

test('report writes one self-contained HTML file whose timeline renders in headless Chromium with one bar per run', { skip: browser.skip }, () => {
  const dir = tempDir();
  sweepEnsemble(dir, {
    runs: 4,
    jobBody: `#!/bin/sh
echo "{{ run.id }}" >> ../../executions.log
{% if n == 3 %}exit 4{% endif %}
echo done > output.txt
`,
  });
  assert.equal(cli(['apply', '--yes'], dir).code, 3, 'r3 fails');
  const ok = cli(['report', '-o', 'out/report.html'], dir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /Wrote out\/report\.html: 4 runs, 4 with jobs\./);
  const html = fs.readFileSync(path.join(dir, 'out', 'report.html'), 'utf8');
  assert.doesNotMatch(html, /(src|href)\s*=\s*["']?(https?:)?\/\//i, 'nothing is fetched when it is opened');
  assert.doesNotMatch(html, /@import|url\(/i);

  const profile = tempDir('mensemble-chromium-');
  const dom = spawnSync(
    browser.path!,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', `file://${path.join(dir, 'out', 'report.html')}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(dom.status, 0, dom.stderr);
  const bars = [...dom.stdout.matchAll(/<g class="run-bar" data-run="([^"]+)" data-state="([^"]+)">/g)].map((m) => [m[1], m[2]]);
  assert.deepEqual(bars, [
    ['sweep/r1', 'completed'],
    ['sweep/r2', 'completed'],
    ['sweep/r3', 'failed'],
    ['sweep/r4', 'completed'],
  ], 'one bar per run, drawn by the page itself');
  assert.match(dom.stdout, /<td>sweep\/r3<\/td><td>1<\/td><td>\d+<\/td><td>failed<\/td><td>4<\/td>/, 'attempts with exit codes');
  // Issue 33, item 11: times to the second in UTC, not raw ISO with milliseconds; a failures section with the log's last lines.
  assert.match(dom.stdout, /<td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC<\/td>/);
  assert.doesNotMatch(dom.stdout, /<td>\d{4}-\d\d-\d\dT[\d:.]+Z<\/td>/);
  assert.match(dom.stdout, /<h2 id="failures">Failures \(1\)<\/h2>\s*<div class="failure" data-run="sweep\/r3"><h3>sweep\/r3: failed, exit code 4<\/h3><p class="log-name">the last lines of runs\/r3\/job-1\.log \(<code>mensemble logs sweep\/r3<\/code> shows it all\):<\/p><pre>/);
  assert.match(dom.stdout, /<th>median queued<\/th><th>median running<\/th>/);
});

test('report: per run its parameters, state, attempts and cost; for a two-parameter matrix a grid of runs coloured by state with core-hours on hover, drawn in headless Chromium', { skip: browser.skip }, () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1, jobBody: '#!/bin/sh\n{% if co2 == 560 and seed == 2 %}exit 3{% endif %}\nsleep 0.2\n' });
  const config = path.join(dir, 'mensemble.yaml');
  // Two parameters, in this order: co2 (columns) and seed (rows); run ids from both.
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('run_id: "r{{ n }}"', 'run_id: "c{{ co2 }}-s{{ seed }}"').replace(/n: \[1\]/, 'co2: [280, 560, 1120]\n        seed: [1, 2]').replace('maxruns: 1', 'maxruns: 6').replace('maxjobs: 2', 'maxjobs: 6'));
  fs.writeFileSync(path.join(dir, 'template', 'params.j2'), 'co2 = {{ co2 }}\nseed = {{ seed }}\n');
  const applied = cli(['apply', '--yes'], dir);
  assert.equal(applied.code, 3, `c560-s2 fails: ${applied.stderr}`);
  assert.equal(cli(['report', '-o', 'report.html'], dir).code, 0);
  const profile = tempDir('mensemble-chromium-');
  const dom = spawnSync(
    browser.path!,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', `file://${path.join(dir, 'report.html')}`],
    { encoding: 'utf8', timeout: 60_000 },
  );
  assert.equal(dom.status, 0, dom.stderr);
  const caption = /<div class="grid" data-batch="sweep"><table><caption>sweep: seed \(rows\) by co2 \(columns\)<\/caption><thead><tr><th>seed \\ co2<\/th><th>280<\/th><th>560<\/th><th>1120<\/th><\/tr><\/thead>/;
  assert.match(dom.stdout, caption, 'the grid is drawn by the page, its columns and rows the two parameters');
  const cells = [...dom.stdout.matchAll(/<td class="cell" data-run="([^"]+)" data-state="([^"]+)" title="([^"]+)" style="background: ([^;]+);">([^<]*)<\/td>/g)].map((m) => ({ run: m[1], state: m[2], title: m[3], colour: m[4], letter: m[5] }));
  assert.deepEqual(cells.map((c) => c.run), ['sweep/c280-s1', 'sweep/c560-s1', 'sweep/c1120-s1', 'sweep/c280-s2', 'sweep/c560-s2', 'sweep/c1120-s2'], 'row by row: seed 1, then seed 2');
  assert.deepEqual(cells.map((c) => c.state), ['completed', 'completed', 'completed', 'completed', 'failed', 'completed']);
  assert.equal(cells[4]!.colour, 'rgb(211, 60, 60)', 'the failed run in the failed colour');
  assert.equal(cells[0]!.colour, 'rgb(46, 155, 79)');
  // Issue 33, item 11: the state as a letter too, for readers who do not tell the colours apart, and for print.
  assert.deepEqual(cells.map((c) => c.letter), ['✓', '✓', '✓', '✓', '✗', '✓']);
  // Hover: the run's core-hours, as its state file records them.
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'runs', 'c280-s1', '.mensemble', 'state.json'), 'utf8'));
  assert.equal(cells[0]!.title, `c280-s1: completed, ${(state.attempts[0].usage.coreSeconds / 3600).toPrecision(3)} core-hours`);
  // The runs table: parameters, state, attempts, cost.
  assert.match(dom.stdout, /<table class="runs" data-batch="sweep"><thead><tr><th>run<\/th><th>co2<\/th><th>seed<\/th><th>state<\/th><th>attempts<\/th><th>core-hours<\/th><th>CPU efficiency<\/th><th>memory efficiency<\/th><\/tr><\/thead>/);
  assert.match(dom.stdout, /<tr class="state-failed" data-run="sweep\/c560-s2"><td>c560-s2<\/td><td>560<\/td><td>2<\/td><td>failed<\/td><td>1<\/td><td>(&lt;)?[\d.]+<\/td><td>\d+%<\/td><td>-<\/td><\/tr>/);
  // Per batch: totals and efficiency.
  assert.match(dom.stdout, /<th>core-hours<\/th><th>CPU efficiency<\/th><th>memory efficiency<\/th><\/tr><\/thead>\s*<tbody><tr><th>sweep<\/th>/);
  assert.match(dom.stdout, /<p id="ensemble-usage">The ensemble used [<&;\w.\d]+ core-hours \(CPU efficiency \d+%, memory efficiency -\) in 6 attempts\.<\/p>/);
});

test('issue 33, item 11: the report at 800 px does not scroll sideways (the timeline was a fixed 900 px), and its time axis has labelled ticks', { skip: browser.skip }, () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 6 });
  const file = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('run_id: "r{{ n }}"', 'run_id: "a-long-run-identifier-{{ n }}"'));
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  assert.equal(cli(['report', '-o', 'report.html'], dir).code, 0);
  // The page measured as a browser lays it out, inside an 800 px frame.
  fs.writeFileSync(
    path.join(dir, 'measure.html'),
    `<!DOCTYPE html><html><body style="margin:0"><iframe id="f" src="report.html" style="width:800px;height:1200px;border:0"></iframe><pre id="out">waiting</pre>
<script>document.getElementById('f').addEventListener('load', () => { const d = document.getElementById('f').contentDocument;
document.getElementById('out').textContent = 'scrollWidth=' + d.documentElement.scrollWidth + ' ticks=' + d.querySelectorAll('#timeline text.tick').length; });</script></body></html>`,
  );
  const profile = tempDir('mensemble-chromium-');
  const dom = spawnSync(browser.path!, ['--headless', '--no-sandbox', '--disable-gpu', '--allow-file-access-from-files', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--virtual-time-budget=5000', '--dump-dom', `file://${path.join(dir, 'measure.html')}`], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(dom.status, 0, dom.stderr);
  const m = /scrollWidth=(\d+) ticks=(\d+)/.exec(dom.stdout);
  assert.ok(m, dom.stdout.slice(-500));
  assert.ok(Number(m[1]) <= 800, `the page is ${m[1]} px wide in an 800 px window`);
  assert.ok(Number(m[2]) >= 2, `${m[2]} labelled ticks on the time axis`);
});

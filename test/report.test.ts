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
  assert.match(dom.stdout, /<th>median queued<\/th><th>median running<\/th>/);
});

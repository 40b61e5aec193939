// Watch latency on a 1,000-run up-to-date ensemble: save a shared template by
// rename-over (as editors do), alternating two contents, and time from the
// save to watch's JSON line; also the re-plan time watch reports itself.
//   node bench/watch.mjs [--saves 15] [--runs 1000] [--json]
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { makeEnsemble, median, upToDate } from './lib/fixture.mjs';
import { BIN, table } from './lib/measure.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const saves = Number(arg('--saves', '15'));
const runs = Number(arg('--runs', '1000'));
const root = makeEnsemble(runs);
await upToDate(root);
const file = path.join(root, 'template', 'model.nml.j2');
const original = fs.readFileSync(file, 'utf8');
const child = spawn(process.execPath, [BIN, 'watch', '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
let buffer = '';
const waiters = [];
child.stdout.on('data', (d) => {
  buffer += d;
  for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
    const event = JSON.parse(buffer.slice(0, i));
    buffer = buffer.slice(i + 1);
    waiters.shift()?.(event);
  }
});
const next = () => new Promise((resolve) => waiters.push(resolve));
await next(); // the start event
const replan = [];
const latency = [];
for (let i = 0; i < saves; i++) {
  await new Promise((r) => setTimeout(r, 300));
  const event = next();
  const t = performance.now();
  fs.writeFileSync(`${file}.swp`, i % 2 === 0 ? `${original}! edit\n` : original);
  fs.renameSync(`${file}.swp`, file);
  const e = await event;
  latency.push(performance.now() - t);
  replan.push(e.ms);
}
child.kill('SIGINT');
fs.rmSync(root, { recursive: true, force: true });
const row = {
  runs,
  saves,
  'save-to-output ms (median)': Math.round(median(latency)),
  'min': Math.round(Math.min(...latency)),
  'max': Math.round(Math.max(...latency)),
  're-plan ms (median)': Math.round(median(replan)),
};
console.log(process.argv.includes('--json') ? JSON.stringify({ benchmark: 'watch', ...row }) : table([row]));

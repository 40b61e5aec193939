// Benchmarks 2 and 3: plan an up-to-date ensemble (no-op) at 1k, 10k, 100k runs, with
// and without the render memo (alternated), and plan after one shared template was
// edited (every run changes). Medians of --repeat runs.
// --forms matrix,runs measures each size with the runs written as a matrix and as a
// model-ensembler `runs:` list.
//   node bench/plan.mjs [--sizes 1000,10000,100000] [--forms matrix,runs] [--repeat 3] [--json]
import fs from 'node:fs';
import path from 'node:path';
import { makeEnsemble, median, upToDate } from './lib/fixture.mjs';
import { table, timeCli } from './lib/measure.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const sizes = arg('--sizes', '1000,10000,100000').split(',').map(Number);
const repeat = Number(arg('--repeat', '3'));
const forms = arg('--forms', 'matrix').split(',');
const rows = [];
for (const runs of sizes) for (const form of forms) {
  const root = makeEnsemble(runs, { form });
  const t0 = Date.now();
  await upToDate(root);
  const prepared = (Date.now() - t0) / 1000;
  // Side by side: with the render memo (as after an apply) and without it (every run rendered in memory).
  const memo = path.join(root, '.mensemble', 'render-memo.json');
  const noop = [];
  const noMemo = [];
  for (let i = 0; i < repeat; i++) {
    noop.push(timeCli(['plan'], root));
    const saved = fs.readFileSync(memo);
    fs.rmSync(memo);
    noMemo.push(timeCli(['plan'], root));
    fs.writeFileSync(memo, saved);
  }
  if (!/No changes\./.test(noop[0].stdout) || !/No changes\./.test(noMemo[0].stdout)) throw new Error(`not up to date: ${noop[0].stdout.slice(-300)}`);
  const tpl = path.join(root, 'template', 'model.nml.j2');
  fs.appendFileSync(tpl, '# edited\n');
  const changed = Array.from({ length: repeat }, () => timeCli(['plan', '--json'], root));
  const summary = JSON.parse(changed[0].stdout).summary;
  if (summary.replace !== runs) throw new Error(`expected ${runs} to replace, got ${JSON.stringify(summary)}`);
  rows.push({
    runs,
    form,
    'no-op plan s (median)': median(noop.map((r) => r.seconds)).toFixed(2),
    'no-op MB': Math.round(median(noop.map((r) => r.mb))),
    'no-op, no memo s': median(noMemo.map((r) => r.seconds)).toFixed(2),
    'changed-template plan s': median(changed.map((r) => r.seconds)).toFixed(2),
    'changed MB': Math.round(median(changed.map((r) => r.mb))),
    'fixture s': prepared.toFixed(1),
  });
  fs.rmSync(root, { recursive: true, force: true });
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ benchmark: 'plan', repeat, rows }, null, 2));
else console.log(table(rows));

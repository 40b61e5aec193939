// npm run fuzz -- --seed S --cases N: prints a shrunk reproduction of every
// difference, then exactly `fuzz: N cases, I identical, R refused, D
// different` as its last line; exits 1 when D > 0.
import { describeDifference, fuzz, summaryLine } from './run.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) {
    process.stderr.write(`fuzz: --${name} takes a whole number, got ${process.argv[i + 1]}\n`);
    process.exit(2);
  }
  return value;
}

const seed = option('seed', Date.now() % 1_000_000);
const cases = option('cases', 2000);
process.stderr.write(`fuzz: seed ${seed}, ${cases} cases\n`);
const result = await fuzz(seed, cases, (done) => process.stderr.write(`fuzz: ${done} of ${cases}\n`));
for (const d of result.different) process.stdout.write(`${describeDifference(d)}\n\n`);
process.stdout.write(`fuzz: of the refused, ${result.refusedWhereJinja2Renders} rendered in Jinja2; the others fail in both\n`);
process.stdout.write(`${summaryLine(result)}\n`);
process.exitCode = result.different.length > 0 ? 1 : 0;

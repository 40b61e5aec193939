#!/usr/bin/env node
// Runs test files with Node's test runner in the order given, a few at a
// time, and prints the spec reporter's output and summary. scripts/run-tests.mjs
// starts it with `--import tsx`, which the test files' processes inherit.
// Node's command line (`node --test a b`) would sort the files by name.
//
//   node --import tsx scripts/run-test-files.mjs [--concurrency=N] [--test-name-pattern=RE ...] -- FILE...
import path from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

const argv = process.argv.slice(2);
const end = argv.indexOf('--');
const options = end >= 0 ? argv.slice(0, end) : argv;
const files = end >= 0 ? argv.slice(end + 1) : [];
let concurrency = 3;
const testNamePatterns = [];
for (let i = 0; i < options.length; i++) {
  const [name, inline] = options[i].split(/=(.*)/s);
  const value = () => inline ?? options[++i];
  if (name === '--concurrency' || name === '--test-concurrency') concurrency = Number(value());
  else if (name === '--test-name-pattern') testNamePatterns.push(value());
  else {
    console.error(`run-test-files: unknown option ${options[i]} (known: --concurrency=N, --test-name-pattern=RE, then -- and the files)`);
    process.exit(2);
  }
}
if (files.length === 0 || !(concurrency >= 1)) {
  console.error('run-test-files: give --concurrency=N (N >= 1) and, after --, the test files');
  process.exit(2);
}

const stream = run({
  files: files.map((f) => path.resolve(f)),
  concurrency,
  ...(testNamePatterns.length > 0 ? { testNamePatterns } : {}),
});
stream.on('test:fail', () => {
  process.exitCode = 1;
});
stream.compose(spec).pipe(process.stdout);

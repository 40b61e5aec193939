#!/usr/bin/env node
// Runs every test file with Node's built-in test runner (through tsx, so the
// TypeScript sources are tested directly). Node 20's `--test` does not expand
// globs itself, hence this small launcher. Extra arguments are passed through
// (for example `npm test -- --test-name-pattern=lock`).
import { spawnSync } from 'node:child_process';
import fg from 'fast-glob';

const files = await fg(['src/**/*.test.ts', 'test/**/*.test.ts'], { dot: false });
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const args = [
  '--import', 'tsx',
  '--test',
  '--test-reporter=spec',
  `--test-concurrency=${process.env.MENSEMBLE_TEST_CONCURRENCY ?? '2'}`,
  ...process.argv.slice(2),
  ...files,
];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);

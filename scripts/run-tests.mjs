#!/usr/bin/env node
// Runs every test file with Node's built-in test runner (through tsx, so the
// TypeScript sources are tested directly). Node 20's `--test` does not expand
// globs itself, hence this small launcher. Extra arguments are passed through
// (for example `npm test -- --test-name-pattern=lock`).
//
// Before any test file starts, the system packages the suite needs (SLURM,
// Chromium, Python's Jinja2: scripts/test-deps.sh holds the list) are
// installed once, here, so that no two test files ever run apt-get side by
// side. After the last test file, the test cluster is stopped with every
// process it started (scripts/slurm-down.sh), unless MENSEMBLE_KEEP_SLURM=1.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fg from 'fast-glob';

const ci = process.env.CI === 'true';

const deps = spawnSync('bash', ['scripts/test-deps.sh', 'install'], { stdio: 'inherit' });
if (deps.status !== 0) {
  if (ci) {
    console.error('run-tests: the system packages the suite needs are not all installed (see above); under CI=true that fails the run.');
    process.exit(1);
  }
  console.error('run-tests: tests that need the missing packages will be skipped, each saying why.');
}

// The longest files start first, so that the suite takes about as long as
// its longest file (the SLURM tests, which mostly wait on the one cluster)
// rather than that plus whatever happened to start before it. Node's
// command line (`node --test a b`) sorts the files by name, which started
// test/slurm.test.ts three and a half minutes into the suite; its run()
// keeps the order given (scripts/run-test-files.mjs).
const LONGEST_FIRST = ['test/slurm.test.ts', 'test/bad-input.test.ts', 'test/crash-and-lock.test.ts', 'test/model-ensembler-examples.test.ts', 'test/reliability/crash-local.test.ts', 'test/scale.test.ts'];
const named = process.argv.slice(2).filter((a) => !a.startsWith('-') && a.endsWith('.test.ts'));
const files = named.length > 0 ? named : await fg(['src/**/*.test.ts', 'test/**/*.test.ts'], { dot: false });
const rank = (f) => (LONGEST_FIRST.includes(f) ? LONGEST_FIRST.indexOf(f) : LONGEST_FIRST.length);
files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
const args = [
  '--import', 'tsx',
  'scripts/run-test-files.mjs',
  `--concurrency=${process.env.MENSEMBLE_TEST_CONCURRENCY ?? '3'}`,
  ...process.argv.slice(2).filter((a) => !named.includes(a)),
  '--',
  ...files,
];
// Ctrl-C reaches the test runner too; this process stays to tear down after it.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => {});
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });

const clusterDir = process.env.MENSEMBLE_SLURM_DIR ?? '/var/tmp/mensemble-slurm';
if (process.env.MENSEMBLE_KEEP_SLURM !== '1' && fs.existsSync(clusterDir)) {
  spawnSync('bash', ['scripts/slurm-down.sh'], { stdio: 'inherit' });
}
process.exit(result.status ?? 1);

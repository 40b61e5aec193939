// The suite's own setup: what a new machine needs, and the promises
// package.json makes about where mensemble runs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers.js';

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text.replace(/^v/, '').split('.').map((p) => (p === 'x' || p === '*' ? 0 : Number(p)));
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** Whether `version` satisfies an npm `engines` range (`>=`, `>`, `<`, `<=`, `^`, `~`, `=`, `||`, spaces after operators). */
function satisfies(version: Version, range: string): boolean {
  return range.split('||').some((alternative) => {
    const comparators = alternative.trim().replace(/([<>=^~]+)\s+/g, '$1').split(/\s+/).filter(Boolean);
    return comparators.every((c) => {
      const [, op = '', v = ''] = /^([<>=^~]*)(.*)$/.exec(c)!;
      const target = parseVersion(v);
      const cmp = compare(version, target);
      switch (op) {
        case '>=': return cmp >= 0;
        case '>': return cmp > 0;
        case '<=': return cmp <= 0;
        case '<': return cmp < 0;
        case '^': return cmp >= 0 && version[0] === target[0];
        case '~': return cmp >= 0 && version[0] === target[0] && version[1] === target[1];
        default: return v === '*' || v === '' || cmp === 0;
      }
    });
  });
}

test('package.json engines is true: the oldest Node it admits satisfies every runtime dependency in the lock file', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8'));
  const ours = /^>=\s*(\d+(\.\d+){0,2})$/.exec(pkg.engines.node);
  assert.ok(ours, `engines.node should be a plain lower bound (>=X.Y), not ${pkg.engines.node}`);
  const oldest = parseVersion(ours[1]!);
  assert.equal(lock.packages[''].engines?.node, pkg.engines.node, 'package-lock.json repeats engines.node');
  const unmet = Object.entries(lock.packages as Record<string, { dev?: boolean; engines?: { node?: string } }>)
    .filter(([name, p]) => name !== '' && !p.dev && p.engines?.node && !satisfies(oldest, p.engines.node))
    .map(([name, p]) => `${name.replace(/^.*node_modules\//, '')} needs ${p.engines!.node}`);
  assert.deepEqual(unmet, [], `Node ${ours[1]} does not run: ${unmet.join('; ')}`);
});

test('the range check itself: what chokidar, execa and yaml ask', () => {
  assert.equal(satisfies([20, 0, 0], '>= 20.19.0'), false);
  assert.equal(satisfies([20, 19, 0], '>= 20.19.0'), true);
  assert.equal(satisfies([20, 0, 0], '^18.19.0 || >=20.5.0'), false);
  assert.equal(satisfies([18, 20, 0], '^18.19.0 || >=20.5.0'), true);
  assert.equal(satisfies([20, 19, 0], '>= 14.6'), true);
});

test('only scripts/test-deps.sh installs system packages: no test file or other script runs apt-get install', () => {
  const offenders: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (/\.(ts|mjs|js|sh)$/.test(entry.name) && !['test-deps.sh', 'setup.test.ts', 'fresh-machine-check.sh'].includes(entry.name)) {
        if (/apt-get[^\n]*\binstall\b|apt\s+install/.test(fs.readFileSync(file, 'utf8'))) offenders.push(path.relative(ROOT, file));
      }
    }
  };
  for (const dir of ['test', 'scripts', 'src', 'bench', '.ci']) if (fs.existsSync(path.join(ROOT, dir))) walk(path.join(ROOT, dir));
  const ci = fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8');
  if (/apt-get|apt install/.test(ci)) offenders.push('.ci/run');
  assert.deepEqual(offenders, []);
});

test('every package scripts/slurm-up.sh checks for is in scripts/test-deps.sh, which the test runner calls before any test file', () => {
  const deps = fs.readFileSync(path.join(ROOT, 'scripts', 'test-deps.sh'), 'utf8');
  const up = fs.readFileSync(path.join(ROOT, 'scripts', 'slurm-up.sh'), 'utf8');
  const checked = [...up.matchAll(/packages(?:\+)?=\(([^)]*)\)/g)].flatMap((m) => m[1]!.trim().split(/\s+/));
  assert.ok(checked.length >= 4, 'slurm-up.sh names its packages');
  const slurmGroup = /\[slurm\]="([^"]*)"/.exec(deps)?.[1]?.split(/\s+/) ?? [];
  assert.deepEqual(checked.filter((p) => !slurmGroup.includes(p)), []);
  const runner = fs.readFileSync(path.join(ROOT, 'scripts', 'run-tests.mjs'), 'utf8');
  assert.ok(runner.indexOf("test-deps.sh', 'install'") !== -1 && runner.indexOf("test-deps.sh', 'install'") < runner.indexOf("'scripts/run-test-files.mjs'"), 'run-tests.mjs installs before it starts the test runner');
});

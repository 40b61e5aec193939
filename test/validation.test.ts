import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, tempDir, writeTree } from './helpers.js';

const GOOD_BATCH = `    - name: b
      basedir: ./runs
      templatedir: ../tpl
      templates: [job.sh.j2]
      job_file: job.sh
      maxruns: 2
      maxjobs: 1
      runs:
        - {a: 1}
`;

// The bad-input corpus (YAML, schema, paths, templates, .mensemblerc) is test/bad-input.test.ts.

test('unknown command and unknown option get a suggestion, not a stack', () => {
  const dir = tempDir();
  const r = cli(['aply'], dir);
  assert.equal(r.code, 2, 'a usage error (issue 33, item 8: it was 1)');
  assert.match(r.stderr, /Unknown command `aply`\. Did you mean `apply`\?/);
  const o = cli(['plan', '--nope'], dir);
  assert.equal(o.code, 2, 'a usage error');
  // Under --detailed-exitcode 2 means changes: an error there is 1.
  assert.equal(cli(['plan', '--detailed-exitcode', '--nope'], dir).code, 1);
  assert.match(o.stderr, /Unknown option `--nope`/);
  const y = cli(['apply', '--yse'], dir);
  assert.match(y.stderr, /^mensemble: Unknown option `--yse`\. Did you mean `--yes`\?/);
});

test('every command\'s --help shows examples', () => {
  const dir = tempDir();
  for (const command of ['init', 'plan', 'apply', 'watch', 'status', 'logs', 'report', 'cancel', 'repair', 'validate', 'schema', 'unlock', 'completion', 'help']) {
    const r = cli([command, '--help'], dir);
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`Examples:\\n\\s*mensemble ${command}`), `${command} --help`);
  }
});

test('validate accepts the examples, schema prints the JSON Schema', () => {
  const dir = tempDir();
  writeTree(dir, { 'mensemble.yaml': `ensemble:\n  batches:\n${GOOD_BATCH}`, 'tpl/job.sh.j2': 'x' });
  const v = cli(['validate'], dir);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /is valid: 1 batch, 1 run/);
  const s = cli(['schema'], dir);
  assert.equal(JSON.parse(s.stdout).$schema, 'https://json-schema.org/draft/2020-12/schema');
});

test('aliases and merge keys of an ordinary large configuration are read (3,000 runs merging one anchor)', () => {
  const dir = tempDir();
  const runs = Array.from({ length: 3000 }, (_, i) => `        - {<<: *defaults, a: ${i}}\n`).join('');
  writeTree(dir, {
    'mensemble.yaml': `ensemble:\n  vars:\n    defaults: &defaults {b: 2}\n  batches:\n${GOOD_BATCH.replace('      runs:\n        - {a: 1}\n', '')}      run_id: "r{{ a }}-{{ b }}"\n      runs:\n${runs}`,
    'tpl/job.sh.j2': 'x',
  });
  const v = cli(['validate'], dir);
  assert.equal(v.code, 0, v.stderr);
  assert.match(v.stdout, /is valid: 1 batch, 3000 runs/);
});

test('a symlink in templatedir with an absolute target is kept as a link in every run directory', () => {
  const dir = tempDir();
  writeTree(dir, { 'mensemble.yaml': `ensemble:\n  batches:\n${GOOD_BATCH}`, 'tpl/job.sh.j2': '#!/bin/sh\ntrue\n', 'shared/data.txt': 'shared' });
  fs.symlinkSync(path.join(dir, 'shared'), path.join(dir, 'tpl', 'data'));
  const r = cli(['apply', '--yes', '--backend', 'local'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readlinkSync(path.join(dir, 'runs', 'b-0', 'data')), path.join(dir, 'shared'));
});

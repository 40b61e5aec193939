import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, listTree, tempDir } from './helpers.js';

test('init scaffolds an ensemble that validates and applies as it is', () => {
  const parent = tempDir();
  const r = cli(['init', 'my-ensemble'], parent);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Created my-ensemble\/mensemble\.yaml, .*\n\nNext:\n {2}cd my-ensemble\n/);
  const dir = path.join(parent, 'my-ensemble');
  assert.deepEqual(listTree(dir), ['.mensemblerc', 'mensemble.schema.json', 'mensemble.yaml', 'template', 'template/job.sh.j2', 'template/params.nml.j2']);
  // Editors with the YAML language server validate the file against the schema beside it.
  assert.equal(fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').split('\n')[0], '# yaml-language-server: $schema=./mensemble.schema.json');
  assert.equal(fs.readFileSync(path.join(dir, 'mensemble.schema.json'), 'utf8'), cli(['schema'], dir).stdout);
  assert.equal(cli(['validate'], dir).code, 0);
  const plan = cli(['plan'], dir);
  assert.match(plan.stdout, /Plan: 4 to create/);
  const applied = cli(['apply', '--yes'], dir);
  assert.equal(applied.code, 0, applied.stderr + applied.stdout);
  assert.match(applied.stdout, /Apply complete: 4 completed, 0 failed\./);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'p2-s1', 'result.txt'), 'utf8'), 'result for param=2 seed=1\n');
  assert.match(cli(['plan'], dir).stdout, /No changes\. 4 runs up to date/);
});

test('init never overwrites: an existing file stops it before anything is written', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), 'mine\n');
  const r = cli(['init'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Not initialising .*: mensemble\.yaml already exists\. mensemble init never overwrites files/);
  assert.deepEqual(listTree(dir), ['mensemble.yaml']);
  assert.equal(fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8'), 'mine\n');
});

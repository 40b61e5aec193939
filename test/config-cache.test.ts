// The configuration cache (.mensemble/config-cache/): an unchanged
// configuration is not parsed again, and nothing but the exact bytes that
// were read and validated is ever served from it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, sweepEnsemble, tempDir } from './helpers.js';

function cacheFiles(dir: string): string[] {
  const folder = path.join(dir, '.mensemble', 'config-cache');
  return fs.existsSync(folder) ? fs.readdirSync(folder).map((f) => path.join(folder, f)) : [];
}

test('an unchanged configuration is read from its cache; any edit of the file is read and validated afresh; a damaged cache is only a miss', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  const config = path.join(dir, 'mensemble.yaml');
  assert.equal(cli(['plan'], dir).code, 0);
  assert.deepEqual(cacheFiles(dir), [], 'a plan never creates the state folder, nor a cache in it');
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  // The apply made the state folder after reading the configuration: the next command keeps it.
  assert.equal(cli(['plan'], dir).code, 0);
  const [cache] = cacheFiles(dir);
  assert.ok(cache, 'the validated configuration is kept');

  // What is served for unchanged bytes is the cache's: a hand-made entry with scale 2.5 shows in the plan.
  const entry = JSON.parse(fs.readFileSync(cache!, 'utf8'));
  const text = JSON.stringify(entry.value);
  assert.match(text, /"scale",\["f",1\.5\]/);
  fs.writeFileSync(cache!, JSON.stringify({ ...entry, value: JSON.parse(text.replace('"scale",["f",1.5]', '"scale",["f",2.5]')) }));
  const served = cli(['plan'], dir);
  assert.equal(served.code, 0, served.stderr);
  assert.match(served.stdout, /variable scale: 1\.5 → 2\.5/);

  // One byte more (a comment) and the file is read again: scale is the file's 1.5.
  fs.appendFileSync(config, '# edited\n');
  assert.match(cli(['plan'], dir).stdout, /No changes\. 3 runs up to date/);

  // An invalid edit is refused with its line, however often it is read.
  const valid = fs.readFileSync(config, 'utf8');
  fs.writeFileSync(config, valid.replace('maxjobs: 2', 'maxjobs: -1'));
  for (let i = 0; i < 2; i++) {
    const bad = cli(['plan'], dir);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /mensemble\.yaml:\d+:\d+: .*maxjobs/);
  }

  // A problem found after the configuration was read (two runs with one id) names the same line whether
  // the file was parsed or taken from the cache (its YAML is then parsed for the message only).
  fs.writeFileSync(config, valid.replace('run_id: "r{{ n }}"', 'run_id: "same"'));
  const first = cli(['plan'], dir);
  const second = cli(['plan'], dir);
  assert.equal(first.code, 1);
  assert.match(first.stderr, /mensemble\.yaml:\d+:\d+: .*the run id `same` is also the id of/);
  assert.equal(second.stderr, first.stderr);

  // A damaged cache file is a miss, never an error.
  fs.writeFileSync(config, valid);
  for (const file of cacheFiles(dir)) fs.writeFileSync(file, '{"key": 1, "value": [');
  const plan = cli(['plan'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /No changes\. 3 runs up to date/);
});

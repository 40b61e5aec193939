import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, tempDir } from './helpers.js';
import { documents, single } from './json-schema.js';

test('every command speaks the documented JSON: init, validate, plan, apply, status, logs, report, cancel, repair, errors', () => {
  const dir = path.join(tempDir(), 'ens');
  const init = cli(['init', dir, '--json'], path.dirname(dir));
  assert.equal(init.code, 0, init.stderr);
  assert.equal(single(init.stdout, 'init').type, 'init');

  const valid = cli(['validate', '--json'], dir);
  assert.equal(valid.code, 0, valid.stderr);
  assert.deepEqual(single(valid.stdout, 'validate').summary, { batches: 1, runs: 4 });

  const plan = single(cli(['plan', '--json'], dir).stdout, 'plan');
  assert.equal((plan.runs as Array<{ reasons: Array<{ kind: string }> }>)[0]!.reasons[0]!.kind, 'new-run');

  const apply = cli(['apply', '--json', '--yes'], dir);
  assert.equal(apply.code, 0, apply.stderr);
  const lines = documents(apply.stdout, 'apply');
  assert.deepEqual([lines[0]!.type, lines.at(-1)!.type], ['plan', 'result']);
  const kinds = new Set(lines.filter((l) => l.type === 'event').map((l) => l.kind));
  for (const k of ['batch-started', 'rendered', 'submitted', 'job-state', 'finished']) assert.ok(kinds.has(k), `an apply reports ${k} (saw ${[...kinds].join(', ')})`);

  const status = single(cli(['status', '--json'], dir).stdout, 'status');
  assert.deepEqual(status.summary, { completed: 4 });

  const logs = single(cli(['logs', 'sweep/p1-s1', '--json'], dir).stdout, 'logs');
  assert.equal(logs.run, 'sweep/p1-s1');
  assert.ok((logs.files as Array<{ exists: boolean }>).some((f) => f.exists), 'the job output is named and exists');
  const follow = cli(['logs', 'p1-s1', '--json', '--follow'], dir);
  assert.equal(follow.code, 1);
  assert.match((single(follow.stdout, 'logs --follow refusal').diagnostics as Array<{ message: string }>)[0]!.message, /cannot be combined with --follow/);

  const report = single(cli(['report', '--json', '-o', path.join(dir, 'r.html')], dir).stdout, 'report');
  assert.deepEqual(report.summary, { runs: 4, submitted: 4 });

  assert.deepEqual(single(cli(['cancel', '--json'], dir).stdout, 'cancel').cancelled, []);

  // A changed variable: the reason carries key, before and after beside its words.
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('years: 10', 'years: 20'));
  const changed = single(cli(['plan', '--json'], dir).stdout, 'plan after an edit');
  const reason = (changed.runs as Array<{ reasons: Array<Record<string, unknown>> }>)[0]!.reasons.find((r) => r.kind === 'var-changed');
  assert.deepEqual(reason && { key: reason.key, before: reason.before, after: reason.after, text: reason.text }, { key: 'years', before: '10', after: '20', text: 'variable years: 10 → 20' });

  // A damaged state file: repair --json says what it rebuilt.
  fs.writeFileSync(path.join(dir, 'runs', 'p1-s1', '.mensemble', 'state.json'), '{"version": 1, ###');
  const repaired = single(cli(['repair', '--json'], dir).stdout, 'repair');
  assert.equal((repaired.repaired as Array<{ run: string }>)[0]!.run, 'sweep/p1-s1');

  // Errors under --json: one diagnostics document on stdout, with the location taken apart.
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').replace('maxjobs: 2 ', 'maxjobs: -2 '));
  const bad = cli(['plan', '--json'], dir);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, '');
  const diagnostic = (single(bad.stdout, 'error').diagnostics as Array<Record<string, unknown>>)[0]!;
  assert.equal(diagnostic.file, 'mensemble.yaml');
  const broken = fs.readFileSync(path.join(dir, 'mensemble.yaml'), 'utf8').split('\n');
  assert.equal(diagnostic.line, broken.findIndex((l) => l.includes('maxjobs: -2')) + 1);
  assert.equal(diagnostic.column, broken.find((l) => l.includes('maxjobs: -2'))!.indexOf('-2') + 1);
  assert.equal(diagnostic.path, 'ensemble.batches[0].maxjobs');
  assert.equal(diagnostic.category, 'input');
  const usage = cli(['plan', '--json', '--no-such-flag'], dir);
  assert.equal(usage.code, 2);
  assert.equal((single(usage.stdout, 'usage error').diagnostics as Array<Record<string, unknown>>)[0]!.category, 'usage');
});

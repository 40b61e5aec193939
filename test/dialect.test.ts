// Issue 33 item 3 and issue 32's top-level names: one key, `dialect`, and
// nothing else, changes how a configuration's paths resolve and what its
// templates see; `plan` says which rule is in force.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, tempDir, writeTree } from './helpers.js';
import { repository } from './model-ensembler/examples.js';

test("adding `retry:` (or `matrix`, `run_id`) to model-ensembler's sanity check changes no path: run from the repository root it still finds its templates there", () => {
  const { root, env } = repository();
  const file = path.join(root, 'examples', 'sanity-check.yml');
  const text = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(file, text.replace('      maxjobs:      2\n', '      maxjobs:      2\n      retry:        {max_attempts: 2}\n'));
  assert.notEqual(fs.readFileSync(file, 'utf8'), text);
  const plan = cli(['plan', 'examples/sanity-check.yml'], root, env);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /Dialect model-ensembler \(the default: the file declares no `dialect`\): templates see only `run`, as in model-ensembler\.\n/);
  assert.match(plan.stdout, /Base folders \(relative paths from the working directory .*, as model-ensembler\):\n {2}sanity_check {2}sanity_check\n/);
  const json = JSON.parse(cli(['plan', 'examples/sanity-check.yml', '--json'], root, env).stdout);
  assert.deepEqual(json.dialect, { name: 'model-ensembler', declared: false });
  assert.deepEqual({ rule: json.pathsFrom.rule, by: json.pathsFrom.by }, { rule: 'working-directory', by: 'dialect' });
  assert.equal(json.batches[0].basedir, path.join(fs.realpathSync(root), 'sanity_check'));
});

/** A configuration using mensemble's keys, a template printing `n` both ways, and its folder below `top`. */
function ensembleBelow(dialect: string): { top: string; dir: string } {
  const top = tempDir('mensemble-dialect-');
  const dir = path.join(top, 'ens');
  writeTree(dir, {
    'mensemble.yaml': `${dialect}ensemble:
  vars: {years: 10}
  batches:
    - name: b
      basedir: ./runs
      templatedir: ../tpl
      templates: [job.sh.j2]
      job_file: job.sh
      maxruns: 2
      maxjobs: 2
      retry: {max_attempts: 2}
      run_id: "r{{ n }}"
      matrix: {n: [1, 2]}
`,
    'tpl/job.sh.j2': '#!/bin/sh\n# {{ run.n }} {{ n }} {{ years is defined }} {{ scenario | default("x") }}\n',
  });
  return { top, dir };
}

test('`dialect: mensemble` is the one key that starts paths from the file\'s folder and lets templates read run variables by name; without it a top-level name is refused with the fix, before anything is written', () => {
  const declared = ensembleBelow('dialect: mensemble\n');
  const plan = cli(['plan', 'ens/mensemble.yaml'], declared.top);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /Dialect mensemble: templates see every run variable by name and as `run`\.\n/);
  assert.match(plan.stdout, /Base folders \(relative paths from the configuration's folder .*ens\):\n/);
  const apply = cli(['apply', 'ens/mensemble.yaml', '--yes'], declared.top);
  assert.equal(apply.code, 0, apply.stderr + apply.stdout);
  assert.equal(fs.readFileSync(path.join(declared.dir, 'runs', 'r1', 'job.sh'), 'utf8'), '#!/bin/sh\n# 1 1 True x');

  // The same file without the key, from the file's folder (so paths agree): `{{ n }}` is not a name its templates see.
  const undeclared = ensembleBelow('');
  const refused = cli(['apply', 'mensemble.yaml', '--yes'], undeclared.dir);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /job\.sh\.j2:2:\d+: `n` is undefined: the run has it, but templates of a model-ensembler configuration see only `run` .*write `run\.n`, or put `dialect: mensemble` at the top of the configuration/);
  assert.equal(fs.existsSync(path.join(undeclared.dir, 'runs')), false, 'nothing written');
  // `is defined` and `default` answer as model-ensembler's Jinja2 does: no top-level names at all.
  fs.writeFileSync(path.join(undeclared.dir, 'tpl', 'job.sh.j2'), '#!/bin/sh\n# {{ run.n }} {{ n is defined }} {{ years is defined }} {{ years | default("x") }}\n');
  const ok = cli(['apply', 'mensemble.yaml', '--yes'], undeclared.dir);
  assert.equal(ok.code, 0, ok.stderr + ok.stdout);
  assert.equal(fs.readFileSync(path.join(undeclared.dir, 'runs', 'r1', 'job.sh'), 'utf8'), '#!/bin/sh\n# 1 False False x');
});

test('without a dialect, a template folder that is not where the working directory puts it is reported with the rule and what would change it', () => {
  const { top } = ensembleBelow('');
  const r = cli(['plan', 'ens/mensemble.yaml'], top);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /ens\/mensemble\.yaml:\d+:\d+: ensemble\.batches\[0\]\.templatedir: the template folder tpl does not exist\. Relative paths start from the folder mensemble was run from, .*, as model-ensembler's do \(the file declares no `dialect`\)\. Run mensemble from the folder they were written for, or write `dialect: mensemble` at the top of the file to start them from its own folder, .*ens\./);
});

test('a configuration applied with paths from its own folder, which loses its `dialect: mensemble`, is refused from another folder rather than planned afresh there', () => {
  const { top, dir } = ensembleBelow('dialect: mensemble\n');
  fs.writeFileSync(path.join(dir, 'tpl', 'job.sh.j2'), '#!/bin/sh\n# {{ run.n }}\n');
  assert.equal(cli(['apply', 'ens/mensemble.yaml', '--yes'], top).code, 0);
  const file = path.join(dir, 'mensemble.yaml');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('dialect: mensemble\n', ''));
  const r = cli(['plan', 'ens/mensemble.yaml'], top);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /mensemble\.yaml:1: this configuration was applied with its relative paths starting from its own folder, .*ens, but it declares no `dialect`.*Write `dialect: mensemble` at the top of the file to keep them where they are/);
  // From its own folder both rules agree: nothing to refuse, nothing to do.
  assert.match(cli(['plan', 'mensemble.yaml'], dir).stdout, /No changes\. 2 runs up to date/);
  // Declaring the model-ensembler dialect means the new place.
  fs.writeFileSync(file, `dialect: model-ensembler\n${fs.readFileSync(file, 'utf8')}`);
  // Declaring the model-ensembler dialect means the new place: no refusal of the move; there, ../tpl is not found.
  const moved = cli(['plan', 'ens/mensemble.yaml'], top);
  assert.doesNotMatch(moved.stderr, /was applied with its relative paths/);
  assert.match(moved.stderr, /the template folder tpl does not exist\. Relative paths start from the folder mensemble was run from, .*, as model-ensembler's do\. Run mensemble from the folder they were written for\.\n/);
});

// model-ensembler's own examples, run unmodified through mensemble on the
// local backend, as model-ensembler's users run them (test/model-ensembler/
// examples.ts; their SLURM twins are in test/slurm.test.ts).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, writeTree } from './helpers.js';
import { SHARED, UPSTREAM, expectedSanityTree, mensembleOwn, repository, tree } from './model-ensembler/examples.js';

test("model-ensembler's sanity check, run from its repository root like model_ensemble_check, leaves the tree model-ensembler leaves", { timeout: 120_000 }, () => {
  const { root, env } = repository();
  const plan = cli(['plan', 'examples/sanity-check.yml'], root, env);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /Base folders \(relative paths from the working directory .*, as model-ensembler\):\n {2}sanity_check {2}sanity_check\n/);
  const r = cli(['apply', 'examples/sanity-check.yml', '--yes', '--check-interval', '0.2'], root, env);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /Apply complete: 6 completed, 0 failed\./);
  assert.deepEqual(tree(root, (rel) => rel === 'examples' || mensembleOwn(rel)), expectedSanityTree());
  // The rendered files are model-ensembler's: `length: 14` printed as Python prints it, run.dir absolute.
  const job = fs.readFileSync(path.join(root, 'sanity_check', 'sanity_check-2', 'slurm_run.sh'), 'utf8');
  assert.match(job, /#SBATCH --time=14\n#SBATCH --job-name=sanity_check3\n#SBATCH --nodes=1\n#SBATCH --ntasks-per-node 8\n/);
  assert.match(job, new RegExp(`\ncd ${path.join(root, 'sanity_check', 'sanity_check-2').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\n`));
  assert.match(job, /echo "Initiating from sanity-check\.yml"\n/);
  assert.equal(fs.readFileSync(path.join(root, 'sanity_check', 'sanity_check-5', 'inputfile'), 'utf8'), 'This is 6');
  assert.equal(fs.statSync(path.join(root, 'sanity_check', 'sanity_check-0', 'pre_run.sh')).mode & 0o111, fs.statSync(path.join(SHARED, 'examples', 'template_job', 'pre_run.sh.j2')).mode & 0o111, 'the rendered file keeps the template\'s mode');
  assert.match(cli(['plan', 'examples/sanity-check.yml'], root, env).stdout, /No changes\. 6 runs up to date/);
});

test("model-ensembler's test.yaml from its own folder: pre_batch waits in the basedir, the `pre_run.keep` command fails tst1's runs, tst2 completes, post_process runs", { timeout: 120_000 }, () => {
  const { root, env } = repository();
  const examples = path.join(root, 'examples');
  // Its pre_batch checks wait for `batch.ready` in each basedir, as model-ensembler's do.
  writeTree(examples, { 'tst1/batch.ready': '', 'tst2/batch.ready': '' });
  const r = cli(['apply', 'test.yaml', '--yes', '--check-interval', '0.2'], examples, env);
  assert.equal(r.code, 3, 'four runs failed');
  assert.match(r.stdout, /Apply complete: 4 completed, 4 failed\./);
  for (let i = 0; i < 4; i++) {
    assert.equal(fs.existsSync(path.join(examples, 'tst1', `tst1-${i}`, 'pre_run.keep')), false);
    assert.ok(fs.existsSync(path.join(examples, 'tst2', `tst2-${i}`, 'post_run.keep')));
    assert.equal(fs.readFileSync(path.join(examples, 'tst2', `tst2-${i}`, 'inputfile'), 'utf8'), `This is ${i + 5}`);
  }
  assert.match(r.stdout + r.stderr, /pre_run\.keep/);
  for (const batch of ['tst1', 'tst2']) {
    assert.ok(fs.existsSync(path.join(examples, batch, 'pre_batch.keep')), `${batch}: pre_batch ran in the basedir`);
    assert.ok(fs.existsSync(path.join(examples, batch, 'post_batch.keep')), `${batch}: post_batch ran in the basedir`);
    assert.equal(fs.existsSync(path.join(examples, batch, 'datadir')), false, `${batch}: post_batch removed datadir`);
  }
  assert.ok(fs.existsSync(path.join(examples, 'process.keep')), 'pre_process ran in the folder mensemble was started from');
  assert.equal(fs.existsSync(path.join(examples, 'process.touch')), false, 'post_process ran there too');
});

test("model-ensembler's test-single.yaml and test-seqbatch.yaml from their folder: base folders named in the plan, every run completes", { timeout: 120_000 }, () => {
  for (const [file, runs] of [['test-single.yaml', 1], ['test-seqbatch.yaml', 6]] as const) {
    const { root, env } = repository();
    const examples = path.join(root, 'examples');
    const r = cli(['plan', file, '--json'], examples);
    assert.equal(r.code, 0, r.stderr);
    const plan = JSON.parse(r.stdout);
    assert.equal(plan.summary.create, plan.runs.length);
    assert.ok(plan.runs.length >= runs, `${file}: ${plan.runs.length} runs`);
    assert.equal(plan.pathsFrom.rule, 'working-directory');
    for (const b of plan.batches) {
      assert.ok(path.isAbsolute(b.basedir) && b.basedir.startsWith(examples), `${file}: ${b.basedir}`);
      writeTree(b.basedir, { 'batch.ready': '' });
    }
    const applied = cli(['apply', file, '--yes', '--check-interval', '0.2'], examples, env);
    assert.equal(applied.code, 0, applied.stderr + applied.stdout);
    assert.match(applied.stdout, new RegExp(`Apply complete: ${plan.runs.length} completed, 0 failed\\.`));
    for (const run of plan.runs) assert.ok(fs.existsSync(path.join(run.dir, 'post_run.keep')), `${file}: ${run.id}`);
    assert.ok(fs.existsSync(path.join(examples, 'process.keep')) && !fs.existsSync(path.join(examples, 'process.touch')), `${file}: pre_process and post_process`);
  }
});

test("model-ensembler's invalid_yamls are refused with file and line, and write nothing", () => {
  const { root } = repository();
  const examples = path.join(root, 'examples');
  const before = tree(root, () => false);
  for (const file of fs.readdirSync(path.join(examples, 'invalid_yamls'))) {
    for (const command of ['validate', 'plan', 'apply']) {
      const r = cli([command, `invalid_yamls/${file}`, ...(command === 'apply' ? ['--yes'] : [])], examples);
      assert.equal(r.code, 1, `${command} ${file}: ${r.stdout}`);
      assert.match(r.stderr, new RegExp(`invalid_yamls/${file.replace('.', '\\.')}:\\d+:\\d+: `), `${command} ${file}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  }
  assert.deepEqual(tree(root, () => false), before);
});

test("the copy of model-ensembler's examples and code in test/fixtures is still the shared one, unmodified", { skip: fs.existsSync(UPSTREAM) ? false : `no shared copy at ${UPSTREAM} to compare with` }, () => {
  for (const part of ['examples', 'expected', 'src']) {
    // Python's byte-code caches are not part of the copy.
    const notCache = (rel: string) => rel.endsWith('__pycache__');
    const mine = tree(path.join(SHARED, part), notCache);
    assert.deepEqual(mine, tree(path.join(UPSTREAM, part), notCache), part);
    for (const rel of mine.filter((r) => fs.statSync(path.join(SHARED, part, r)).isFile())) {
      assert.equal(fs.readFileSync(path.join(SHARED, part, rel), 'utf8'), fs.readFileSync(path.join(UPSTREAM, part, rel), 'utf8'), `${part}/${rel}`);
    }
  }
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, cli, tempDir } from './helpers.js';

function copyExample(name: string): string {
  const dir = path.join(tempDir(), name);
  fs.cpSync(path.join(ROOT, 'examples', name), dir, { recursive: true, filter: (src) => !/\/(runs|archive|tst1|tst2|\.mensemble)(\/|$)/.test(src.slice(ROOT.length)) });
  return dir;
}

test('examples/quickstart applies locally and converges', () => {
  const dir = copyExample('quickstart');
  const r = cli(['apply', 'mensemble.yaml', '--yes'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Apply complete: 6 completed, 0 failed\./);
  assert.match(fs.readFileSync(path.join(dir, 'runs/co2-560-s1/result.txt'), 'utf8'), /^co2 = 560\nseed = 1\nwarming = 3\.010\n$/);
  assert.match(fs.readFileSync(path.join(dir, 'runs/co2-560-s1/model.nml'), 'utf8'), /sensitivity = 3\.0\n/);
  assert.match(cli(['plan', 'mensemble.yaml'], dir).stdout, /No changes\. 6 runs up to date/);
});

test('examples/model-ensembler runs unmodified, with Jinja2 output and every task kind', () => {
  const dir = copyExample('model-ensembler');
  const r = cli(['apply', 'ensemble.yml', '--yes', '--check-interval', '0.2'], dir);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.equal(
    fs.readFileSync(path.join(dir, 'tst1/tst1-0/inputfile'), 'utf8'),
    'configuration = test.yaml\ncustom_id = 001\ndt = 1.0\ntolerance = 1e-05\nflag = False\nname = TST1',
  );
  assert.equal(fs.readFileSync(path.join(dir, 'tst2/tst2-0/inputfile'), 'utf8').split('\n')[4], 'flag = True');
  assert.match(fs.readFileSync(path.join(dir, 'tst1/tst1-1/job.sh'), 'utf8'), /#SBATCH --job-name=tst1-1\n#SBATCH --nodes=1\n/);
  assert.equal(fs.existsSync(path.join(dir, 'tst1/tst1-0/scratch')), false, 'remove task ran');
  assert.deepEqual(fs.readdirSync(path.join(dir, 'archive/tst1-0')).sort(), ['inputfile', 'output.txt', 'prepared.txt'], 'move task copied the included files');
  assert.equal(fs.readFileSync(path.join(dir, 'archive/index.txt'), 'utf8'), 'index.txt\ntst1-0\ntst1-1\ntst2-0\n', 'post_process ran after every batch');
  // post_batch runs in each batch's basedir, as model-ensembler runs it.
  for (const batch of ['tst1', 'tst2']) assert.ok(fs.existsSync(path.join(dir, batch, 'batch_done.txt')), `post_batch ran in ${batch}`);
  assert.equal(fs.existsSync(path.join(dir, 'batch_done.txt')), false, 'not in the configuration\'s folder');
  assert.match(cli(['plan', 'ensemble.yml'], dir).stdout, /No changes\. 3 runs up to date/);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, listTree, tempDir, writeTree } from './helpers.js';

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

interface BadCase {
  name: string;
  config: string;
  /** Regular expression the error must match (it includes file:line). */
  expect: RegExp;
  files?: Record<string, string>;
}

const cases: BadCase[] = [
  {
    name: 'YAML syntax error',
    config: 'ensemble:\n  batches:\n    - name: b\n      templates: [job.sh.j2\n',
    expect: /mensemble\.yaml:\d+:\d+: YAML syntax error/,
  },
  { name: 'unknown top-level key', config: `ensembel:\n  batches: []\n`, expect: /mensemble\.yaml:1:1: ensembel: unknown key `ensembel`\. Did you mean `ensemble`\?/ },
  {
    name: 'misspelt batch key',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      maxjob: 3\n`,
    expect: /mensemble\.yaml:12:7: ensemble\.batches\[0\]\.maxjob: unknown key `maxjob`\. Did you mean `maxjobs`\?/,
  },
  {
    name: 'wrong type for maxjobs',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('maxjobs: 1', 'maxjobs: two')}`,
    expect: /mensemble\.yaml:9:16: ensemble\.batches\[0\]\.maxjobs: expected an integer, found the string "two"/,
  },
  {
    name: 'maxruns below 1',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('maxruns: 2', 'maxruns: 0')}`,
    expect: /mensemble\.yaml:8:16: ensemble\.batches\[0\]\.maxruns: must be at least 1/,
  },
  { name: 'missing batches', config: 'ensemble:\n  vars: {a: 1}\n', expect: /mensemble\.yaml:2:3: ensemble: missing required key `batches`/ },
  {
    name: 'missing required key after batch_config merge',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('      maxjobs: 1\n', '')}`,
    expect: /mensemble\.yaml:3:7: ensemble\.batches\[0\] \(batch `b`\): missing required key `maxjobs`/,
  },
  {
    name: 'name in batch_config',
    config: `ensemble:\n  batch_config:\n    name: x\n  batches:\n${GOOD_BATCH}`,
    expect: /mensemble\.yaml:3:5: ensemble\.batch_config\.name: `name` is not allowed in batch_config/,
  },
  {
    name: 'unknown task name',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      pre_run:\n        - name: exeute\n          args: {cmd: "true"}\n`,
    expect: /mensemble\.yaml:13:17: ensemble\.batches\[0\]\.pre_run\[0\]\.name: expected one of .*Did you mean `execute`\?/,
  },
  {
    name: 'misspelt task argument',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      pre_run:\n        - name: check\n          args: {cmd: "true", fial: true}\n`,
    expect: /mensemble\.yaml:14:31: ensemble\.batches\[0\]\.pre_run\[0\]\.args\.fial: unknown key `fial`\. Did you mean `fail`\?/,
  },
  {
    name: 'duplicate run ids',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('        - {a: 1}\n', '        - {a: 1}\n        - {a: 1}\n')}      run_id: "x{{ a }}"\n`,
    expect: /mensemble\.yaml:12:11: ensemble\.batches\[0\]\.runs\[1\] \(batch `b`\): the run id `x1` is also the id of ensemble\.batches\[0\]\.runs\[0\]/,
  },
  {
    name: 'run id escaping the basedir',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('{a: 1}', '{a: "../../etc"}')}      run_id: "{{ a }}"\n`,
    expect: /mensemble\.yaml:11:11: .*the run id "\.\.\/\.\.\/etc" is not safe as a directory name/,
  },
  {
    name: 'basedir escaping the ensemble folder',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('./runs', '../../elsewhere')}`,
    expect: /mensemble\.yaml:4:16: ensemble\.batches\[0\]\.basedir: basedir `\.\.\/\.\.\/elsewhere` resolves to .*outside the ensemble's folder/,
  },
  {
    name: 'template missing from templatedir',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('[job.sh.j2]', '[job.sh.j2, nope.j2]')}`,
    expect: /mensemble\.yaml:3:7: ensemble\.batches\[0\]\.templates: `nope\.j2` not found/,
  },
  {
    name: 'template using an undefined variable',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}`,
    files: { 'tpl/job.sh.j2': '#!/bin/sh\necho {{ run.a }}\necho {{ run.nosuch }}\n' },
    expect: /tpl\/job\.sh\.j2:3:6: `run\.nosuch` is undefined/,
  },
  {
    name: 'job_file that is not rendered or copied',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('job_file: job.sh', 'job_file: run.sh')}`,
    expect: /ensemble\.batches\[0\]\.job_file: `run\.sh` is neither a rendered template nor a file/,
  },
  {
    name: 'matrix with an empty list',
    config: `ensemble:\n  batches:\n${GOOD_BATCH.replace('      runs:\n        - {a: 1}\n', '      matrix:\n        a: []\n')}`,
    expect: /mensemble\.yaml:11:12: ensemble\.batches\[0\]\.matrix\.a: must have at least 1 item/,
  },
  {
    name: 'duplicate keys',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      maxruns: 3\n`,
    expect: /mensemble\.yaml:12:7: YAML syntax error: Map keys must be unique/,
  },
  {
    name: 'alias bomb',
    config: `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n`,
    expect: /mensemble\.yaml: .*(alias|resource exhaustion)/i,
  },
  {
    name: 'retry with zero attempts',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      retry: {max_attempts: 0}\n`,
    expect: /mensemble\.yaml:12:29: ensemble\.batches\[0\]\.retry\.max_attempts: must be at least 1/,
  },
  {
    name: 'sbatch option that mensemble sets itself',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      slurm:\n        partition: debug\n        chdir: /elsewhere\n`,
    expect: /mensemble\.yaml:14:9: ensemble\.batches\[0\]\.slurm\.chdir: `chdir` is set by mensemble itself/,
  },
  {
    name: 'sbatch option name that is not one',
    config: `ensemble:\n  batches:\n${GOOD_BATCH}      slurm:\n        Cpus_Per_Task: 2\n`,
    expect: /mensemble\.yaml:13:9: ensemble\.batches\[0\]\.slurm: `Cpus_Per_Task` is not an sbatch option name/,
  },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, () => {
    const dir = tempDir();
    writeTree(dir, { 'mensemble.yaml': c.config, 'tpl/job.sh.j2': '#!/bin/sh\necho {{ run.a }}\n', ...(c.files ?? {}) });
    const before = listTree(dir);
    const started = Date.now();
    const r = cli(['apply', '--yes'], dir);
    assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
    assert.match(r.stderr, c.expect);
    assert.doesNotMatch(r.stderr, /internal error|    at /, 'no stack trace');
    assert.deepEqual(listTree(dir), before, 'nothing written');
    assert.ok(Date.now() - started < 10_000);
    const v = cli(['validate'], dir);
    assert.equal(v.code, 1);
    assert.match(v.stderr, c.expect);
  });
}

test('non-UTF-8 configuration is refused with its line', () => {
  const dir = tempDir();
  writeTree(dir, { 'tpl/job.sh.j2': 'x' });
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), Buffer.concat([Buffer.from('ensemble:\n  vars:\n    a: "'), Buffer.from([0xff, 0xfe]), Buffer.from('"\n')]));
  const r = cli(['plan'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /mensemble\.yaml:3: the configuration is not valid UTF-8 \(invalid byte 0xff/);
});

test('unknown command and unknown option get a suggestion, not a stack', () => {
  const dir = tempDir();
  const r = cli(['aply'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Unknown command `aply`\. Did you mean `apply`\?/);
  const o = cli(['plan', '--nope'], dir);
  assert.equal(o.code, 1);
  assert.match(o.stderr, /Unknown option `--nope`/);
  const y = cli(['apply', '--yse'], dir);
  assert.match(y.stderr, /^mensemble: Unknown option `--yse`\. Did you mean `--yes`\?/);
});

test('every command\'s --help shows examples', () => {
  const dir = tempDir();
  for (const command of ['init', 'plan', 'apply', 'watch', 'status', 'logs', 'report', 'cancel', 'validate', 'schema']) {
    const r = cli([command, '--help'], dir);
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`Examples:\\n\\s*mensemble ${command}`), `${command} --help`);
  }
});

test('a bad .mensemblerc names file, line and setting', () => {
  const dir = tempDir();
  writeTree(dir, { 'mensemble.yaml': `ensemble:\n  batches:\n${GOOD_BATCH}`, 'tpl/job.sh.j2': 'x', '.mensemblerc': 'backend: local\npoll_intervall: 2\n' });
  const r = cli(['plan'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /\.mensemblerc:2:1: unknown setting `poll_intervall`\. Did you mean `poll_interval`\?/);
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

// model-ensembler's own code is the specification of what a template sees.
// Generated configurations (seeded) are run by model-ensembler itself
// (test/fixtures/model-ensembler/src, its dummy backend, Debian's Python)
// and by `mensemble apply`, and every rendered file must be byte-identical:
// `run`'s fields in model-ensembler's order (ensemble vars, the batch's
// fields with `repeat`, the run's keys, idx, id, dir, batch_idx, -x
// variables), the keys its shared dict carries from earlier runs and
// batches, and no top-level name but `run`. MENSEMBLE_ME_SEED and
// MENSEMBLE_ME_CASES run other cases by hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cli, tempDir, writeTree } from './helpers.js';
import { SHARED } from './model-ensembler/examples.js';
import { Random } from './random.js';
import { needPackages } from './system-packages.js';

const skip = needPackages('model-ensembler', "rendering beside model-ensembler's own code");
const SEED = Number(process.env.MENSEMBLE_ME_SEED ?? 20261207);
const CASES = Number(process.env.MENSEMBLE_ME_CASES ?? 4);

/** Prints every field but `dir` (an absolute path, different in the two folders) with its position, and asks what model-ensembler users ask. */
const TEMPLATE = `{{ run | length }} {{ run._fields | length }}
{% for k in run._fields %}{% if k != 'dir' %}{{ loop.index0 }} {{ k }}={{ run[loop.index0] }}
{% endif %}{% endfor %}repeat={{ run.repeat }} nodes={{ run.nodes is defined }} years={{ years is defined }} scenario={{ scenario | default('x') }} run={{ run is defined }}
{{ run.index(run.id) }} {{ run.count(1) }} {{ (run | list)[-1] }}
`;

interface Case {
  yaml: string;
  extra: string[];
}

const VALUES = ['1', '2.5', 'spinup', '[1, 2]', '2000-01-01', 'true', '"10"', '{a: 1}'];
const KEYS = ['years', 'g', 'x', 'y', 'z', 'scenario', 'nodes', 'name', 'idx', 'length'];

function generate(random: Random): Case {
  const value = () => random.pick(VALUES);
  const keys = (most: number) => {
    const out = new Set<string>();
    for (let i = random.int(most + 1); i > 0; i--) out.add(random.pick(KEYS));
    return [...out];
  };
  const lines = ['ensemble:', '  vars:'];
  for (const k of keys(3)) lines.push(`    ${k}: ${value()}`);
  if (lines.length === 2) lines[1] = '  vars: {}';
  lines.push('  pre_process: []', '  post_process: []', '  batch_config:', '    templatedir: ../tmpl', '    templates: [out.j2]', '    job_file: job.sh', '    maxruns: 2', '    maxjobs: 2');
  if (random.int(3) === 0) lines.push(`    repeat: false`);
  if (random.int(3) === 0) lines.push(`    email: someone@example.org`);
  lines.push('  batches:');
  const batches = 1 + random.int(3);
  for (let b = 0; b < batches; b++) {
    lines.push(`    - name: b${b}`, `      basedir: ./b${b}`);
    if (random.int(3) === 0) lines.push('      nodes: 2');
    if (random.int(4) === 0) lines.push("      length: '01:00:00'");
    if (random.int(4) === 0) lines.push('      cluster: short');
    lines.push('      runs:');
    const runs = 1 + random.int(3);
    for (let r = 0; r < runs; r++) {
      const own = keys(3).filter((k) => k !== 'name' || random.int(2) === 0);
      lines.push(own.length === 0 ? '        - {}' : `        - {${own.map((k) => `${k}: ${value()}`).join(', ')}}`);
    }
  }
  const extra = random.int(3) === 0 ? [`${random.pick(KEYS)}=from-x`] : [];
  return { yaml: `${lines.join('\n')}\n`, extra };
}

function caseFolder(c: Case): string {
  const dir = tempDir('mensemble-me-run-');
  writeTree(dir, { 'c.yml': c.yaml, 'tmpl/out.j2': TEMPLATE, 'tmpl/job.sh*': '#!/bin/sh\ntrue\n' });
  return dir;
}

/** The rendered files of every run folder: `<basedir>/<id>/out` -> text. */
function rendered(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const base of fs.readdirSync(dir).filter((d) => /^b\d$/.test(d)).sort()) {
    for (const run of fs.readdirSync(path.join(dir, base)).filter((d) => !d.startsWith('.')).sort()) {
      out.set(`${base}/${run}`, fs.readFileSync(path.join(dir, base, run, 'out'), 'utf8'));
    }
  }
  return out;
}

function modelEnsembler(dir: string, extra: string[]): void {
  // Short timeouts: its dummy backend polls every `-rt` seconds.
  const args = ['-c', 'from model_ensembler.cli import main; main()', 'c.yml', 'dummy', '-rt', '1', '-st', '1', '-ct', '1', '-et', '1', ...(extra.length ? ['-x', ...extra] : [])];
  const r = spawnSync('/usr/bin/python3', args, { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: path.join(SHARED, 'src'), PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(r.status, 0, `model-ensembler failed in ${dir}:\n${r.stdout}\n${r.stderr}`.slice(-3000));
}

function compare(c: Case, label: string): void {
  const theirs = caseFolder(c);
  modelEnsembler(theirs, c.extra);
  const ours = caseFolder(c);
  const r = cli(['apply', 'c.yml', '--yes', ...c.extra.flatMap((x) => ['-x', x])], ours);
  assert.equal(r.code, 0, `${label}: mensemble apply failed:\n${r.stdout}${r.stderr}`);
  const expected = rendered(theirs);
  assert.ok(expected.size > 0, `${label}: model-ensembler rendered nothing`);
  assert.deepEqual(rendered(ours), expected, `${label}, configuration:\n${c.yaml}-x ${c.extra.join(' ')}`);
}

test("templates see `run` exactly as model-ensembler's own code builds it: two batches, keys carried from earlier runs and batches, nothing at top level", { skip, timeout: 60_000 }, () => {
  // The case that showed it: x and years of b0's first run stay in its second run and in b1, after `y`; b1's `nodes` comes after them.
  compare(
    {
      yaml: `ensemble:
  vars: {years: 10, g: 1}
  pre_process: []
  post_process: []
  batch_config: {templatedir: ../tmpl, templates: [out.j2], job_file: job.sh, maxruns: 2, maxjobs: 2}
  batches:
    - name: b0
      basedir: ./b0
      runs:
        - {x: 1, years: 20}
        - {y: 2}
    - name: b1
      basedir: ./b1
      nodes: 2
      runs:
        - {z: 3}
`,
      extra: ['g=from-x'],
    },
    'hand-written case',
  );
  // Found by the generator (seed 777): a batch that sets no `nodes` keeps the `nodes` an earlier run wrote, not the ensemble var.
  compare(
    {
      yaml: `ensemble:
  vars: {nodes: 2000-01-01}
  pre_process: []
  post_process: []
  batch_config: {templatedir: ../tmpl, templates: [out.j2], job_file: job.sh, maxruns: 2, maxjobs: 2}
  batches:
    - {name: b0, basedir: ./b0, nodes: 2, runs: [{nodes: spinup}]}
    - {name: b1, basedir: ./b1, runs: [{}]}
`,
      extra: [],
    },
    'an ensemble var under a batch field of the same name',
  );
});

test(`generated configurations render as model-ensembler renders them (seed ${SEED}, ${CASES} cases)`, { skip, timeout: 60_000 + CASES * 30_000 }, () => {
  const random = new Random(SEED);
  for (let i = 0; i < CASES; i++) compare(generate(random), `case ${i} of seed ${SEED}`);
});

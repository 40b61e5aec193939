// The oracle is real Jinja2: every case of test/jinja2/corpus/ is rendered by
// Debian's python3-jinja2 exactly as model-ensembler renders (PyYAML's full
// loader, the merged `run` namedtuple, jinja2.Template(text).render(run=run))
// and by mensemble, and the outputs must be byte-identical. A case marked `!`
// is one mensemble must refuse (an undefined value, a construct it does not
// reproduce); a refusal anywhere else, or output where a refusal was promised,
// fails too, so the marks stay true.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { parseYamlText, toFieldsValue } from '../src/config/source.js';
import { createEnvironment, renderFile } from '../src/render/jinja/environment.js';
import { ROOT, cli, tempDir, writeTree } from './helpers.js';
import { needPackages } from './system-packages.js';

interface Case {
  where: string;
  vars: string;
  template: string;
  refuse: boolean;
  /** Other templates of the folder, for include and import (`@@@ name` blocks). */
  files: Record<string, string>;
}

const CORPUS = path.join(ROOT, 'test', 'jinja2', 'corpus');

/**
 * A corpus file: `%%% vars` starts a YAML block of run fields for the cases
 * after it; `>>> template` is a one-line case (no final newline; `⏎` stands
 * for CRLF); `### name` starts a multi-line case running to the next marker.
 * `>>>!` and `###!` mark cases mensemble must refuse. `@@@ name` starts a
 * template file that the cases after it may include or import.
 */
function readCorpus(file: string): Case[] {
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  const cases: Case[] = [];
  let vars = '';
  const files: Record<string, string> = {};
  let block: { kind: 'vars' | 'case' | 'file'; start: number; refuse: boolean; body: string[]; name?: string } | undefined;
  const rel = path.relative(ROOT, file);
  const close = () => {
    if (!block) return;
    if (block.kind === 'vars') vars = block.body.join('\n');
    else if (block.kind === 'file') files[block.name!] = `${block.body.join('\n')}\n`.replace(/\n{2,}$/, '\n');
    else cases.push({ where: `${rel}:${block.start}`, vars, template: `${block.body.join('\n')}\n`, refuse: block.refuse, files: { ...files } });
    block = undefined;
  };
  lines.forEach((line, i) => {
    const m = /^(%%%|>>>|###|@@@)(!?)(?: (.*))?$/.exec(line);
    if (!m) {
      block?.body.push(line);
      return;
    }
    close();
    if (m[1] === '%%%') block = { kind: 'vars', start: i + 1, refuse: false, body: [] };
    else if (m[1] === '@@@') block = { kind: 'file', start: i + 1, refuse: false, body: [], name: m[3] };
    else if (m[1] === '###') block = { kind: 'case', start: i + 1, refuse: m[2] === '!', body: [] };
    else cases.push({ where: `${rel}:${i + 1}`, vars, template: (m[3] ?? '').replace(/⏎/g, '\r\n'), refuse: m[2] === '!', files: { ...files } });
  });
  close();
  // Trailing blank lines of a multi-line case are the file's layout, not the template's.
  for (const c of cases) c.template = c.template.replace(/\n{2,}$/, '\n');
  return cases;
}

function allCases(): Case[] {
  return fs
    .readdirSync(CORPUS)
    .filter((f) => f.endsWith('.cases'))
    .sort()
    .flatMap((f) => readCorpus(path.join(CORPUS, f)));
}

type Result = { ok: true; out: string } | { ok: false; error: string };

function renderWithJinja2(cases: Case[]): Result[] {
  const r = spawnSync('/usr/bin/python3', [path.join(ROOT, 'test', 'jinja2', 'oracle.py')], {
    input: JSON.stringify(cases.map((c) => ({ vars: c.vars, template: c.template, files: c.files }))),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`the Jinja2 oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function renderWithMensemble(cases: Case[]): Result[] {
  const shared = tempDir('mensemble-jinja2-');
  const sharedEnv = createEnvironment(shared);
  return cases.map((c, i) => {
    const name = `case-${i}.j2`;
    // A case with other templates gets a template folder of its own.
    const dir = Object.keys(c.files).length ? tempDir('mensemble-jinja2-') : shared;
    for (const [file, content] of Object.entries(c.files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    const env = dir === shared ? sharedEnv : createEnvironment(dir);
    fs.writeFileSync(path.join(dir, name), c.template);
    try {
      const vars = (toFieldsValue(parseYamlText('vars.yaml', c.vars || '{}')) ?? {}) as Record<string, unknown>;
      return { ok: true, out: renderFile(env, name, { ...vars, run: vars }) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
  });
}

const skip = needPackages('jinja2', 'the differential Jinja2 test');

test('every corpus template renders byte for byte as real Jinja2 renders it, or is refused where marked', { skip }, (t) => {
  const cases = allCases();
  assert.ok(cases.length >= 100, `the corpus has ${cases.length} cases`);
  const jinja = renderWithJinja2(cases);
  const ours = renderWithMensemble(cases);
  const failures: string[] = [];
  let identical = 0;
  let refused = 0;
  cases.forEach((c, i) => {
    const j = jinja[i]!;
    const m = ours[i]!;
    const show = (r: Result) => (r.ok ? JSON.stringify(r.out) : `error: ${r.error}`);
    if (c.refuse) {
      if (m.ok) failures.push(`${c.where}: marked as refused, but mensemble rendered ${show(m)} (Jinja2: ${show(j)})`);
      else refused++;
      return;
    }
    if (j.ok && m.ok && j.out === m.out) identical++;
    else if (!j.ok && !m.ok) identical++;
    else failures.push(`${c.where}: ${JSON.stringify(c.template)}\n    Jinja2:    ${show(j)}\n    mensemble: ${show(m)}`);
  });
  t.diagnostic(`${cases.length} cases: ${identical} as Jinja2, ${refused} refused as marked, ${failures.length} failing`);
  assert.equal(failures.length, 0, `${failures.length} of ${cases.length} cases differ from Jinja2:\n${failures.join('\n')}`);
});

test('a configuration read by apply gives templates what PyYAML gives them: integer keys, written key order, dates, big integers', () => {
  const dir = tempDir();
  writeTree(dir, {
    'mensemble.yaml': `ensemble:
  vars:
    levels: {10: deep, 2: middle, "9": nine}
    start: 1990-01-01
    big: 123456789012345678901234567890
  batches:
    - name: b
      basedir: ./runs
      templatedir: ../tpl
      templates: [out.txt.j2, job.sh.j2]
      job_file: job.sh
      maxruns: 1
      maxjobs: 1
      runs:
        - {n: 1}
`,
    'tpl/job.sh.j2*': '#!/bin/sh\ntrue\n',
    'tpl/out.txt.j2': '{{ run.levels }} {{ run.levels[10] }} {{ run.start.year }} {{ run.big + 1 }}\n',
  });
  const r = cli(['apply', '--yes'], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'b-0', 'out.txt'), 'utf8'), "{10: 'deep', 2: 'middle', '9': 'nine'} deep 1990 123456789012345678901234567891");
});

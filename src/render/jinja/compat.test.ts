import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { parseYamlText, toValue } from '../../config/source.js';
import { compileInline, createEnvironment, renderFile } from './environment.js';

const vars = toValue(parseYamlText('t.yaml', 'dt: 1.0\ntol: 1.0e-5\nflag: true\nx: null\na: alpha\nb: 12\nl: [1, 2.5, "s"]\nd: {k: 1, j: 2}\n')) as Record<string, unknown>;
const env = createEnvironment(os.tmpdir());
const render = (text: string) => compileInline(env, text, 'inline')({ ...vars, run: vars });

test('templates print values as Jinja2 does (the model-ensembler table)', () => {
  const cases: [string, string][] = [
    ['{{ run.dt }}', '1.0'],
    ['{{ run.tol }}', '1e-05'],
    ['{{ run.flag }}', 'True'],
    ['{{ run.x }}', 'None'],
    ['{{ "%s-%03d" | format(run.a, run.b) }}', 'alpha-012'],
    ['{{ run.l | tojson }}', '[1, 2.5, "s"]'],
    ['{{ run.d | tojson }}', '{"j": 2, "k": 1}'],
    ['{{ [3, 1, 2] | min }}/{{ [3, 1, 2] | max }}', '1/3'],
    ['{{ run.l | map("string") | join(",") }}', '1,2.5,s'],
    ['{{ run.a.upper() }}', 'ALPHA'],
    ['{{ run.d.get("k") }}', '1'],
    ['{% for k, v in run.d.items() %}{{ k }}={{ v }};{% endfor %}', 'k=1;j=2;'],
    ['{{ "{:03d}".format(run.b) }}', '012'],
    ['{{ "{:.2f}|{:>5}|{}".format(run.dt, "ab", run.tol) }}', '1.00|   ab|1e-05'],
    ['{{ "%.3e" | format(run.tol) }}', '1.000e-05'],
    ['{{ run.l }}', "[1, 2.5, 's']"],
    ['{{ "a b  c".split() }}', "['a', 'b', 'c']"],
    ['{{ "a.b.c".replace(".", "/") }}', 'a/b/c'],
    ['{{ run.dt | float }}|{{ 2.4 | round }}', '1.0|2.0'],
    ['{{ range(0, 6, 2) | join(" ") }}', '0 2 4'],
  ];
  for (const [template, expected] of cases) assert.equal(render(template), expected, template);
});

test('an undefined variable fails with template, line and the expression', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-tpl-'));
  fs.writeFileSync(path.join(dir, 'in.j2'), 'a = 1\nb = {{ run.missing }}\n');
  assert.throws(() => renderFile(createEnvironment(dir), 'in.j2', { run: {} }), /in\.j2:2:8: `run\.missing` is undefined/);
});

test('one trailing newline is dropped, as Jinja2 does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-tpl-'));
  fs.writeFileSync(path.join(dir, 'in.j2'), 'x = {{ v }}\n\n');
  assert.equal(renderFile(createEnvironment(dir), 'in.j2', { v: 1 }), 'x = 1\n');
});

test('includes outside the template folder are refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-tpl-'));
  fs.writeFileSync(path.join(dir, 'in.j2'), '{% include "../secret" %}');
  assert.throws(() => renderFile(createEnvironment(dir), 'in.j2', {}), /outside the template folder/);
});

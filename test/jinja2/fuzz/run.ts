// The template fuzzer (issue 32): generated cases rendered by mensemble and
// by real Jinja2 + PyYAML (one long-lived Python process), compared byte for
// byte. mensemble refusing is fine; different output is a failure, shrunk
// to a small reproduction. `npm run fuzz -- --seed S --cases N`; CI runs it
// with a fixed seed (test/jinja2-fuzz.test.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseYamlText, toFieldsValue } from '../../../src/config/source.js';
import { createEnvironment, renderFile, type TemplateEnvironment } from '../../../src/render/jinja/environment.js';
import { Random } from '../../random.js';
import { generate, varsText, type Case } from './grammar.js';
import { shrink } from './shrink.js';

export type Rendered = { ok: true; out: string } | { ok: false; error: string };
export type Verdict = 'identical' | 'refused' | 'different';

const SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'oracle-server.py');

/** Real Jinja2, one process for every case; answers in the order asked. */
export class Jinja2Oracle {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: Array<(r: Rendered) => void> = [];

  constructor() {
    this.child = spawn('/usr/bin/python3', [SERVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr.on('data', (d) => (stderr += d));
    this.child.on('exit', (code) => {
      for (const w of this.waiting.splice(0)) w({ ok: false, error: `the Jinja2 oracle exited (${code}): ${stderr}` });
    });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as Rendered));
  }

  render(vars: string, template: string): Promise<Rendered> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${JSON.stringify({ vars, template })}\n`);
    });
  }

  close(): void {
    this.child.stdin.end();
  }
}

/** mensemble, as apply renders a template file of a run (the run's fields as `run`). */
export class MensembleRenderer {
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-fuzz-'));
  private readonly env: TemplateEnvironment = createEnvironment(this.dir);
  private count = 0;

  render(vars: string, template: string): Rendered {
    const name = `case-${this.count++}.j2`;
    fs.writeFileSync(path.join(this.dir, name), template);
    try {
      const fields = (toFieldsValue(parseYamlText('vars.yaml', vars || '{}')) ?? {}) as Record<string, unknown>;
      return { ok: true, out: renderFile(this.env, name, { run: fields }) };
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    } finally {
      fs.rmSync(path.join(this.dir, name), { force: true });
    }
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export function verdict(ours: Rendered, theirs: Rendered): Verdict {
  if (!ours.ok) return 'refused';
  return theirs.ok && theirs.out === ours.out ? 'identical' : 'different';
}

export interface Difference {
  seed: number;
  index: number;
  vars: string;
  template: string;
  ours: Rendered;
  theirs: Rendered;
}

export interface FuzzResult {
  cases: number;
  identical: number;
  refused: number;
  /** Of the refused: where Jinja2 rendered (the rest are errors in both). */
  refusedWhereJinja2Renders: number;
  different: Difference[];
}

/** Runs `cases` cases from `seed`; each difference is shrunk before it is reported. */
export async function fuzz(seed: number, cases: number, onProgress?: (done: number) => void): Promise<FuzzResult> {
  const oracle = new Jinja2Oracle();
  const ours = new MensembleRenderer();
  const random = new Random(seed);
  const result: FuzzResult = { cases, identical: 0, refused: 0, refusedWhereJinja2Renders: 0, different: [] };
  const compare = async (c: Pick<Case, 'fields' | 'prelude' | 'body'>) => {
    const vars = varsText(c);
    const template = c.body.text();
    const m = ours.render(vars, template);
    const j = await oracle.render(vars, template);
    return { vars, template, m, j, verdict: verdict(m, j) };
  };
  try {
    for (let i = 0; i < cases; i++) {
      const c = generate(random);
      const first = await compare(c);
      if (first.verdict === 'identical') result.identical++;
      else if (first.verdict === 'refused') {
        result.refused++;
        if (first.j.ok) result.refusedWhereJinja2Renders++;
      }
      else {
        const small = await shrink(c, async (candidate) => (await compare(candidate)).verdict === 'different');
        const again = await compare(small);
        result.different.push({ seed, index: i, vars: again.vars, template: again.template, ours: again.m, theirs: again.j });
      }
      if (onProgress && (i + 1) % 500 === 0) onProgress(i + 1);
    }
  } finally {
    oracle.close();
    ours.close();
  }
  return result;
}

export function describeDifference(d: Difference): string {
  const show = (r: Rendered) => (r.ok ? JSON.stringify(r.out) : `error: ${r.error}`);
  return [`case ${d.index} of seed ${d.seed}:`, `  vars:      ${JSON.stringify(d.vars)}`, `  template:  ${JSON.stringify(d.template)}`, `  Jinja2:    ${show(d.theirs)}`, `  mensemble: ${show(d.ours)}`].join('\n');
}

export function summaryLine(r: FuzzResult): string {
  return `fuzz: ${r.cases} cases, ${r.identical} identical, ${r.refused} refused, ${r.different.length} different`;
}

// The bad-input corpus (test/fixtures/bad/): every file is refused with one
// clear error naming file and line, exit code 1, no stack trace, nothing
// written anywhere, and little work.
//
// A fixture is one of:
// - `<name>.yaml`: the configuration, beside a template folder `tpl/` with a
//   valid `job.sh.j2`;
// - `<name>/`: a whole ensemble folder (mensemble.yaml, tpl/, .mensemblerc,
//   symbolic links), given `tpl/job.sh.j2` when it has none;
// - `<name>.gen.mjs`: a module whose default export returns the files (for
//   documents too big to keep in git).
// The configuration's first line, `# expect: <regular expression>`, is what
// the error must match (for a .gen.mjs, its exported `expect`).
//
// Both commands run on every fixture in one Node process
// (test/cli-in-one-process.mjs, the program the command runs): 170 commands
// were 75 s of CPU, almost all of it starting Node and loading modules. Every
// eighth fixture also goes through the real command, which must give the same
// exit code and words.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BIN, ROOT, listTree, tempDir } from './helpers.js';

const CORPUS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'bad');
const DEFAULT_TEMPLATE = '#!/bin/sh\necho {{ run.a }}\n';
/**
 * CPU seconds (user + system) a refusal may take; wall time is left to the machine's load. A document of
 * hundreds of KB must be parsed whole before its last line can be judged, and the YAML library's parse alone
 * takes about 1 s of CPU for the 1 MB fixture here, more when the other core is busy (its two hardware threads
 * share one core): such a refusal may take the budget on top of that parse, measured beside it.
 */
const CPU_BUDGET_S = 2;
/** Documents above this size (and below the default 1 MB limit, beyond which nothing is parsed) get a floor. */
const FLOOR_FROM_BYTES = 100 * 1024;
const YAML_MODULE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'yaml', 'dist', 'index.js');

interface Fixture {
  name: string;
  expect: RegExp;
  /** Writes the ensemble into `dir`. */
  writeInto: (dir: string) => void;
}

function expectation(text: string, where: string): RegExp {
  const m = /^# expect: (.+)$/m.exec(text.split('\n')[0] ?? '');
  if (!m) throw new Error(`${where}: the first line must be \`# expect: <regular expression>\``);
  return new RegExp(m[1]!);
}

async function loadCorpus(): Promise<Fixture[]> {
  const fixtures: Fixture[] = [];
  for (const entry of fs.readdirSync(CORPUS).sort()) {
    const full = path.join(CORPUS, entry);
    const withTemplate = (dir: string) => {
      const template = path.join(dir, 'tpl', 'job.sh.j2');
      fs.mkdirSync(path.dirname(template), { recursive: true });
      if (!fs.existsSync(template) && !isLink(template)) fs.writeFileSync(template, DEFAULT_TEMPLATE, { mode: 0o755 });
    };
    if (entry.endsWith('.gen.mjs')) {
      const mod = (await import(pathToFileURL(full).href)) as { expect: RegExp; default: () => Record<string, string | Buffer> };
      fixtures.push({
        name: entry,
        expect: mod.expect,
        writeInto: (dir) => {
          for (const [rel, content] of Object.entries(mod.default())) fs.writeFileSync(path.join(dir, rel), content);
          withTemplate(dir);
        },
      });
    } else if (entry.endsWith('.yaml')) {
      const bytes = fs.readFileSync(full);
      // The expectation line is ASCII in every encoding but UTF-16, whose fixture says so in UTF-16.
      const text = bytes[0] === 0xff && bytes[1] === 0xfe ? bytes.toString('utf16le').slice(1) : bytes.toString('latin1');
      fixtures.push({
        name: entry,
        expect: expectation(text, entry),
        writeInto: (dir) => {
          fs.writeFileSync(path.join(dir, 'mensemble.yaml'), bytes);
          withTemplate(dir);
        },
      });
    } else if (fs.statSync(full).isDirectory()) {
      fixtures.push({
        name: `${entry}/`,
        expect: expectation(fs.readFileSync(path.join(full, 'mensemble.yaml'), 'utf8'), `${entry}/mensemble.yaml`),
        writeInto: (dir) => {
          fs.cpSync(full, dir, { recursive: true, verbatimSymlinks: true });
          withTemplate(dir);
        },
      });
    }
  }
  return fixtures;
}

function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Runs the mensemble command through bash, whose `times` reports the CPU the command used. */
function run(args: string[], cwd: string): Outcome {
  return timed([process.execPath, BIN, ...args], cwd);
}

interface Outcome {
  code: number | null;
  stderr: string;
  cpuSeconds: number;
}

/**
 * Runs every invocation in one Node process (test/cli-in-one-process.mjs):
 * the program the command runs, without starting Node and loading the
 * modules for each (about 0.4 s of CPU each here).
 */
function runInOneProcess(invocations: Array<{ cwd: string; args: string[] }>): Outcome[] {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'test', 'cli-in-one-process.mjs')], {
    input: JSON.stringify(invocations),
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    maxBuffer: 1 << 28,
    timeout: 300_000,
  });
  if (r.status !== 0) throw new Error(`test/cli-in-one-process.mjs exited ${r.status ?? r.signal}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Outcome[];
}

/**
 * The CPU that Node needs to start and parse `mensemble.yaml` with the YAML library as mensemble calls it, and
 * nothing else; 0 for small documents and for those over the size limit.
 */
function parseFloor(dir: string): number {
  const size = fs.statSync(path.join(dir, 'mensemble.yaml')).size;
  if (size < FLOOR_FROM_BYTES || size > 1024 * 1024) return 0;
  const script = `const { parseDocument, LineCounter } = await import(${JSON.stringify(pathToFileURL(YAML_MODULE).href)});
parseDocument((await import('node:fs')).readFileSync('mensemble.yaml', 'utf8'), { version: '1.1', merge: true, lineCounter: new LineCounter(), prettyErrors: false, uniqueKeys: true });`;
  return timed([process.execPath, '--input-type=module', '-e', script], dir).cpuSeconds;
}

function timed(command: string[], cwd: string): Outcome {
  const r = spawnSync('bash', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'bash', ...command], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
    timeout: 60_000,
  });
  const lines = r.stderr.trimEnd().split('\n');
  const children = lines.pop() ?? '';
  lines.pop(); // the shell's own times
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { code: r.status, stderr: lines.join('\n'), cpuSeconds: seconds };
}

const corpus = await loadCorpus();

test('the bad-input corpus holds at least 40 cases', () => {
  assert.ok(corpus.length >= 40, `${corpus.length} fixtures`);
});

const COMMANDS = [['apply', '--yes'], ['validate']];

/**
 * Every fixture's ensemble is written first, then one process runs both
 * commands on each. A sample (every eighth fixture) also goes through the
 * real command, which must give the same exit code and the same words.
 */
const prepared = corpus.map((fixture, index) => {
  // The ensemble sits four folders deep, so paths that climb out of it land inside `root`, where they are seen.
  const root = tempDir('mensemble-bad-');
  const dir = path.join(root, 'a', 'b', 'c', 'ensemble');
  fs.mkdirSync(dir, { recursive: true });
  fixture.writeInto(dir);
  return { fixture, root, dir, before: listTree(root), budget: CPU_BUDGET_S + parseFloor(dir), sampled: index % 8 === 0 };
});
const outcomes = runInOneProcess(prepared.flatMap((p) => COMMANDS.map((args) => ({ cwd: p.dir, args }))));

function assertRefused(r: Outcome, args: string[], expect: RegExp, budget: number, how: string): void {
  const what = `mensemble ${args.join(' ')} (${how}): ${r.stderr}`;
  assert.equal(r.code, 1, what);
  assert.match(r.stderr, expect, what);
  // File and line: `name:line` at the start of the message or of one of its problems.
  assert.match(r.stderr, /^(mensemble: |\s+)?[^\s:]+:\d+(:\d+)?: /m, `no file:line in: ${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, 'no stack trace');
  assert.ok(r.cpuSeconds < budget, `${what}\nused ${r.cpuSeconds} s of CPU, budget ${budget.toFixed(2)} s`);
}

test('a sample of the corpus is checked through the real command too', () => {
  assert.ok(prepared.filter((p) => p.sampled).length >= 5);
});

prepared.forEach((p, index) => {
  test(`bad input: ${p.fixture.name}`, () => {
    COMMANDS.forEach((args, k) => {
      const inProcess = outcomes[index * COMMANDS.length + k]!;
      assertRefused(inProcess, args, p.fixture.expect, p.budget, 'in one process');
      if (!p.sampled) return;
      const real = run(args, p.dir);
      assertRefused(real, args, p.fixture.expect, p.budget, 'the command');
      assert.equal(real.stderr.trimEnd(), inProcess.stderr.trimEnd(), 'the command and the program in one process say the same');
    });
    assert.deepEqual(listTree(p.root), p.before, 'nothing written');
    fs.rmSync(p.root, { recursive: true, force: true });
  });
});

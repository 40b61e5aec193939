// What a CLI on a cluster login node is expected to follow (issue 18): colour
// decided from the stream and the environment as Node's own tools decide it;
// exit codes that tell a failed run from an error and from a signal.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { test } from 'node:test';
import { BIN, ROOT, cli, cliAsync, executions, sweepEnsemble, tempDir } from './helpers.js';

/** `mensemble plan` with stdout on a terminal (script(1) gives it a pseudo-terminal); the environment is the caller's plus `env`. */
function planOnTerminal(dir: string, env: Record<string, string>): string {
  const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', MENSEMBLE_NODE: process.execPath, MENSEMBLE_BIN: BIN };
  // CI=true (as the suite runs under CI) means no colour to Node even on a terminal: a person's terminal has none of these.
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'NODE_DISABLE_COLORS', 'CI']) delete base[k];
  const r = spawnSync('script', ['-qec', 'exec "$MENSEMBLE_NODE" "$MENSEMBLE_BIN" plan', '/dev/null'], { cwd: dir, env: { ...base, ...env }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  return r.stdout;
}

test('colour on a terminal follows the environment: NO_COLOR, FORCE_COLOR=0, NODE_DISABLE_COLORS and TERM=dumb each turn it off (the last three still coloured)', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  assert.match(planOnTerminal(dir, {}), /\u001b\[/, 'a terminal gets colour');
  const offs: Record<string, string>[] = [{ NO_COLOR: '1' }, { FORCE_COLOR: '0' }, { NODE_DISABLE_COLORS: '1' }, { TERM: 'dumb' }];
  for (const env of offs) {
    assert.doesNotMatch(planOnTerminal(dir, env), /\u001b\[/, JSON.stringify(env));
  }
});

test('colour where output is not a terminal only with FORCE_COLOR', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  assert.doesNotMatch(cli(['plan'], dir).stdout, /\u001b\[/);
  assert.match(cli(['plan'], dir, { FORCE_COLOR: '1', NO_COLOR: '' }).stdout, /\u001b\[/);
});

test('exit codes: a failed run is 3, a configuration error 1, SIGTERM 143 and SIGINT 130 (both were 130)', async () => {
  const failing = tempDir();
  sweepEnsemble(failing, { runs: 1, jobBody: '#!/bin/sh\nexit 4\n' });
  assert.equal(cli(['apply', '--yes'], failing).code, 3);
  const broken = tempDir();
  sweepEnsemble(broken, { runs: 1 });
  fs.appendFileSync(path.join(broken, 'mensemble.yaml'), '      bogus: 1\n');
  assert.equal(cli(['apply', '--yes'], broken).code, 1);
  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
    const dir = tempDir();
    sweepEnsemble(dir, { runs: 2, maxjobs: 1, sleep: 5 });
    const run = cliAsync(['apply', '--yes'], dir);
    for (let i = 0; i < 200 && executions(dir).length === 0; i++) await new Promise((r) => setTimeout(r, 25));
    process.kill(run.pid, signal);
    const r = await run.done;
    assert.equal(r.code, code, `${signal}: ${r.stderr}`);
    assert.match(r.stderr, new RegExp(`stopped by ${signal}`));
  }
});

test('`mensemble help <command>` prints that command\'s help, `mensemble help` the overview (it was an unknown command)', () => {
  const dir = tempDir();
  const plan = cli(['help', 'plan'], dir);
  assert.equal(plan.code, 0, plan.stderr);
  assert.equal(plan.stdout, cli(['plan', '--help'], dir).stdout);
  const overview = cli(['help'], dir);
  assert.equal(overview.code, 0, overview.stderr);
  assert.match(overview.stdout, /Commands:\n/);
  const typo = cli(['help', 'aply'], dir);
  assert.equal(typo.code, 1);
  assert.match(typo.stderr, /No command `aply` to show help for\. Did you mean `apply`\?/);
});

test('an unknown option is named as typed, with mensemble\'s spelling of Terraform\'s (`-auto-approve` was reported as `-a`, `--no-colour` as `--colour`)', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const cases: Array<[string[], RegExp]> = [
    [['apply', '-auto-approve'], /^mensemble: Unknown option `-auto-approve`: that is Terraform's spelling; mensemble's is `--yes`\./],
    [['plan', '-detailed-exitcode'], /^mensemble: Unknown option `-detailed-exitcode`: that is Terraform's spelling; mensemble's is `--detailed-exitcode`\./],
    [['plan', '-target=sweep'], /^mensemble: Unknown option `-target=sweep`: that is Terraform's spelling; mensemble's is `--target <batch\[\/run\]>`\./],
    [['plan', '--no-colour'], /^mensemble: Unknown option `--no-colour`\. Did you mean `--no-color`\?/],
    [['plan', '--replace-runing'], /^mensemble: Unknown option `--replace-runing`\. Did you mean `--replace-running`\?/],
  ];
  for (const [args, expected] of cases) {
    const r = cli(args, dir);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.stderr, expected, args.join(' '));
  }
  assert.equal(fs.existsSync(path.join(dir, 'runs')), false, 'nothing was applied');
});

test('--version is the version in package.json (it was written into main.ts): the command carries it from the build, the modules read it', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const built = spawnSync(process.execPath, [path.join(ROOT, 'dist', 'cli', 'main.js'), '--version'], { encoding: 'utf8' });
  assert.equal(built.status, 0, built.stderr);
  assert.equal(built.stdout.split(/[\s/]/)[1], pkg.version);
  const copy = tempDir();
  fs.cpSync(path.join(ROOT, 'dist'), path.join(copy, 'dist'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'));
  fs.writeFileSync(path.join(copy, 'package.json'), JSON.stringify({ ...pkg, version: '9.8.7' }));
  const run = `import(${JSON.stringify(pathToFileURL(path.join(copy, 'dist', 'cli', 'run.js')).href)}).then((m) => m.runCommand(['--version']))`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', run], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^mensemble\/9\.8\.7 /);
});

test('event lines give the local time with its zone (they gave UTC without saying so)', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  const before = Date.now();
  const r = cli(['apply', '--yes'], dir, { TZ: 'Asia/Tokyo' });
  assert.equal(r.code, 0, r.stderr);
  const m = /^(\d\d):(\d\d):(\d\d) GMT\+9 {2}sweep\/r1: submitted job/m.exec(r.stdout);
  assert.ok(m, r.stdout);
  // Tokyo is UTC+9 all year: the hour printed is the UTC hour of the apply plus 9.
  const hours = [before, Date.now()].map((t) => (new Date(t).getUTCHours() + 9) % 24);
  assert.ok(hours.includes(Number(m[1])), `${m[0]} at UTC ${new Date(before).toISOString()}`);
});

test('`mensemble completion bash` completes commands and each command\'s options in bash (it did not exist)', () => {
  const dir = tempDir();
  const script = cli(['completion', 'bash'], dir);
  assert.equal(script.code, 0, script.stderr);
  fs.writeFileSync(path.join(dir, 'completion.bash'), script.stdout);
  // What bash offers after `mensemble pl<TAB>` and `mensemble apply --pr<TAB>`.
  const complete = (...words: string[]) => {
    const r = spawnSync('bash', ['-c', 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _mensemble; printf "%s\\n" "${COMPREPLY[@]}"', 'bash', path.join(dir, 'completion.bash'), ...words], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.split('\n').filter(Boolean);
  };
  assert.deepEqual(complete('mensemble', 'pl'), ['plan']);
  assert.deepEqual(complete('mensemble', 'apply', '--pr'), ['--profile', '--prune']);
  assert.deepEqual(complete('mensemble', 'plan', '--detailed'), ['--detailed-exitcode']);
  assert.match(cli(['completion', 'zsh'], dir).stdout, /bashcompinit/);
  assert.equal(cli(['completion', 'fish'], dir).code, 1);
});

test('a command\'s help has its description, no "(default: true)" on --no-* flags, indented examples and no trailing spaces (cac printed all three)', () => {
  const dir = tempDir();
  const help = cli(['apply', '--help'], dir).stdout;
  assert.match(help, /Usage:\n {2}\$ mensemble apply \[config\]\n\nConverge the ensemble: render, submit, wait, run tasks\.\n/);
  assert.doesNotMatch(help, /default: true/);
  assert.match(help, /Examples:\n {2}mensemble apply /);
  assert.doesNotMatch(help, /[ \t]+$/m);
});

test('the package a tarball would hold: no source maps without their sources, a LICENSE, and every file the README links to (it shipped 164 .map files and none of docs/)', () => {
  // --ignore-scripts: `prepare` would rebuild dist/ under the other test files' feet.
  const r = spawnSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const files = new Set((JSON.parse(r.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
  assert.deepEqual([...files].filter((f) => f.endsWith('.map')), []);
  for (const f of ['LICENSE', 'README.md', 'dist/cli/main.js', 'schema/mensemble.schema.json', 'docs/json-output.md']) assert.ok(files.has(f), f);
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const links = [...readme.matchAll(/\]\(([^)#:]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !l.startsWith('http'));
  assert.ok(links.length > 3, 'the README links to files');
  for (const link of links) assert.ok(files.has(link) || [...files].some((f) => f.startsWith(`${link.replace(/\/$/, '')}/`)), `the README links to ${link}, which the package lacks`);
});

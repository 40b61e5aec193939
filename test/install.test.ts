// The ways docs/install.md says to install mensemble, done as a user would
// in a temporary prefix: the package tarball installed globally with
// --prefix (its command and its library), and the single bundled file alone
// in an empty folder. Both use the dist/ that `npm test` built.
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { ROOT, tempDir } from './helpers.js';

const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

function run(command: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return String(r.stdout);
}

/** A copy of the quickstart example in a folder of its own (its runs are written beside it). */
function quickstart(from: string): string {
  const dir = tempDir('mensemble-install-ex-');
  fs.cpSync(from, dir, { recursive: true });
  fs.rmSync(path.join(dir, 'runs'), { recursive: true, force: true });
  return path.join(dir, 'mensemble.yaml');
}

test('the tarball installs with npm install -g --prefix, and both its command and its library work from there', { timeout: 300_000 }, () => {
  const work = tempDir('mensemble-install-');
  // No scripts: dist/ is built, and `prepare` would rebuild it under the tests running beside this one.
  const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT })) as Array<{ filename: string }>;
  const tarball = path.join(work, packed[0]!.filename);
  const prefix = path.join(work, 'prefix');
  run('npm', ['install', '-g', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball], { cwd: work });

  const bin = path.join(prefix, 'bin', 'mensemble');
  assert.equal(run(bin, ['--version']).trim().split(/[\s/]/)[1], VERSION);
  const installed = path.join(prefix, 'lib', 'node_modules', 'mensemble');
  const config = quickstart(path.join(installed, 'examples', 'quickstart'));
  const applied = run(bin, ['apply', config, '--yes', '--json']);
  const last = JSON.parse(applied.trim().split('\n').at(-1)!) as { type: string; completed: string[] };
  assert.equal(last.type, 'result', applied);
  assert.equal(last.completed.length, 6, applied);
  assert.match(run(bin, ['plan', config]), /No changes\./);

  // The library, imported by name from a script's project that links the installed package.
  const project = path.join(work, 'project');
  fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
  fs.symlinkSync(installed, path.join(project, 'node_modules', 'mensemble'));
  fs.writeFileSync(path.join(project, 'status.mjs'), "import { loadEnsemble, status } from 'mensemble';\nconst s = await status(await loadEnsemble(process.argv[2]));\nconsole.log(s.runs.map((r) => r.state).join(' '));\n");
  assert.equal(run(process.execPath, ['status.mjs', config], { cwd: project }).trim(), 'completed completed completed completed completed completed');
  // Its types: a strict TypeScript script against the installed declarations.
  fs.writeFileSync(path.join(project, 'typed.ts'), "import { loadEnsemble, plan, type Plan } from 'mensemble';\nconst p: Plan = await plan(await loadEnsemble('mensemble.yaml'));\nconst n: number = p.summary.create;\n// @ts-expect-error a summary has no such count\np.summary.nonsense;\nexport { n };\n");
  fs.writeFileSync(path.join(project, 'package.json'), '{"type": "module"}\n');
  run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', '--typeRoots', path.join(ROOT, 'node_modules', '@types'), '--types', 'node', 'typed.ts'], { cwd: project });
});

test('the single file (npm run bundle) runs alone in an empty folder: version, validate, apply, plan, a file:line error', { timeout: 300_000 }, () => {
  const work = tempDir('mensemble-solo-');
  const file = path.join(work, 'bin', 'mensemble');
  run(process.execPath, [path.join(ROOT, 'scripts', 'bundle.mjs'), '--out', file], { cwd: ROOT });
  assert.deepEqual(fs.readdirSync(path.join(work, 'bin')), ['mensemble'], 'one file');
  // Nothing of the repository can be found from here: no node_modules above /tmp.
  const solo = { cwd: work, env: { ...process.env, NODE_PATH: '' } };
  assert.equal(run(file, ['--version'], solo).trim().split(/[\s/]/)[1], VERSION);
  const config = quickstart(path.join(ROOT, 'examples', 'quickstart'));
  assert.match(run(file, ['validate', config], solo), /is valid: 1 batch, 6 runs/);
  const applied = run(file, ['apply', config, '--yes', '--json'], solo);
  assert.equal((JSON.parse(applied.trim().split('\n').at(-1)!) as { completed: string[] }).completed.length, 6, applied);
  assert.match(run(file, ['plan', config], solo), /No changes\./);
  assert.deepEqual(JSON.parse(run(file, ['schema'], solo)), JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'mensemble.schema.json'), 'utf8')));
  // A bad value is refused with file:line by the validator the file carries.
  fs.writeFileSync(config, fs.readFileSync(config, 'utf8').replace('maxjobs: 3', 'maxjobs: three'));
  const bad = spawnSync(file, ['plan', config], { ...solo, encoding: 'utf8' });
  assert.equal(bad.status, 1, bad.stderr);
  assert.match(bad.stderr, /mensemble\.yaml:\d+:\d+.*maxjobs/s);
});

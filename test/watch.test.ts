import assert from 'node:assert/strict';
import { documents } from './json-schema.js';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { BIN, cli, executions, readState, sweepEnsemble, tempDir } from './helpers.js';

/** `mensemble watch` in the background, with its output so far. */
/** Watchers a failed test left running would keep the suite from ending. */
const started: ChildProcess[] = [];
after(() => {
  for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
});

function startWatch(dir: string, args: string[] = []) {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', HOME: dir };
  delete env.FORCE_COLOR;
  const child = spawn(process.execPath, [BIN, 'watch', ...args], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    /** Waits until the output holds `count` matches of `re` (counted from the start). */
    async waitFor(re: RegExp, count = 1, seconds = 20): Promise<void> {
      const global = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
      for (let i = 0; i < seconds * 20; i++) {
        if ((out.match(global) ?? []).length >= count) return;
        await sleep(50);
      }
      assert.fail(`watch output never had ${count}× ${re}:\n${out}`);
    },
    async stop(signal: NodeJS.Signals = 'SIGINT'): Promise<number | null> {
      child.kill(signal);
      return exited;
    },
  };
}

/** Saves as many editors do: write a temporary file beside it, then rename it over the original. */
function saveByRename(file: string, content: string): void {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.swp`);
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, file);
}

test('watch re-plans on a rename-over save, folds a burst of saves into one re-plan, survives a broken template, and Ctrl-C exits 130 (as every command stopped by SIGINT; it exited 0) with the lock released', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 3 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  // A debounce longer than the default: on a loaded machine five quick saves could otherwise straddle it.
  const w = startWatch(dir, ['--debounce', '400']);
  await w.waitFor(/No changes\. 3 runs up to date/);
  const params = path.join(dir, 'template', 'params.j2');
  const original = fs.readFileSync(params, 'utf8');

  saveByRename(params, `${original}extra = 1\n`);
  await w.waitFor(/params\.j2 changed; re-planned in \d+ ms\n {2}3 runs \(sweep\/r1, sweep\/r2, sweep\/r3\): none → replace: params changed \(template params\.j2\)/);

  // A burst: five saves within a few milliseconds are one re-plan.
  const before = (w.output().match(/re-planned in/g) ?? []).length;
  for (let i = 0; i < 5; i++) fs.writeFileSync(params, `${original}extra = ${i}\n`);
  await w.waitFor(/re-planned in/, before + 1);
  await sleep(500);
  assert.equal((w.output().match(/re-planned in/g) ?? []).length, before + 1, 'one re-plan for the burst');

  // Broken, then fixed: the error is shown with its file, and the next good save recovers.
  saveByRename(params, '{{ n \n');
  await w.waitFor(/params\.j2 changed: error\n {2}.*params\.j2.*\n[\s\S]*still watching/);
  saveByRename(params, original);
  await w.waitFor(/re-planned in \d+ ms \(fixed\)/);
  await w.waitFor(/No changes\. 3 runs up to date/, 2);

  // A change to the configuration itself.
  const config = path.join(dir, 'mensemble.yaml');
  saveByRename(config, fs.readFileSync(config, 'utf8').replace('scale: 1.5', 'scale: 2.5'));
  await w.waitFor(/mensemble\.yaml changed; re-planned in \d+ ms\n {2}3 runs .*: none → replace: variable scale: 1\.5 → 2\.5/);

  assert.equal(await w.stop(), 130, w.output());
  assert.match(w.output(), /Stopped watching\./);
  assert.equal(fs.existsSync(path.join(dir, '.mensemble', 'mensemble.yaml.lock')), false);
  assert.equal(executions(dir).length, 3, 'watch without --apply runs nothing');
});

test('watch --apply renders new and changed runs that no job has used, and leaves runs with jobs alone', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const w = startWatch(dir, ['--apply']);
  await w.waitFor(/No changes\. 2 runs up to date/);
  const config = path.join(dir, 'mensemble.yaml');
  saveByRename(config, fs.readFileSync(config, 'utf8').replace('n: [1, 2]', 'n: [1, 2, 3]').replace('scale: 1.5', 'scale: 3.5'));
  await w.waitFor(/rendered 1 run \(not submitted\): sweep\/r3/);
  assert.equal(await w.stop(), 130, w.output());
  // r3 is written and waits for `mensemble apply`; r1 and r2 ran, so watch did not rewrite them.
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r3', 'params'), 'utf8'), 'n = 3\nscale = 3.5');
  assert.equal(readState(path.join(dir, 'runs', 'r3')).attempts.length, 0);
  assert.equal(fs.readFileSync(path.join(dir, 'runs', 'r1', 'params'), 'utf8'), 'n = 1\nscale = 1.5');
  assert.deepEqual(executions(dir).sort(), ['r1', 'r2']);
  const plan = cli(['plan'], dir).stdout;
  assert.match(plan, /resume\s+sweep\/r3\s+rendered, not yet submitted/);
  assert.match(plan, /replace\s+sweep\/r1/);
});

test('watch refuses to start on a broken configuration, as plan does', () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 1 });
  fs.appendFileSync(path.join(dir, 'mensemble.yaml'), '      bogus: 1\n');
  const r = cli(['watch'], dir);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /mensemble\.yaml:\d+:\d+: .*unknown key `bogus`/);
});

test('watch --json lines follow the documented contract (docs/json-output.schema.json): start, plan, error with diagnostics', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  assert.equal(cli(['apply', '--yes'], dir).code, 0);
  const w = startWatch(dir, ['--json']);
  try {
    await w.waitFor(/^\{"type":"start"/m);
    const config = path.join(dir, 'mensemble.yaml');
    const original = fs.readFileSync(config, 'utf8');
    saveByRename(config, original.replace('scale: 1.5', 'scale: 2.5'));
    await w.waitFor(/^\{"type":"plan"/m);
    saveByRename(config, original.replace('maxruns: 2', 'maxruns: -2'));
    await w.waitFor(/^\{"type":"error"/m);
  } finally {
    await w.stop();
  }
  const lines = documents(w.output(), 'watch --json');
  assert.deepEqual(lines.map((l) => l.type), ['start', 'plan', 'error']);
  const reasons = (lines[1]!.changes as Array<{ reasons: Array<Record<string, unknown>> }>)[0]!.reasons;
  assert.deepEqual(reasons.filter((r) => r.kind === 'var-changed').map((r) => [r.key, r.before, r.after, r.text]), [['scale', '1.5', '2.5', 'variable scale: 1.5 → 2.5']]);
  assert.equal((lines[2]!.diagnostics as Array<Record<string, unknown>>)[0]!.path, 'ensemble.batches[0].maxruns');
});

test('watch --json --apply: the rendered line lists runs as {batch, id}, as every `runs` list does', async () => {
  const dir = tempDir();
  sweepEnsemble(dir, { runs: 2 });
  const w = startWatch(dir, ['--json', '--apply']);
  try {
    await w.waitFor(/^\{"type":"rendered"/m);
  } finally {
    await w.stop();
  }
  const rendered = documents(w.output(), 'watch --json --apply').find((l) => l.type === 'rendered')!;
  assert.deepEqual(rendered.runs, [
    { batch: 'sweep', id: 'r1' },
    { batch: 'sweep', id: 'r2' },
  ]);
  assert.equal(fs.existsSync(path.join(dir, 'runs', 'r1', 'job.sh')), true, 'rendered on disk');
});

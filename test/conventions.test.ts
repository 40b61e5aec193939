// What a CLI on a cluster login node is expected to follow (issue 18): colour
// decided from the stream and the environment as Node's own tools decide it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { BIN, cli, sweepEnsemble, tempDir } from './helpers.js';

/** `mensemble plan` with stdout on a terminal (script(1) gives it a pseudo-terminal); the environment is the caller's plus `env`. */
function planOnTerminal(dir: string, env: Record<string, string>): string {
  const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm-256color', MENSEMBLE_NODE: process.execPath, MENSEMBLE_BIN: BIN };
  for (const k of ['NO_COLOR', 'FORCE_COLOR', 'NODE_DISABLE_COLORS']) delete base[k];
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

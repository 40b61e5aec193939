import assert from 'node:assert/strict';
import { test } from 'node:test';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { canonicalJson } from '../config/python-values.js';
import { loadEnsemble } from '../config/load.js';
import { HashCache } from '../state/hash-cache.js';
import { hash64, initHashing } from '../util/hash.js';
import { buildDesiredState, canonicalVarsText, hashInput } from './desired.js';

/** What these runs hashed to when this test was written (2026-12-06): a change here replans every existing run. */
const PINNED = ['r1-0 74222b0a4a2df6f3', 'r1-1 853d80d1fec311b6', 'r2-2 888e1fb3b5e751ff', 'r2-3 45f1c81c1c40c555'];

test('the input hash text is exactly the canonical JSON it replaced (hashes of existing runs must not change)', () => {
  const vars = { b: '2', a: '"x"', '10': '1.0', '9': 'null', 'ü': '[1,2]' };
  const files = [
    { path: 'job.sh', kind: 'rendered', mode: 0o755, hash: 'abc', content: '' },
    { path: 'data', kind: 'dir', mode: 0o755, hash: 'd' },
    { path: 'link', kind: 'symlink', hash: 'l', target: 'x' },
    { path: 'we"ird', kind: 'copy', mode: undefined, hash: 'c', source: '/x' },
  ] as never;
  const expected = canonicalJson({
    vars,
    files: (files as Array<{ path: string; kind: string; mode?: number; hash: string }>).map((f) => [f.path, f.kind, 'mode' in f ? f.mode : null, f.hash]),
    jobFile: 'job.sh',
    options: '{"partition":"debug"}',
  });
  assert.equal(hashInput(canonicalVarsText(vars), files, 'job.sh', '{"partition":"debug"}'), expected);
});

test('a run\'s input hash is taken of canonicalVarsText of its variables, and the hashes of existing runs stay what they were', async () => {
  await initHashing();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-desired-'));
  try {
    fs.mkdirSync(path.join(dir, 'tpl'));
    fs.writeFileSync(path.join(dir, 'tpl', 'job.sh.j2'), '#!/bin/sh\necho {{ run.a }} {{ run.a10 }}\n');
    // Names whose order depends on case and digits, values that need quoting, shared and own values.
    // Either dialect: a template that reads only `run.<key>` renders the same, so the hash stays (plan/run-context.ts).
    for (const dialect of ['dialect: mensemble\n', '']) {
      fs.writeFileSync(
        path.join(dir, 'mensemble.yaml'),
        `${dialect}ensemble:
  vars: {a10: [1, 2.5], a9: null, B: "x\\"y ü", _b: {k: 1}}
  batches:
    - name: b1
      basedir: ./runs
      templatedir: ../tpl
      templates: [job.sh.j2]
      job_file: job.sh
      maxruns: 4
      maxjobs: 2
      run_id: "r{{ a }}-{{ idx }}"
      matrix:
        a: [1, 2]
        c: ["s p", 1.0e3]
`,
      );
      const spec = loadEnsemble(path.join(dir, 'mensemble.yaml'), { cwd: dir });
      assert.equal(spec.dialect, dialect ? 'mensemble' : 'model-ensembler');
      const desired = buildDesiredState(spec, [], new HashCache(path.join(dir, 'hash-cache.json')));
      assert.equal(desired.runs.length, 4);
      for (const run of desired.runs) {
        assert.equal(run.inputHash, hash64(hashInput(canonicalVarsText(run.varsCanonical), run.files, run.batch.jobFile, run.options)), run.id);
      }
      // The same ensemble in another folder hashes differently (dir is a variable); so the pinned hashes
      // below are of the variables without `dir`, as written by the code before the hash text was built inline.
      const withoutDir = desired.runs.map((run) => {
        const { dir: _dir, ...rest } = run.varsCanonical;
        return `${run.id} ${hash64(hashInput(canonicalVarsText(rest), run.files, run.batch.jobFile, run.options))}`;
      });
      assert.deepEqual(withoutDir, PINNED, dialect || 'no dialect');
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

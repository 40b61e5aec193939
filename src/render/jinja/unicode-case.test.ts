import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import { CASEFOLD_NOT_LOWER, TITLE_NOT_UPPER } from './unicode-case.js';

test('the case tables are what the Python the tests render with generates (scripts/gen-unicode-case.py)', { skip: !fs.existsSync('/usr/bin/python3') && 'no /usr/bin/python3' }, () => {
  const r = spawnSync('/usr/bin/python3', ['scripts/gen-unicode-case.py'], { encoding: 'utf8', maxBuffer: 1 << 24 });
  assert.equal(r.status, 0, r.stderr);
  const kept = fs.readFileSync(new URL('./unicode-case.ts', import.meta.url), 'utf8');
  assert.equal(kept, r.stdout, 'run: /usr/bin/python3 scripts/gen-unicode-case.py > src/render/jinja/unicode-case.ts');
  assert.ok(CASEFOLD_NOT_LOWER.some(([cp, f]) => cp === 0xfb01 && f === 'fi'));
  assert.ok(TITLE_NOT_UPPER.some(([cp, t]) => cp === 0x1c6 && t === 'ǅ'));
});

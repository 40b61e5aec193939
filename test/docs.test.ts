import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, cli, tempDir } from './helpers.js';

/** Every key the schema accepts (properties that are not `false`), anywhere in it. */
function schemaKeys(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => schemaKeys(n, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'properties' && value && typeof value === 'object') {
        for (const [name, sub] of Object.entries(value as Record<string, unknown>)) if (sub !== false) out.add(name);
      }
      schemaKeys(value, out);
    }
  }
  return out;
}

test('the configuration reference documents every key the schema accepts', () => {
  const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'mensemble.schema.json'), 'utf8'));
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'configuration.md'), 'utf8');
  const missing = [...schemaKeys(schema)].filter((k) => !doc.includes(`\`${k}\``));
  assert.deepEqual(missing, [], `keys missing from docs/configuration.md: ${missing.join(', ')}`);
});

test('.mensemblerc.example documents every setting, and is itself a valid settings file', () => {
  const example = fs.readFileSync(path.join(ROOT, '.mensemblerc.example'), 'utf8');
  for (const key of ['backend', 'poll_interval', 'check_interval', 'submit_rate', 'color', 'shell', 'array', 'max_config_mb', 'paths_from', 'profiles']) assert.match(example, new RegExp(`^${key}:`, 'm'), key);
  // Settings without a default (a budget) are shown commented out: copying the file must not set one.
  for (const key of ['max_core_hours', 'slurm']) assert.match(example, new RegExp(`^# ${key}:`, 'm'), key);
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, '.mensemblerc'), example);
  fs.writeFileSync(path.join(dir, 'mensemble.yaml'), 'ensemble:\n  batches: []\n');
  const r = cli(['validate'], dir);
  assert.doesNotMatch(r.stderr, /mensemblerc/, r.stderr);
});

test('the README names every command', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  for (const command of ['init', 'plan', 'apply', 'watch', 'status', 'logs', 'report', 'cancel', 'repair', 'validate', 'schema', 'unlock', 'completion', 'help']) {
    assert.match(readme, new RegExp(`mensemble ${command}\\b`), command);
  }
});

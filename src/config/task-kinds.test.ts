import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { TASK_KINDS, TASK_NAMES } from './task-kinds.js';
import { TASK_RUNNERS } from '../tasks/registry.js';

const schema = JSON.parse(fs.readFileSync(new URL('../../schema/mensemble.schema.json', import.meta.url), 'utf8'));

test('the task kinds the schema admits are the ones mensemble knows and can run, each with its arguments in the schema', () => {
  const task = schema.$defs.task;
  assert.deepEqual([...task.properties.name.enum].sort(), [...TASK_NAMES].sort());
  assert.deepEqual(Object.keys(TASK_RUNNERS).sort(), [...TASK_NAMES].sort());
  for (const name of TASK_NAMES) {
    const args = schema.$defs[`${name}Args`];
    assert.ok(args, `schema has ${name}Args`);
    // Every path argument the registry declares is an argument the schema lets the kind have.
    for (const key of TASK_KINDS[name].pathArgs) assert.ok(key in args.properties, `${name}.${key} is in the schema`);
    assert.equal(TASK_KINDS[name].log, 'log' in args.properties, `${name}: log argument`);
  }
});

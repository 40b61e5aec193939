import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';

const schema = JSON.parse(fs.readFileSync(new URL('../../schema/mensemble.schema.json', import.meta.url), 'utf8'));

/** Where a property of an object in the schema has no description (a bare `$ref` takes its target's). */
function undescribed(node: unknown, at: string, out: string[]): string[] {
  if (Array.isArray(node)) node.forEach((item, i) => undescribed(item, `${at}[${i}]`, out));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
      if (key === 'properties' && value && typeof value === 'object') {
        for (const [name, property] of Object.entries(value as Record<string, unknown>)) {
          if (property && typeof property === 'object' && !('description' in property) && !(Object.keys(property).length === 1 && '$ref' in property)) out.push(`${at}.${name}`);
          undescribed(property, `${at}.${name}`, out);
        }
      } else undescribed(value, key === '$defs' ? '#' : `${at}/${key}`, out);
    }
  }
  return out;
}

test('every key of the configuration schema has a description (editors show it on hover)', () => {
  assert.deepEqual(undescribed(schema, '', []), []);
});

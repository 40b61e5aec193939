import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';

// docs/json-output.md is the contract; docs/json-output.schema.json is its
// machine-checked form. Every command's --json output, on the local backend,
// must validate against it: documents and each NDJSON line alike.
const schema = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'docs', 'json-output.schema.json'), 'utf8'));
const ajv = new Ajv2020.default({ allErrors: true, strict: false, validateFormats: false });
const validate = ajv.compile(schema);

export function conforms(doc: unknown, what: string): void {
  if (!validate(doc)) assert.fail(`${what} does not match docs/json-output.schema.json: ${ajv.errorsText(validate.errors, { separator: '; ' }).slice(0, 2000)}\n${JSON.stringify(doc).slice(0, 1000)}`);
}

export function documents(stdout: string, what: string): Array<Record<string, unknown>> {
  const docs = stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  for (const [i, d] of docs.entries()) conforms(d, `${what} line ${i + 1}`);
  return docs;
}

export function single(stdout: string, what: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  conforms(doc, what);
  return doc;
}


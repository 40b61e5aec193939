import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { formatLocation } from '../util/errors.js';
import { embedded } from '../util/embedded.js';
import { didYouMean } from '../util/suggest.js';
import { PRECOMPILED_VALIDATOR, SCHEMA_AJV_OPTIONS } from './schema-options.js';
import { formatKeyPath, locate, type KeyPath, type YamlSource } from './source.js';
import { RETRY_CAUSES } from './retry-rules.js';

const RETRY_CAUSE_NAMES: readonly string[] = RETRY_CAUSES;

export const SCHEMA_PATH = fileURLToPath(new URL('../../schema/mensemble.schema.json', import.meta.url));

type JsonSchema = Record<string, any>;

let cached: { schema: JsonSchema; validate: ValidateFunction } | undefined;

let text: string | undefined;

/** The schema as written (what config/load.ts's cache keys include). */
export function schemaText(): string {
  return (text ??= embedded()?.schemaText ?? fs.readFileSync(SCHEMA_PATH, 'utf8'));
}

export function loadSchema(): JsonSchema {
  return compiled().schema;
}

const require = createRequire(import.meta.url);

/**
 * The build precompiles the schema (scripts/build-validator.mjs); running
 * from the sources, or if that file is missing, ajv compiles it here.
 */
function compiled(): { schema: JsonSchema; validate: ValidateFunction } {
  if (!cached) {
    const schema = JSON.parse(schemaText()) as JsonSchema;
    cached = { schema, validate: embedded()?.validator ?? validatorBeside(schema) };
  }
  return cached;
}

function validatorBeside(schema: JsonSchema): ValidateFunction {
  try {
    const mod = require(`./${PRECOMPILED_VALIDATOR}`) as { default?: ValidateFunction } & ValidateFunction;
    return mod.default ?? mod;
  } catch {
    const Ajv2020 = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    return new Ajv2020.default(SCHEMA_AJV_OPTIONS).compile(schema);
  }
}

/** Validates a plain value against the schema; returns one readable paragraph per problem. */
export function schemaProblems(source: YamlSource, value: unknown): string[] {
  const { validate, schema } = compiled();
  if (validate(value)) return [];
  // A bad key name is reported once, by propertyNames, not again by the pattern inside it.
  const errors = (validate.errors ?? []).filter((e) => e.keyword !== 'if' && !((e.keyword === 'pattern' || e.keyword === 'enum') && e.schemaPath.includes('/propertyNames/')));
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const error of errors) {
    const message = describe(source, schema, value, error);
    if (!seen.has(message)) {
      seen.add(message);
      problems.push(message);
    }
  }
  return problems;
}

function describe(source: YamlSource, schema: JsonSchema, value: unknown, error: ErrorObject): string {
  const path = pointerToPath(error.instancePath);
  const params = error.params as Record<string, any>;
  const unknownKey: string | undefined = params.additionalProperty ?? params.unevaluatedProperty;
  if (unknownKey !== undefined) {
    const keyPath = [...path, unknownKey];
    const allowed = allowedKeys(schema, value, path);
    if (/^(true|false)$/.test(unknownKey) && allowed.includes('when')) {
      // YAML 1.1 (PyYAML, model-ensembler) reads a bare `on`, `yes`, `off`... as a boolean: GitHub Actions' `on:` trap.
      return `${formatLocation(locate(source, keyPath, true))}: ${formatKeyPath(path)}: a key read as ${unknownKey}: YAML 1.1, as model-ensembler reads it, takes a bare \`on\`, \`yes\` or \`off\` for a boolean. The causes to retry are listed under \`when\` (for example \`when: [FAILED, OUT_OF_MEMORY, TIMEOUT]\`).`;
    }
    return `${formatLocation(locate(source, keyPath, true))}: ${formatKeyPath(keyPath)}: unknown key \`${unknownKey}\`.${didYouMean(unknownKey, allowed)}${allowed.length ? ` Allowed here: ${allowed.join(', ')}.` : ''}`;
  }
  if (error.keyword === 'false schema') {
    const key = String(path[path.length - 1]);
    if (path[path.length - 2] === 'slurm') {
      return `${formatLocation(locate(source, path, true))}: ${formatKeyPath(path)}: \`${key}\` is set by mensemble itself and cannot be given as an sbatch option.`;
    }
    return `${formatLocation(locate(source, path, true))}: ${formatKeyPath(path)}: \`${key}\` is not allowed in batch_config; each batch sets its own ${key}.`;
  }
  const where = formatLocation(locate(source, path));
  const at = formatKeyPath(path);
  switch (error.keyword) {
    case 'required':
      return `${where}: ${at}: missing required key \`${params.missingProperty}\`.`;
    case 'type':
      return `${where}: ${at}: expected ${article(String(params.type).replace(/,/g, ' or '))}, found ${describeValue(valueAt(value, path))}.`;
    case 'enum':
      return `${where}: ${at}: expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, found ${describeValue(valueAt(value, path))}.${didYouMean(String(valueAt(value, path)), (params.allowedValues as unknown[]).map(String))}`;
    case 'minimum':
    case 'exclusiveMinimum':
      return `${where}: ${at}: must be ${error.keyword === 'minimum' ? 'at least' : 'more than'} ${params.limit}, found ${describeValue(valueAt(value, path))}.`;
    case 'minItems':
      return `${where}: ${at}: must have at least ${params.limit} item${params.limit === 1 ? '' : 's'}.`;
    case 'minLength':
      return `${where}: ${at}: must not be empty.`;
    case 'minProperties':
      return `${where}: ${at}: must have at least ${params.limit} key.`;
    case 'pattern':
      return `${where}: ${at}: ${describeValue(valueAt(value, path))} is not allowed here (expected a value matching ${params.pattern}).`;
    case 'propertyNames':
      if (path[path.length - 1] === 'slurm') {
        return `${formatLocation(locate(source, [...path, params.propertyName], true))}: ${at}: \`${params.propertyName}\` is not an sbatch option name (lower-case letters, digits and -, as in \`cpus-per-task\`).`;
      }
      if (path[path.length - 1] === 'escalate') {
        return `${formatLocation(locate(source, [...path, params.propertyName], true))}: ${at}: \`${params.propertyName}\` is not a cause a retry knows; the causes are ${RETRY_CAUSE_NAMES.join(', ')}.${didYouMean(String(params.propertyName), RETRY_CAUSE_NAMES)}`;
      }
      return `${where}: ${at}: the key \`${params.propertyName}\` is not a valid name (letters, digits and _ only, not starting with a digit).`;
    default:
      return `${where}: ${at}: ${error.message ?? 'invalid value'}.`;
  }
}

/** Keys the schema allows at an instance path, for "did you mean" and the list of allowed keys. */
function allowedKeys(schema: JsonSchema, value: unknown, path: KeyPath): string[] {
  let node: JsonSchema | undefined = schema;
  let current: unknown = value;
  for (const part of path) {
    node = resolve(schema, node);
    if (!node) return [];
    if (typeof part === 'number') node = node.items;
    else if (node.properties?.[part] !== undefined && node.properties[part] !== false) {
      node = node.properties[part];
      // Task arguments depend on the task name (the if/then branches).
      if (part === 'args' && current && typeof current === 'object') {
        const name = (current as Record<string, unknown>).name;
        node = schema.$defs[`${String(name)}Args`] ?? node;
      }
    } else node = resolve(schema, node)?.properties?.[part];
    current = current && typeof current === 'object' ? (current as Record<string, unknown>)[part as string] : undefined;
  }
  node = resolve(schema, node);
  const keys = Object.entries(node?.properties ?? {})
    .filter(([, v]) => v !== false)
    .map(([k]) => k);
  return keys;
}

function resolve(schema: JsonSchema, node: JsonSchema | undefined): JsonSchema | undefined {
  let out = node;
  while (out?.$ref) {
    const target: JsonSchema = schema.$defs[String(out.$ref).replace('#/$defs/', '')];
    // Keep the referring schema's own properties (batchConfig adds false entries).
    out = out.properties ? { ...target, properties: { ...target.properties, ...out.properties } } : target;
  }
  return out;
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function valueAt(value: unknown, path: KeyPath): unknown {
  let v = value;
  for (const p of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[p as string] : undefined;
  return v;
}

function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing (null)';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)}`;
  return `${typeof v === 'number' ? (Number.isInteger(v) ? 'the integer' : 'the number') : `the ${typeof v}`} ${String(v)}`;
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'a mapping', array: 'a list', string: 'a string', integer: 'an integer', number: 'a number', boolean: 'true or false', null: 'null' };
  return type
    .split(' or ')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

import fs from 'node:fs';
import { Document, isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type CollectionTag, type Node, type ScalarTag } from 'yaml';
import { UserError, UserErrors, formatLocation, type SourceLocation } from '../util/errors.js';
import { displayPath } from '../util/paths.js';
import { PyFloat, nonSpecificScalar, pythonScalar } from './python-values.js';

/** A parsed YAML file that still knows where every value came from. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export type KeyPath = ReadonlyArray<string | number>;

/**
 * Larger configuration files are most likely a mistake (or an attack), and
 * are refused before parsing. 1 MB holds about 17,000 runs written out one
 * per line and is read in about 0.7 s, so that even a bad file that large is
 * refused within 2 s on a busy login node; cartesian sweeps belong in
 * `matrix:`, and `max_config_mb` in .mensemblerc raises the limit for long
 * lists of sampled runs.
 */
export const DEFAULT_MAX_CONFIG_MB = 1;
/** Nesting deeper than this is no configuration anyone writes. */
const MAX_DEPTH = 64;
/** Values a document may hold once its aliases are expanded. */
const MAX_EXPANDED_VALUES = 1_000_000;

export function readYamlFile(file: string, what = 'configuration', maxMb = DEFAULT_MAX_CONFIG_MB): YamlSource {
  return parseYamlBytes(file, readYamlBytes(file, what, maxMb), what);
}

/** A YAML file's bytes, refused (file:line) past `maxMb` or when it is not a file. */
export function readYamlBytes(file: string, what = 'configuration', maxMb = DEFAULT_MAX_CONFIG_MB): Buffer {
  const maxBytes = Math.floor(maxMb * 1024 * 1024);
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UserError(`The ${what} ${displayPath(file)} is not a file.`);
    if (stat.size > maxBytes) {
      // Only the head is read, to say on which line the limit is passed.
      const head = Buffer.alloc(maxBytes);
      const fd = fs.openSync(file, 'r');
      try {
        fs.readSync(fd, head, 0, maxBytes, 0);
      } finally {
        fs.closeSync(fd);
      }
      throw new UserError(
        `${displayPath(file)}:${lineOfOffset(head, maxBytes)}: the ${what} passes ${maxMb} MB at this line (it is ${(stat.size / 1024 / 1024).toFixed(1)} MB in all), more than mensemble reads. ` +
          'Generate cartesian sweeps with `matrix:` rather than listing them; for a long list of sampled runs, raise `max_config_mb` in .mensemblerc.',
      );
    }
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`The ${what} ${displayPath(file)} does not exist.`);
    throw new UserError(`Cannot read the ${what} ${displayPath(file)}: ${(err as Error).message}`);
  }
  return bytes;
}

/** Parses a YAML file's bytes with source positions: UTF-8 and no control characters, else refused with the line. */
export function parseYamlBytes(file: string, bytes: Buffer, what = 'configuration'): YamlSource {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
      throw new UserError(`${displayPath(file)}:1: the ${what} is UTF-16 (it starts with a UTF-16 byte order mark). Save the file as UTF-8.`);
    }
    const at = firstInvalidUtf8(bytes);
    throw new UserError(`${displayPath(file)}:${lineOfOffset(bytes, at)}: the ${what} is not valid UTF-8 (byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at}). Save the file as UTF-8.`);
  }
  const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
  if (control) {
    const before = text.slice(0, control.index).split('\n');
    throw new UserError(`${displayPath(file)}:${before.length}:${before.at(-1)!.length + 1}: the ${what} contains the control character U+${control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()}, which YAML does not allow; is it a binary file?`);
  }
  return parseYamlText(displayPath(file), text);
}

/**
 * A source parsed only when something asks where a value is written (an
 * error message): the configuration's value came from its cache
 * (state/config-cache.ts), so an up-to-date plan never parses the YAML.
 * The bytes are those the cached value was made from.
 */
export function lazySource(file: string, bytes: Buffer): YamlSource {
  let parsed: YamlSource | undefined;
  const source = () => (parsed ??= parseYamlBytes(file, bytes));
  return {
    file: displayPath(file),
    get doc() {
      return source().doc;
    },
    get lineCounter() {
      return source().lineCounter;
    },
  };
}

/** A location found only when it is read: most are never read (they are for error messages). */
export function lazyLocation(source: YamlSource, path: KeyPath, key = false): SourceLocation {
  return new LazyLocation(source, path, key);
}

/**
 * A class, not an object literal with getters of its own: those gave each
 * of a `runs:` list's 100,000 runs a hidden class of its own, about 1 KB
 * each. Read it by its fields (formatLocation); spreading it copies nothing.
 */
class LazyLocation implements SourceLocation {
  private found: SourceLocation | undefined;

  constructor(
    private readonly source: YamlSource,
    private readonly path: KeyPath,
    private readonly key: boolean,
  ) {}

  private at(): SourceLocation {
    return (this.found ??= locate(this.source, this.path, this.key));
  }

  get file(): string {
    return this.at().file;
  }

  get line(): number {
    return this.at().line;
  }

  get column(): number {
    return this.at().column;
  }
}

type Tags = Array<ScalarTag | CollectionTag>;

/**
 * `!!float 1` and `!!float "2"` as PyYAML's construct_yaml_float builds them
 * (1.0, 2.0): underscores dropped, `.inf`/`.nan`, base 60, else Python's
 * float() of the text. The yaml library resolves an explicit `!!float` only
 * on text that already looks like a float, and refused the rest. Used for the
 * explicit tag only; plain floats resolve as before.
 */
const EXPLICIT_FLOAT: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  resolve(text, onError) {
    const value = pyYamlFloat(text);
    if (value === undefined) {
      onError(`\`!!float ${text}\` is not a number PyYAML reads (its float() raises ValueError)`);
      return text;
    }
    return new PyFloat(value);
  },
};

function pyYamlFloat(text: string): number | undefined {
  let t = text.replace(/_/g, '').toLowerCase();
  if (t === '') return undefined;
  let sign = 1;
  if (t[0] === '-') sign = -1;
  if (t[0] === '+' || t[0] === '-') t = t.slice(1);
  if (t === '.inf') return sign * Infinity;
  if (t === '.nan') return NaN;
  const pythonFloat = (s: string): number | undefined => {
    const m = /^\s*([+-]?)(?:(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)|(inf|infinity)|(nan))\s*$/.exec(s);
    if (!m) return undefined;
    const minus = m[1] === '-' ? -1 : 1;
    if (m[3]) return minus * Infinity;
    if (m[4]) return NaN;
    return minus * Number(m[2]);
  };
  if (t.includes(':')) {
    let value = 0;
    let base = 1;
    for (const part of t.split(':').reverse()) {
      const digit = pythonFloat(part);
      if (digit === undefined) return undefined;
      value += digit * base;
      base *= 60;
    }
    return sign * value;
  }
  const value = pythonFloat(t);
  return value === undefined ? undefined : sign * value;
}

export function parseYamlText(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // YAML 1.1 with merge keys, as PyYAML reads model-ensembler configurations.
  const doc = parseDocument(text, { version: '1.1', merge: true, lineCounter, prettyErrors: false, uniqueKeys: false, customTags: (tags) => [EXPLICIT_FLOAT, ...(tags as Tags)] });
  const source: YamlSource = { file, doc, lineCounter };
  // Unknown tags (`!!python/object`...) are refused as PyYAML's safe_load refuses them, not read as plain values.
  // After the first syntax error the parser's further complaints are mostly echoes of it: show the first only.
  const problems = [...doc.errors.slice(0, 1), ...doc.warnings.filter((w) => w.code === 'TAG_RESOLVE_FAILED')];
  if (problems.length > 0) {
    throw new UserErrors(problems.map((e) => `${formatLocation(offsetLocation(source, e.pos[0]))}: ${yamlProblem(e.code, e.message, text.slice(e.pos[0], e.pos[1]))}`));
  }
  refuseCollectionTags(source);
  checkDepth(source);
  checkAliasExpansion(source);
  const targets = aliasTargets(source);
  checkKeys(source, targets);
  applyPythonScalars(doc);
  collapseDuplicateKeys(source);
  flattenMerges(doc, targets);
  return source;
}

/**
 * Merge keys as PyYAML's constructor applies them (flatten_mapping), not as
 * the yaml library does: the merged pairs come first, those of a list of
 * mappings from the last mapping to the first, then the mapping's own
 * pairs; a later pair with the same key sets the value and keeps the first
 * one's place, as a Python dict does. `{<<: [*a, *b], w: 0}` with a = {x, y}
 * and b = {y, z} is {y: a's, z, x, w}. Key order shows in printed dicts,
 * `|list`, `.keys()` and loops. Like PyYAML, a merged mapping is flattened
 * in place, once.
 */
function flattenMerges(doc: Document, targets: AliasTargets): void {
  const flattened = new Set<unknown>();
  const resolve = (node: unknown): unknown => (isAlias(node) ? targets.get(node) : node);
  const isMergeKey = (key: unknown) => isScalar(key) && typeof key.value === 'symbol' && (key as { source?: string }).source === '<<';
  const flatten = (map: unknown): void => {
    if (!isMap(map) || flattened.has(map)) return;
    flattened.add(map);
    if (!map.items.some((pair) => isMergeKey(pair.key))) return;
    const merged: typeof map.items = [];
    const own: typeof map.items = [];
    for (const pair of map.items) {
      if (!isMergeKey(pair.key)) {
        own.push(pair);
        continue;
      }
      const value = resolve(pair.value);
      if (isMap(value)) {
        flatten(value);
        merged.push(...value.items);
      } else if (isSeq(value)) {
        const parts = value.items.map(resolve).filter(isMap);
        for (const part of parts) flatten(part);
        for (const part of parts.reverse()) merged.push(...part.items);
      }
    }
    map.items = [...merged, ...own];
  };
  visit(doc, {
    Map(_key, node) {
      flatten(node);
    },
  });
}

/** The plain JavaScript value of the document (alias bombs were refused when it was parsed). */
export function toValue(source: YamlSource): unknown {
  return source.doc.toJS({ maxAliasCount: -1 });
}

/**
 * The configuration's value: its structure (the ensemble, batches, runs,
 * tasks) as plain objects, and every mapping that is a template value as a
 * `Map`, which keeps what PyYAML keeps and a JavaScript object loses: keys
 * that are numbers, booleans or null (`{1: a}`), and the written order of
 * keys that look like integers.
 */
export function toConfigValue(source: YamlSource): unknown {
  return configStructure(source.doc.toJS({ maxAliasCount: -1, mapAsMap: true }));
}

/** Run fields, or variables: a mapping whose values are template values. */
export function toFieldsValue(source: YamlSource): unknown {
  return fields(source.doc.toJS({ maxAliasCount: -1, mapAsMap: true }));
}

type Obj = Record<string, unknown>;

/** A Map read as structure: string keys, values converted by `value`. */
function object(v: unknown, value: (x: unknown, key: string) => unknown = plainDeep): unknown {
  if (!(v instanceof Map)) return v;
  const out: Obj = {};
  for (const [k, x] of v) out[String(k)] = value(x, String(k));
  return out;
}

function plainDeep(v: unknown): unknown {
  if (v instanceof Map) return object(v, plainDeep);
  if (Array.isArray(v)) return v.map(plainDeep);
  return v;
}

const keep = (v: unknown) => v;
const fields = (v: unknown) => object(v, keep);
const list = (v: unknown, item: (x: unknown) => unknown) => (Array.isArray(v) ? v.map(item) : v);
const taskList = (v: unknown) => list(v, (t) => object(t, (x, k) => (k === 'args' ? plainDeep(x) : x)));

function batch(v: unknown): unknown {
  return object(v, (x, k) => {
    switch (k) {
      case 'vars': return fields(x);
      case 'runs': return list(x, fields);
      case 'matrix': return object(x, keep);
      case 'pre_batch': case 'pre_run': case 'post_run': case 'post_batch': return taskList(x);
      case 'slurm': case 'retry': return plainDeep(x);
      default: return x;
    }
  });
}

function configStructure(root: unknown): unknown {
  return object(root, (ensemble, key) => {
    if (key !== 'ensemble') return plainDeep(ensemble);
    return object(ensemble, (x, k) => {
      switch (k) {
        case 'vars': return fields(x);
        case 'batch_config': return batch(x);
        case 'batches': return list(x, batch);
        case 'pre_process': case 'post_process': return taskList(x);
        default: return plainDeep(x);
      }
    });
  });
}

/**
 * YAML 1.1 types PyYAML builds as Python objects mensemble does not hold:
 * `!!set` (a set, printed in hash order), `!!omap` and `!!pairs` (lists of
 * pairs), `!!binary` (bytes). Refused with their line, never read as
 * something else (the yaml library reads a set as an empty mapping and
 * bytes as a mapping of numbers).
 */
function refuseCollectionTags(source: YamlSource): void {
  const refused: Record<string, string> = {
    'tag:yaml.org,2002:set': 'a Python set',
    'tag:yaml.org,2002:omap': 'a list of key-value pairs',
    'tag:yaml.org,2002:pairs': 'a list of key-value pairs',
    'tag:yaml.org,2002:binary': 'Python bytes',
  };
  visit(source.doc, {
    Node(_key, node) {
      const what = node.tag ? refused[node.tag] : undefined;
      if (!what) return;
      const written = `!!${node.tag!.split(':').pop()}`;
      throw new UserError(`${formatLocation(offsetLocation(source, node.range?.[0] ?? 0))}: the YAML tag \`${written}\` makes ${what} in PyYAML, which mensemble does not reproduce; write a plain list or mapping instead.`);
    },
  });
}

function applyPythonScalars(doc: Document.Parsed): void {
  visit(doc, {
    Scalar(_key, node) {
      // The non-specific tag `!`: PyYAML resolves the text as if written plain, quoted or not (`! "42"` is 42).
      if (node.tag === '!' && typeof node.value === 'string') {
        const resolved = nonSpecificScalar(node.value);
        if (resolved !== undefined) node.value = resolved;
        return;
      }
      if (node.type === 'PLAIN' && typeof node.source === 'string') {
        node.value = pythonScalar(node.value, node.source);
      }
    },
  });
}

/**
 * Keys mensemble cannot read as written, refused with their line: `<<: 5` (or a list holding a non-mapping;
 * `<<` merges mappings, as PyYAML refuses it) and `__proto__`.
 */
type AliasTargets = Map<unknown, unknown>;

/**
 * Each alias's node, found in one walk in document order. (The yaml
 * library's alias.resolve(doc) walks the whole document for each alias:
 * 3,000 runs merging one anchor took 12 s.) An anchor name set twice is
 * refused, as PyYAML's composer refuses it ("found duplicate anchor").
 */
function aliasTargets(source: YamlSource): AliasTargets {
  const anchors = new Map<string, unknown>();
  const targets: AliasTargets = new Map();
  visit(source.doc, {
    Node(_key, node) {
      if (isAlias(node)) targets.set(node, anchors.get(node.source));
      else if (node.anchor) {
        if (anchors.has(node.anchor)) {
          throw new UserError(`${formatLocation(offsetLocation(source, node.range?.[0] ?? 0))}: the anchor \`&${node.anchor}\` is set a second time; PyYAML refuses a document that sets an anchor twice. Give each anchor its own name.`);
        }
        anchors.set(node.anchor, node);
      }
    },
  });
  return targets;
}

function checkKeys(source: YamlSource, targets: AliasTargets): void {
  const isMapping = (node: unknown): boolean => (isAlias(node) ? isMap(targets.get(node)) : isMap(node));
  visit(source.doc, {
    Pair(_key, pair) {
      // A JavaScript object cannot hold this key as a key (it is the object's prototype): refused, never lost.
      if (isScalar(pair.key) && pair.key.value === '__proto__') {
        throw new UserError(`${formatLocation(offsetLocation(source, pair.key.range?.[0] ?? 0))}: the key \`__proto__\` is not one mensemble can hold (it has a meaning of its own in JavaScript); rename it.`);
      }
      // With merge keys on, the parser gives `<<` the value Symbol(<<); its source stays `<<`.
      if (!isScalar(pair.key) || typeof pair.key.value !== 'symbol' || (pair.key as { source?: string }).source !== '<<') return;
      const value = pair.value;
      const ok = isMapping(value) || (isSeq(value) && value.items.every(isMapping));
      if (!ok) {
        const at = isNode(value) && value.range ? value.range[0] : pair.key.range?.[0] ?? 0;
        throw new UserError(`${formatLocation(offsetLocation(source, at))}: a merge key \`<<\` takes a mapping, an alias of one, or a list of them; this one has ${isScalar(value) ? `the value ${JSON.stringify(String(value.source ?? value.value))}` : 'something else'}.`);
      }
    },
  });
}

/**
 * A key written twice in one mapping, as PyYAML's constructor builds its
 * dict: the first key stays, in its place, with the last value. That holds
 * for keys that are equal to Python without being written alike too (`1`,
 * `1.0` and `true` are one dict key there): `{1: a, true: b}` is `{1: b}`.
 */
function collapseDuplicateKeys(source: YamlSource): void {
  visit(source.doc, {
    Map(_key, map) {
      const first = new Map<string, (typeof map.items)[number]>();
      const keep: typeof map.items = [];
      for (const pair of map.items) {
        const python = isScalar(pair.key) ? pythonKey(pair.key.value) : undefined;
        const before = python === undefined ? undefined : first.get(python);
        if (before) {
          before.value = pair.value;
          continue;
        }
        if (python !== undefined && !before) first.set(python, pair);
        keep.push(pair);
      }
      if (keep.length !== map.items.length) map.items = keep;
    },
  });
}

/** A key's identity as a Python dict key: numbers and booleans by numeric value, strings apart. */
function pythonKey(value: unknown): string | undefined {
  if (typeof value === 'string') return `s:${value}`;
  if (typeof value === 'boolean') return `n:${value ? 1 : 0}`;
  if (typeof value === 'number' || typeof value === 'bigint') return `n:${String(value)}`;
  // nan equals nothing, itself included: two `.nan` keys are two dict keys.
  if (value instanceof PyFloat) return Number.isNaN(value.value) ? undefined : `n:${String(value.value)}`;
  if (value === null) return 'None';
  return undefined;
}

function checkDepth(source: YamlSource): void {
  const walk = (node: unknown, depth: number): void => {
    if (depth > MAX_DEPTH) {
      const range = isNode(node) ? node.range : undefined;
      throw new UserError(`${formatLocation(offsetLocation(source, range?.[0] ?? 0))}: the document is nested more than ${MAX_DEPTH} levels deep.`);
    }
    if (isMap(node)) for (const pair of node.items) walk(pair.value, depth + 1);
    else if (isNode(node) && 'items' in node && Array.isArray(node.items)) for (const item of node.items) walk(item, depth + 1);
  };
  walk(source.doc.contents, 0);
}

/**
 * Refuses documents whose aliases expand to more values than any
 * configuration has ("billion laughs"), naming the alias that goes over.
 * Each node's expanded size is computed once, so this is linear in the
 * written document.
 */
function checkAliasExpansion(source: YamlSource): void {
  const sizes = new Map<unknown, number>();
  // An alias names the last anchor of that name before it; the walk is in document order.
  const anchors = new Map<string, unknown>();
  let total = 0;
  const size = (node: unknown): number => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    sizes.set(node, 1); // a node that reaches itself through an alias counts once
    let n = 1;
    if (isAlias(node)) {
      const anchored = anchors.get(node.source);
      if (anchored === undefined) {
        throw new UserError(`${formatLocation(offsetLocation(source, node.range?.[0] ?? 0))}: the alias \`*${node.source}\` names no anchor: \`&${node.source}\` must be set before it.`);
      }
      n = size(anchored);
      if (n > 1) {
        total += n;
        if (total > MAX_EXPANDED_VALUES) {
          throw new UserError(`${formatLocation(offsetLocation(source, node.range?.[0] ?? 0))}: the alias \`*${node.source}\` makes the document expand to more than ${MAX_EXPANDED_VALUES.toLocaleString('en')} values; aliases that expand exponentially ("billion laughs") are refused.`);
        }
      }
    } else {
      if (isNode(node) && node.anchor) anchors.set(node.anchor, node);
      if (isMap(node)) for (const pair of node.items) n += size(pair.key) + size(pair.value);
      else if (isSeq(node)) for (const item of node.items) n += size(item);
    }
    sizes.set(node, n);
    return n;
  };
  size(source.doc.contents);
}

export function offsetLocation(source: YamlSource, offset: number): SourceLocation {
  const { line, col } = source.lineCounter.linePos(offset);
  return { file: source.file, line, column: col };
}

/**
 * Where the value at `path` is written. With `key` set, where the last key
 * of the path is written (for unknown or forbidden keys). Falls back to the
 * nearest ancestor that exists.
 */
export function locate(source: YamlSource, path: KeyPath, key = false): SourceLocation {
  for (let n = path.length; n >= 0; n--) {
    const prefix = path.slice(0, n);
    if (key && n === path.length && n > 0) {
      const parent = prefix.length > 1 ? source.doc.getIn(prefix.slice(0, -1), true) : source.doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(path[n - 1]));
        const keyNode = pair?.key as Node | undefined;
        if (keyNode?.range) return offsetLocation(source, keyNode.range[0]);
      }
    }
    const node = n === 0 ? source.doc.contents : source.doc.getIn(prefix, true);
    if (isNode(node) && node.range) return offsetLocation(source, node.range[0]);
  }
  return { file: source.file, line: 1, column: 1 };
}

/** `ensemble.batches[1].maxjobs` */
export function formatKeyPath(path: KeyPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${part}` : part;
  }
  return out || '(document)';
}

function yamlProblem(code: string, message: string, written: string): string {
  if (code === 'TAG_RESOLVE_FAILED') return `the YAML tag \`${written}\` is not one mensemble reads; a configuration holds plain values (strings, numbers, booleans, lists, mappings), as for PyYAML's safe_load.`;
  if (code === 'MULTIPLE_DOCS') return 'a second YAML document starts here (`---`); a configuration is one document.';
  return `YAML syntax error: ${firstLine(message)}`;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

function lineOfOffset(bytes: Buffer, offset: number): number {
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < offset; i = bytes.indexOf(10, i + 1)) line++;
  return line;
}

function firstInvalidUtf8(bytes: Buffer): number {
  let lo = 0;
  let hi = bytes.length;
  // Binary search for the shortest prefix that fails to decode.
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    try {
      // Streaming mode tolerates a sequence cut at the end, so only real errors throw.
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
      lo = mid + 1;
    } catch {
      hi = mid;
    }
  }
  // The decoder fails at the byte that breaks a sequence; name the byte that began it.
  const at = Math.min(lo, bytes.length - 1);
  for (let back = 1; back <= 3 && at - back >= 0; back++) {
    const b = bytes[at - back]!;
    if (b >= 0xc0) return at - back;
    if (b < 0x80) break;
  }
  return at;
}

import fs from 'node:fs';
import { Document, isMap, isNode, isPair, isScalar, LineCounter, parseDocument, visit, type Node } from 'yaml';
import { UserError, UserErrors, formatLocation, type SourceLocation } from '../util/errors.js';
import { displayPath } from '../util/paths.js';
import { pythonScalar } from './python-values.js';

/** A parsed YAML file that still knows where every value came from. */
export interface YamlSource {
  file: string;
  doc: Document.Parsed;
  lineCounter: LineCounter;
}

export type KeyPath = ReadonlyArray<string | number>;

/** Larger configuration files are certainly a mistake (or an attack); refuse before parsing. */
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;
/** Nesting deeper than this is no configuration anyone writes. */
const MAX_DEPTH = 64;

export function readYamlFile(file: string, what = 'configuration'): YamlSource {
  let bytes: Buffer;
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UserError(`The ${what} ${displayPath(file)} is not a file.`);
    if (stat.size > MAX_CONFIG_BYTES) {
      throw new UserError(`The ${what} ${displayPath(file)} is ${stat.size} bytes; more than ${MAX_CONFIG_BYTES} bytes is not a configuration mensemble will read.`);
    }
    bytes = fs.readFileSync(file);
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`The ${what} ${displayPath(file)} does not exist.`);
    throw new UserError(`Cannot read the ${what} ${displayPath(file)}: ${(err as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const at = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, at).toString('latin1').split('\n').length;
    throw new UserError(`${displayPath(file)}:${line}: the ${what} is not valid UTF-8 (invalid byte 0x${bytes[at]?.toString(16).padStart(2, '0')} at offset ${at}). Save the file as UTF-8.`);
  }
  return parseYamlText(displayPath(file), text);
}

export function parseYamlText(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // YAML 1.1 with merge keys, as PyYAML reads model-ensembler configurations.
  const doc = parseDocument(text, { version: '1.1', merge: true, lineCounter, prettyErrors: false, uniqueKeys: true });
  const source: YamlSource = { file, doc, lineCounter };
  if (doc.errors.length > 0) {
    throw new UserErrors(
      doc.errors.map((e) => `${formatLocation(offsetLocation(source, e.pos[0]))}: YAML syntax error: ${firstLine(e.message)}`),
    );
  }
  checkDepth(source);
  applyPythonScalars(doc);
  return source;
}

/** The plain JavaScript value of the document; alias bombs are refused here. */
export function toValue(source: YamlSource): unknown {
  try {
    return source.doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new UserError(`${source.file}: ${(err as Error).message}. Aliases that expand exponentially ("billion laughs") are refused.`);
  }
}

function applyPythonScalars(doc: Document.Parsed): void {
  visit(doc, {
    Scalar(_key, node) {
      if (node.type === 'PLAIN' && typeof node.source === 'string') {
        node.value = pythonScalar(node.value, node.source);
      }
    },
  });
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

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
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
  return Math.min(lo, bytes.length - 1);
}

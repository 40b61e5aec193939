import fs from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { UserError, formatLocation, type SourceLocation } from '../../util/errors.js';
import { displayPath, isInside } from '../../util/paths.js';
import { JINJA_FILTERS, installJinjaCompat } from './compat.js';

/**
 * Loads templates from one template folder only: `{% include %}` of a file
 * outside it (or through a symlink that leads outside it) is refused.
 * Like Jinja2 (keep_trailing_newline=False), one trailing newline of each
 * template is dropped, so output matches model-ensembler's byte for byte.
 */
class TemplateDirLoader {
  private readonly realRoot: string;
  constructor(private readonly root: string) {
    this.realRoot = fs.existsSync(root) ? fs.realpathSync(root) : root;
  }

  getSource(name: string): { src: string; path: string; noCache: boolean } | null {
    const full = path.resolve(this.root, name);
    if (!isInside(this.root, full)) {
      throw new UserError(`${displayPath(full)}: the template \`${name}\` is outside the template folder ${displayPath(this.root)}; templates may only include files inside it.`);
    }
    if (!fs.existsSync(full)) return null;
    const real = fs.realpathSync(full);
    if (!isInside(this.realRoot, real)) {
      throw new UserError(`${displayPath(full)}: the template \`${name}\` is a link to ${real}, outside the template folder ${displayPath(this.root)}.`);
    }
    const src = fs.readFileSync(full, 'utf8');
    return { src: src.replace(/\r?\n$/, ''), path: full, noCache: false };
  }
}

export type TemplateEnvironment = nunjucks.Environment;

export function createEnvironment(templatedir: string): TemplateEnvironment {
  installJinjaCompat();
  const env = new nunjucks.Environment(new TemplateDirLoader(templatedir) as unknown as nunjucks.ILoader, {
    autoescape: false,
    throwOnUndefined: true,
  });
  for (const [name, fn] of Object.entries(JINJA_FILTERS)) env.addFilter(name, fn);
  return env;
}

/** Renders a template file (relative to the environment's folder). */
export function renderFile(env: TemplateEnvironment, name: string, context: object): string {
  try {
    return env.render(name, context);
  } catch (err) {
    throw templateError(err, name);
  }
}

/**
 * A template written inline in the configuration (for example `run_id`).
 * `at` is where the configuration writes it; errors name that place.
 */
export function compileInline(env: TemplateEnvironment, text: string, where: string, at?: SourceLocation): (context: object) => string {
  const inline = { text, at };
  let template: nunjucks.Template;
  try {
    template = new nunjucks.Template(text, env, where, true);
  } catch (err) {
    throw templateError(err, where, inline);
  }
  return (context) => {
    try {
      return template.render(context);
    } catch (err) {
      throw templateError(err, where, inline);
    }
  };
}

/**
 * Turns a Nunjucks error into one paragraph naming the template file, line,
 * column and, for undefined values, the expression that was undefined.
 */
/** The loader's refusal of an include that leads outside the template folder; reported at the including line. */
const OUTSIDE = /the template `([^`]*)` (is outside the template folder|is a link to)/;

function templateError(err: unknown, name: string, inline?: { text: string; at?: SourceLocation }): UserError {
  const inlineSource = inline?.text;
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof UserError && !OUTSIDE.test(message)) return err;
  const pathMatch = /^\(([^)]*)\)/.exec(message);
  const file = pathMatch && pathMatch[1] !== 'unknown path' ? pathMatch[1]! : name;
  const where = /\[Line (\d+), Column (\d+)\]/.exec(message);
  const detail = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\(.*\)( \[Line \d+, Column \d+\])?$/.test(l))
    .map((l) => l.replace(/^(Template render error: \([^)]*\)|Error: )/, '').trim())
    .filter(Boolean)
    .pop() ?? message;
  const source = inlineSource ?? readSafely(file);
  const shown = inlineSource !== undefined ? name : displayPath(file);
  // Inline templates are shown where the configuration writes them; template files by their own line and column.
  const place = (line?: number, column?: number): string =>
    inline?.at ? `${formatLocation(inline.at)}: ${name}` : `${shown}${line === undefined ? '' : `:${line}`}${column === undefined ? '' : `:${column}`}`;
  const outside = OUTSIDE.exec(message);
  if (outside && source !== undefined) {
    const lineNo = source.split('\n').findIndex((l) => l.includes(outside[1]!));
    const rest = message.slice(message.indexOf(outside[0]!) + outside[0]!.length - outside[2]!.length).split('\n')[0]!;
    return new UserError(`${place(lineNo + 1, (source.split('\n')[lineNo]?.indexOf(outside[1]!) ?? 0) + 1)}: the included template \`${outside[1]}\` ${rest}`);
  }
  if (where) {
    const line = Number(where[1]);
    const column = Number(where[2]);
    if (/undefined value/.test(detail) && source !== undefined) {
      const expression = expressionAt(source, line, column);
      return new UserError(`${place(line, column)}: \`${expression}\` is undefined: no level of the configuration (ensemble vars, batch_config, the batch, the run, generated keys, -x) defines it.`);
    }
    return new UserError(`${place(line, column)}: template error: ${detail}`);
  }
  // Nunjucks gives no position for what runs off the end of the file: find the opener left unclosed.
  const open = source !== undefined && /expected (variable|block) end|end of file|unexpected end/i.test(detail) ? unclosedAt(source) : undefined;
  if (open) return new UserError(`${place(open.line, open.column)}: template error: ${detail} (\`${open.what}\` here is never closed).`);
  const filter = /filter not found: (\S+)/.exec(detail);
  if (filter && source !== undefined) {
    const lineNo = source.split('\n').findIndex((l) => new RegExp(`\\|\\s*${filter[1]}\\b`).test(l));
    if (lineNo >= 0) return new UserError(`${place(lineNo + 1)}: template error: unknown filter \`${filter[1]}\`.`);
  }
  return new UserError(`${place()}: template error: ${detail}`);
}

/** The first `{{`/`{%`/`{#` without its closer, else the innermost block tag (`{% if %}`, `{% for %}`...) without its end tag. */
export function unclosedAt(source: string): { line: number; column: number; what: string } | undefined {
  const at = (index: number) => {
    const before = source.slice(0, index).split('\n');
    return { line: before.length, column: before[before.length - 1]!.length + 1 };
  };
  const closers: Record<string, string> = { '{{': '}}', '{%': '%}', '{#': '#}' };
  const blocks: Array<{ name: string; index: number }> = [];
  const tag = /\{\{|\{%-?|\{#/g;
  for (let m = tag.exec(source); m; m = tag.exec(source)) {
    const opener = m[0].slice(0, 2);
    const close = source.indexOf(closers[opener]!, m.index + 2);
    if (close < 0) return { ...at(m.index), what: opener };
    if (opener === '{%') {
      const word = /^\s*-?\s*(\w+)/.exec(source.slice(m.index + 2, close))?.[1] ?? '';
      if (/^(if|for|macro|block|call|filter|raw|set)$/.test(word) && !(word === 'set' && source.slice(m.index, close).includes('='))) blocks.push({ name: word, index: m.index });
      else if (word.startsWith('end') && blocks.length > 0 && blocks[blocks.length - 1]!.name === word.slice(3)) blocks.pop();
    }
    tag.lastIndex = close + 2;
  }
  const last = blocks.pop();
  return last ? { ...at(last.index), what: `{% ${last.name}` } : undefined;
}

function readSafely(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** The text of the `{{ ... }}` expression that starts at (line, column). */
function expressionAt(source: string, line: number, column: number): string {
  const text = source.split('\n')[line - 1] ?? '';
  const open = text.lastIndexOf('{{', column);
  const start = open >= 0 ? open + 2 : column - 1;
  const close = text.indexOf('}}', start);
  const inner = text.slice(start, close >= 0 ? close : undefined).trim().replace(/^-|-$/g, '').trim();
  return inner || text.trim();
}

/**
 * The template environment of one template folder: mensemble's own Jinja2
 * (lexer, parser and renderer over Python values in this folder), with
 * model-ensembler's settings (no autoescape, one final newline dropped, CRLF
 * read as LF) and one deliberate difference: an undefined value is an error
 * with file:line:column, not empty text. Includes and imports are our
 * extension (model-ensembler has no loader), with FileSystemLoader's rules,
 * confined to the template folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError, formatLocation, type SourceLocation } from '../../util/errors.js';
import { displayPath, isInside } from '../../util/paths.js';
import type { Expr, Stmt, TemplateAst } from './ast.js';
import { TemplateError, TemplateRuntimeError, TemplateSyntaxError, UnsupportedConstruct } from './errors.js';
import { FILTERS } from './filters.js';
import { templateVariables } from './from-config.js';
import { parseTemplate } from './parser.js';
import { IncludedTemplateError, Renderer, type LoadedTemplate } from './runtime.js';
import { TESTS } from './tests.js';
import type { Value } from './values.js';

/** Changes whenever what a template renders to may change, so memoised render hashes are not trusted across versions. */
export const TEMPLATE_ENGINE_VERSION = 'mensemble-jinja2-1';

export interface TemplateEnvironment {
  readonly dir: string;
  readonly realDir: string;
  /** Parsed templates by name; a failed parse is remembered as its error. */
  readonly cache: Map<string, LoadedTemplate | TemplateError>;
}

export function createEnvironment(templatedir: string): TemplateEnvironment {
  return { dir: templatedir, realDir: fs.existsSync(templatedir) ? fs.realpathSync(templatedir) : templatedir, cache: new Map() };
}

/** A refusal of the loader, raised where the include names the template. */
class OutsideTemplateFolder extends TemplateRuntimeError {}

function load(env: TemplateEnvironment, name: string): LoadedTemplate | null {
  const cached = env.cache.get(name);
  // Only errors need the displayed name: computing it for every render of every run is measurable.
  const shown = () => displayPath(path.join(env.dir, name));
  if (cached instanceof TemplateError) throw new IncludedTemplateError(shown(), cached);
  if (cached) return cached;
  const full = path.resolve(env.dir, name);
  if (!isInside(env.dir, full)) throw new OutsideTemplateFolder(`the included template \`${name}\` is outside the template folder ${displayPath(env.dir)}; templates may only include files inside it`);
  if (!fs.existsSync(full) || !fs.statSync(full).isFile()) return null;
  const real = fs.realpathSync(full);
  if (!isInside(env.realDir, real)) throw new OutsideTemplateFolder(`the included template \`${name}\` is a link to ${real}, outside the template folder ${displayPath(env.dir)}`);
  const source = fs.readFileSync(full, 'utf8');
  try {
    const template = { name, ast: checked(parseTemplate(source)) };
    env.cache.set(name, template);
    return template;
  } catch (err) {
    if (err instanceof TemplateError) {
      explainEndOfTemplate(err, source);
      env.cache.set(name, err);
      throw new IncludedTemplateError(shown(), err);
    }
    throw err;
  }
}

/** A template that ends inside a tag or block: say which opener is never closed, and point at it. */
function explainEndOfTemplate(err: TemplateError, source: string): void {
  if (!(err instanceof TemplateSyntaxError) || !/end of template/i.test(err.message)) return;
  const open = unclosedAt(source);
  if (!open) return;
  err.message = `${err.message.replace(/\.$/, '')} (\`${open.what}\` here is never closed)`;
  err.position = { line: open.line, column: open.column };
}

/**
 * Jinja2 refuses an unknown filter or test when it compiles a template,
 * except where its compiler works in a "soft" frame: an `if` (its tests and
 * branches) and an inline if-expression. There the error waits until the
 * filter runs, so a branch never taken may name one (`{% if false %}{{ x |
 * nosuch }}{% endif %}` renders). Loop, macro, call, filter, with and block
 * bodies open frames of their own, which are not soft again. So do we.
 */
function checked(ast: TemplateAst): TemplateAst {
  const visit = (node: unknown, soft: boolean): void => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      for (const item of node) visit(item, soft);
      return;
    }
    const n = node as Expr | Stmt;
    if (!soft && n.kind === 'filter' && !Object.hasOwn(FILTERS, n.name)) throw new TemplateSyntaxError(`unknown filter \`${n.name}\` (Jinja2 has no filter of that name)`, n.at);
    if (!soft && n.kind === 'test' && !Object.hasOwn(TESTS, n.name)) throw new TemplateSyntaxError(`unknown test \`${n.name}\` (Jinja2 has no test of that name)`, n.at);
    switch (n.kind) {
      case 'if':
      case 'condexpr':
        for (const [key, value] of Object.entries(n)) if (key !== 'at') visit(value, true);
        return;
      case 'for':
        visit(n.iter, soft);
        visit(n.else_, soft);
        visit(n.body, false);
        visit(n.test, false);
        return;
      case 'with':
        visit(n.values, soft);
        visit(n.body, false);
        return;
      case 'callblock':
        visit(n.call, soft);
        visit(n.defaults, false);
        visit(n.body, false);
        return;
      case 'macro':
      case 'filterblock':
      case 'assignblock':
      case 'block':
        for (const [key, value] of Object.entries(n)) if (key !== 'at') visit(value, false);
        return;
    }
    for (const [key, value] of Object.entries(node)) if (key !== 'at') visit(value, soft);
  };
  visit(ast.body, false);
  return ast;
}

const contextCache = new WeakMap<object, Map<string, Value>>();

/** The Python variables of a context object, converted once however many templates a run renders. */
function variablesOf(context: object): Map<string, Value> {
  let vars = contextCache.get(context);
  if (!vars) {
    vars = templateVariables(context);
    contextCache.set(context, vars);
  }
  return vars;
}

/** Renders a template file (relative to the environment's folder). */
export function renderFile(env: TemplateEnvironment, name: string, context: object): string {
  const shown = () => displayPath(path.join(env.dir, name));
  let template: LoadedTemplate | null;
  try {
    template = load(env, name);
  } catch (err) {
    throw describe(err, shown());
  }
  if (!template) throw new UserError(`${shown()}: the template does not exist.`);
  try {
    return new Renderer((n) => load(env, n)).render(template.ast, variablesOf(context)).text;
  } catch (err) {
    throw describe(err, shown());
  }
}

/**
 * A template written inline in the configuration (for example `run_id`).
 * `at` is where the configuration writes it; errors name that place.
 */
export function compileInline(env: TemplateEnvironment, text: string, where: string, at?: SourceLocation): (context: object) => string {
  // Built only for an error: the location may be found only when read (config/source.ts's lazyLocation).
  const place = () => (at ? `${formatLocation(at)}: ${where}` : where);
  let ast: TemplateAst;
  try {
    ast = checked(parseTemplate(text));
  } catch (err) {
    if (err instanceof TemplateError) explainEndOfTemplate(err, text);
    throw describe(err, place(), true);
  }
  return (context) => {
    try {
      return new Renderer((n) => load(env, n)).render(ast, templateVariables(context)).text;
    } catch (err) {
      throw describe(err, place(), true);
    }
  };
}

/** One paragraph naming the template, line and column, and what went wrong. */
function describe(err: unknown, shown: string, inline = false): Error {
  if (err instanceof UserError) return err;
  if (err instanceof IncludedTemplateError) {
    // An error inside an included template names that template, and is not wrapped twice.
    return describe(err.inner, err.templateName);
  }
  if (!(err instanceof TemplateError)) return err instanceof Error ? err : new Error(String(err));
  const p = err.position;
  const where = inline ? shown : `${shown}${p ? `:${p.line}:${p.column}` : ''}`;
  if (err instanceof OutsideTemplateFolder) return new UserError(`${where}: ${err.message}.`);
  if (err instanceof UnsupportedConstruct) {
    return new UserError(`${where}: ${err.message}. mensemble refuses what it cannot render exactly as Jinja2 does (model-ensembler's renderer); write the template another way.`);
  }
  const message = err.message.replace(/\.$/, '');
  if (/ is undefined/.test(message) && !/^TypeError/.test(message)) return new UserError(`${where}: ${message}.`);
  return new UserError(`${where}: template error: ${message}.`);
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
      if (/^(if|for|macro|block|call|filter|raw|set|with)$/.test(word) && !(word === 'set' && source.slice(m.index, close).includes('='))) blocks.push({ name: word, index: m.index });
      else if (word.startsWith('end') && blocks.length > 0 && blocks[blocks.length - 1]!.name === word.slice(3)) blocks.pop();
    }
    tag.lastIndex = close + 2;
  }
  const last = blocks.pop();
  return last ? { ...at(last.index), what: `{% ${last.name}` } : undefined;
}

// The template fuzzer's grammar: random but well-formed run fields (YAML 1.1
// as PyYAML's full loader reads it) and templates over them (expressions,
// filters, tests, methods, statements, whitespace control). A template is a
// tree of nodes, so that a case that differs can be shrunk by replacing a
// node with one of its children (shrink.ts).
import { Random } from '../../random.js';

/** A piece of template text made of literal text and child nodes. */
export class Node {
  constructor(readonly parts: ReadonlyArray<string | Node>) {}

  get kids(): Node[] {
    return this.parts.filter((p): p is Node => p instanceof Node);
  }

  text(): string {
    return this.parts.map((p) => (typeof p === 'string' ? p : p.text())).join('');
  }

  /** This node with its `index`-th child replaced. */
  withKid(index: number, kid: Node): Node {
    let seen = -1;
    return new Node(this.parts.map((p) => (p instanceof Node && ++seen === index ? kid : p)));
  }
}

const n = (...parts: Array<string | Node>) => new Node(parts);

export type Type = 'int' | 'float' | 'str' | 'bool' | 'list' | 'dict' | 'none' | 'date' | 'any';

/** A run field: its name, its YAML text, and the type PyYAML gives it (`any` when unsure). */
export interface Field {
  key: string;
  yaml: string;
  type: Type;
}

export interface Case {
  fields: Field[];
  /** YAML written before the fields (anchors for merge keys). */
  prelude: string;
  body: Node;
}

export function varsText(c: Pick<Case, 'fields' | 'prelude'>): string {
  return `${c.prelude}${c.fields.map((f) => `${f.key}: ${f.yaml}\n`).join('')}`;
}

// YAML 1.1 scalars as PyYAML reads them: the type is what its resolver gives.
const SCALARS: ReadonlyArray<readonly [string, Type]> = [
  ['0', 'int'], ['1', 'int'], ['-3', 'int'], ['42', 'int'], ['7', 'int'], ['1234567890123456789012', 'int'], ['-98765432109876543210', 'int'],
  ['0x1f', 'int'], ['017', 'int'], ['1_000', 'int'], ['1:30', 'int'], ['0b101', 'int'], ['+12', 'int'],
  ['1.5', 'float'], ['0.1', 'float'], ['-0.0', 'float'], ['1.0e-5', 'float'], ['1.0e+16', 'float'], ['.5', 'float'], ['3.', 'float'], ['2.5', 'float'],
  ['1e-5', 'str'], ['1.0e5', 'str'], ['123456789.125', 'float'], ['0.3333333333333333', 'float'], ['1.0e+300', 'float'], ['-2.75', 'float'], ['.inf', 'float'], ['-.inf', 'float'], ['.nan', 'float'],
  ['hello', 'str'], ['"a b"', 'str'], ["'it''s'", 'str'], ['é', 'str'], ['"Grüße"', 'str'], ['"ǆemal"', 'str'], ['"ﬁne"', 'str'], ['"ΣΑΣ"', 'str'], ['"x y z"', 'str'], ['"  padded "', 'str'], ['""', 'str'], ['"42"', 'str'], ['"a,b,c"', 'str'], ['abc_DEF', 'str'],
  ['yes', 'bool'], ['no', 'bool'], ['on', 'bool'], ['off', 'bool'], ['true', 'bool'], ['False', 'bool'],
  ['null', 'none'], ['~', 'none'],
  ['2020-01-02', 'date'], ['1999-12-31', 'date'], ['2001-12-14t21:59:43.10-05:00', 'date'], ['2001-12-14 21:59:43.10 -5', 'date'], ['2002-12-14', 'date'], ['2020-01-02 03:04:05', 'date'],
];

const LISTS: readonly string[] = ['[1, 2, 3]', '[3, 1, 2]', '[1.5, 2, -1]', '[a, b, c]', '[b, a, c, a]', '[]', '[1, [2, 3]]', '[0, yes, null]', '[10, 9, 100]', '["x", "Y", "z"]'];
const DICTS: readonly string[] = ['{a: 1, b: 2}', '{b: 1, a: 2}', '{2: x, 10: y}', '{name: ocean, years: 10}', '{x: 1.5, y: [1, 2]}', '{}'];

function field(random: Random, key: string): Field {
  const roll = random.int(10);
  if (roll < 7) {
    const [yaml, type] = random.pick(SCALARS);
    return { key, yaml, type };
  }
  if (roll < 9) return { key, yaml: random.pick(LISTS), type: 'list' };
  return { key, yaml: random.pick(DICTS), type: 'dict' };
}

/** Fields, and sometimes mappings built with merge keys (`<<`), whose key order PyYAML decides. */
function fields(random: Random): Pick<Case, 'fields' | 'prelude'> {
  const out: Field[] = [];
  const count = 2 + random.int(5);
  for (let i = 0; i < count; i++) out.push(field(random, `k${i}`));
  if (random.int(4) === 0) {
    // Anchors first (document order), the merged mapping last.
    out.unshift({ key: 'base1', yaml: '&b1 {x: 1, y: 2}', type: 'dict' }, { key: 'base2', yaml: '&b2 {y: 20, z: 30}', type: 'dict' });
    const merge = random.pick(['{<<: *b1, w: 0}', '{w: 0, <<: *b1}', '{<<: [*b1, *b2], w: 0}', '{<<: [*b2, *b1]}', '{x: 9, <<: [*b1, *b2]}']);
    out.push({ key: 'merged', yaml: merge, type: 'dict' });
  }
  return { fields: out, prelude: '' };
}

const INT_LITERALS = ['0', '1', '2', '3', '-4', '7', '10', '12345678901234567890', '255'];
const FLOAT_LITERALS = ['0.1', '0.5', '1.5', '2.0', '-0.0', '1e-5', '1.0e16', '3.14159', '100.0', '0.2', '1.05', '1e300', '6.02e23', '-2.5'];
const STR_LITERALS = ["'abc'", "'A b'", '"x"', "''", "'é'", "'ß'", "'%s'", "'{}'", "'a,b'", "' pad '", "'Hello World'", "'ǆ'", "'ﬁ'"];

/** Expression generator: each type has a few forms; depth bounds the tree. */
class Expressions {
  constructor(
    private readonly random: Random,
    readonly fields: readonly Field[],
    private readonly locals: Map<string, Type>,
  ) {}

  private variable(type: Type): Node | undefined {
    const candidates = this.fields.filter((f) => f.type === type || (type === 'any' && f.type !== 'any'));
    const locals = [...this.locals].filter(([, t]) => t === type || type === 'any');
    if (candidates.length === 0 && locals.length === 0) return undefined;
    if (locals.length > 0 && (candidates.length === 0 || this.random.int(2) === 0)) return n(this.random.pick(locals)[0]);
    return n(`run.${this.random.pick(candidates).key}`);
  }

  expr(type: Type, depth: number): Node {
    const r = this.random;
    if (type === 'any') type = r.pick(['int', 'float', 'str', 'bool', 'list', 'dict', 'int', 'float', 'str']);
    if (depth <= 0 || r.int(4) === 0) {
      const v = r.int(2) === 0 ? this.variable(type) : undefined;
      if (v) return v;
      return this.literal(type);
    }
    const d = depth - 1;
    const e = (t: Type) => this.expr(t, d);
    switch (type) {
      case 'int':
        return r.pick<() => Node>([
          () => n('(', e('int'), ' + ', e('int'), ')'),
          () => n('(', e('int'), ' - ', e('int'), ')'),
          () => n('(', e('int'), ' * ', e('int'), ')'),
          () => n('(', e('int'), ' // ', r.pick(['3', '-2', '7']), ')'),
          () => n('(', e('int'), ' % ', r.pick(['3', '-2', '7', '10']), ')'),
          () => n('(', r.pick(['2', '3', '-2', '10', '7']), ' ** ', r.pick(['0', '1', '2', '3', '5', '10']), ')'),
          () => n('(', e('any'), ' | length)'),
          () => n('(', e('float'), ' | int)'),
          () => n('(', e('str'), ' | int)'),
          () => n('(', e('int'), ' | abs)'),
          () => n('(', e('list'), ' | sum)'),
          () => n('(', e('int'), ' | round | int)'),
          () => n('-', e('int')),
          () => n('(range(', r.pick(['3', '5', '1, 10', '10, 0, -3']), ') | list | length)'),
          () => n('(', e('list'), ' | count)'),
          () => n('(', e('str'), ' | wordcount)'),
          () => n('((', e('list'), ').index(', e('any'), '))'),
          () => n('((range(10) | list).index(', e('int'), ', ', r.pick(['1', '2', '-3']), '))'),
          () => n('(run | length)'),
          () => n('(', e('list'), " | select('odd') | length)"),
          () => n('(', e('list'), " | map('string') | length)"),
          () => n('((', e('date'), ' - ', e('date'), ').days)'),
          () => n('((', e('date'), ' - ', e('date'), ').seconds)'),
          () => n('(', e('date'), '.year)'),
        ])();
      case 'float':
        return r.pick<() => Node>([
          () => n('(', e('float'), ' + ', e('float'), ')'),
          () => n('(', e('float'), ' - ', e('int'), ')'),
          () => n('(', e('float'), ' * ', e('float'), ')'),
          () => n('(', e('int'), ' / ', r.pick(['3', '7', '-4', '10', '1.5']), ')'),
          () => n('(', e('float'), ' / ', r.pick(['3', '7.0', '-4', '0.1']), ')'),
          () => n('(', e('float'), ' // ', r.pick(['3', '0.5', '-2']), ')'),
          () => n('(', e('float'), ' % ', r.pick(['3', '0.5', '-2']), ')'),
          () => n('(', r.pick(['10', '2', '10.0', '1.05', '0.5', '3', '7.5', '1.1']), ' ** ', r.pick(['-5', '-4', '0.5', '-0.5', '1.5', '10', '2.5', '-2', '0.25', '3']), ')'),
          () => n('(', e('float'), ' ** ', r.pick(['2', '3', '0.5', '1.5', '-1']), ')'),
          () => n('(', e('any'), ' | float)'),
          () => n('(', e('float'), ' | round(', r.pick(['0', '1', '2', '3']), '))'),
          () => n('(', e('float'), " | round(", r.pick(['0', '1', '2']), ", '", r.pick(['floor', 'ceil', 'common']), "'))"),
          () => n('(', e('float'), ' | abs)'),
          () => n('-', e('float')),
          () => n('(', e('list'), ' | sum(start=0.5))'),
        ])();
      case 'str':
        return r.pick<() => Node>([
          () => n('(', e('str'), ' ~ ', e('any'), ')'),
          () => n('(', e('str'), ' + ', e('str'), ')'),
          () => n('(', e('any'), ' | string)'),
          () => n('(', e('str'), ' | ', r.pick(['upper', 'lower', 'title', 'capitalize', 'trim', 'reverse']), ')'),
          () => n('(', e('str'), '.', r.pick(['upper', 'lower', 'title', 'strip', 'swapcase', 'capitalize', 'casefold']), '())'),
          () => n("('%d' | format(", e('int'), '))'),
          () => n("('", r.pick(['%.3f', '%8.2f', '%e', '%g', '%08.2f', '%.1e', '%5.1f%%']), "' | format(", e('float'), '))'),
          () => n("('%s-%s' | format(", e('any'), ', ', e('any'), '))'),
          () => n("('", r.pick(['{}', '{:>8}', '{:.2f}', '{:,}', '{:010}', '{!r}', '{:e}', '{:g}']), "'.format(", e(r.pick(['int', 'float'])), '))'),
          () => n('(', e('list'), " | join('", r.pick([',', ' ', '-', '']), "'))"),
          () => n('(', e('str'), "[", r.pick(['1:3', '::-1', ':2', '-2:', '0']), '])'),
          () => n('(', e('str'), " | replace('", r.pick(['a', 'l', ' ', 'é']), "', '", r.pick(['X', '', '--']), "'))"),
          () => n('(', e('str'), ' | center(', r.pick(['9', '10', '3']), '))'),
          () => n('(', e('str'), ' * ', r.pick(['2', '3', '0']), ')'),
          () => n('(', e('str'), ".split(", r.pick(["", "','", "' '"]), ") | join('|'))"),
          () => n('(', e('str'), ' | truncate(', r.pick(['5', '9', '20']), '))'),
          () => n('(', e('any'), ' | tojson)'),
          () => n('(', e('dict'), ' | dictsort | string)'),
          () => n('(', e('bool'), " | string)"),
          () => n('(', e('str'), " if ", e('bool'), " else ", e('str'), ')'),
          () => n('(', e(r.pick(['int', 'float'])), ' | filesizeformat', r.pick(['', '(true)']), ')'),
          () => n('((range(', r.pick(['1, 11', '10', '0, 20, 3', '5, 0, -1']), ')[', r.pick(['1:', '::2', '2:5', '::-1']), ']) | string)'),
          () => n('(range(', r.pick(['3', '1, 4']), ') == range(', r.pick(['3', '0, 3', '1, 4']), ')) | string'),
          () => n('(', e('date'), '.isoformat(', r.pick(['', "sep=' '", "timespec='minutes'"]), '))'),
          () => n('(', e('date'), '.replace(year=', r.pick(['2000', '1999']), ') | string)'),
          () => n('((', e('date'), ' - ', e('date'), ') | string)'),
          () => n('([', e('date'), ' - ', e('date'), '] | string)'),
          () => n("(run._fields | join(','))"),
          () => n('(', e('list'), " | select('odd') | string)"),
          () => n('(', e('list'), ' | reverse | string)'),
        ])();
      case 'bool':
        return r.pick<() => Node>([
          () => n('(', e('int'), r.pick([' < ', ' == ', ' != ', ' >= ']), e('float'), ')'),
          () => n('(', e('str'), r.pick([' < ', ' == ', ' != ']), e('str'), ')'),
          () => n('(', e('int'), ' is ', r.pick(['even', 'odd', 'number', 'integer', 'float', 'divisibleby(3)']), ')'),
          () => n('(', e('any'), ' is ', r.pick(['string', 'number', 'sequence', 'mapping', 'iterable', 'none', 'boolean', 'defined', 'true', 'false']), ')'),
          () => n('(', e('int'), ' in ', e('list'), ')'),
          () => n('(', e('str'), ' in ', e('str'), ')'),
          () => n('(not ', e('any'), ')'),
          () => n('(', e('any'), ' and ', e('any'), ')'),
          () => n('(', e('any'), ' or ', e('any'), ')'),
          () => n('(', e('str'), ".startswith(", e('str'), '))'),
          () => n('(', e('float'), ' == ', e('int'), ')'),
          () => n('(', e('list'), ' == ', e('list'), ')'),
          () => n('(', e('date'), r.pick([' == ', ' != ', ' < ', ' >= ']), e('date'), ')'),
          () => n('(', e('date'), ' in [', e('date'), '])'),
        ])();
      case 'list':
        return r.pick<() => Node>([
          () => n('[', e('any'), ', ', e('any'), ']'),
          () => n('(', e('list'), ' + ', e('list'), ')'),
          () => n('(', e('list'), ' | sort)'),
          () => n('(', e('list'), ' | sort(reverse=true))'),
          () => n('(', e('list'), ' | reverse | list)'),
          () => n('(', e('list'), ' | unique | list)'),
          () => n('(', e('list'), " | select('", r.pick(['odd', 'even', 'number', 'string', 'defined']), "') | list)"),
          () => n('(', e('list'), " | reject('", r.pick(['odd', 'none', 'string']), "') | list)"),
          () => n('(', e('list'), " | map('", r.pick(['string', 'int', 'float', 'upper', 'abs']), "') | list)"),
          () => n('(range(', r.pick(['4', '2, 8', '10, 0, -3', '0']), ') | list)'),
          () => n('(', e('list'), '[', r.pick(['1:', ':2', '::-1', '1::2', '-2:']), '])'),
          () => n('(', e('list'), ' | batch(2) | list)'),
          () => n('(', e('list'), ' | slice(2) | list)'),
          () => n('(', e('dict'), ' | list)'),
          () => n('(', e('dict'), ' | dictsort)'),
          () => n('(', e('str'), ' | list)'),
          () => n('(', e('dict'), '.items() | list)'),
          () => n('(', e('list'), ' * 2)'),
        ])();
      case 'dict':
        return r.pick<() => Node>([
          () => n('{', r.pick(["'a'", "'b'", '1', "'k'"]), ': ', e('any'), ', ', r.pick(["'c'", '2', "'a'"]), ': ', e('any'), '}'),
          () => n('dict(', r.pick(['x', 'y']), '=', e('any'), ')'),
        ])();
      default:
        return this.literal(type);
    }
  }

  literal(type: Type): Node {
    const r = this.random;
    switch (type) {
      case 'int':
        return n(r.pick(INT_LITERALS));
      case 'float':
        return n(r.pick(FLOAT_LITERALS));
      case 'str':
        return n(r.pick(STR_LITERALS));
      case 'bool':
        return n(r.pick(['true', 'false', 'True', 'none']));
      case 'list':
        return n(r.pick(['[1, 2, 3]', "['b', 'a']", '[2.5, -1, 0]', '[]', '(1, 2)', "[1, 'x', none]"]));
      case 'dict':
        return n(r.pick(["{'a': 1}", "{'b': 2, 'a': 1}", '{}', "{1: 'x', 'y': [1]}"]));
      case 'date':
        return this.variable('date') ?? n('none');
      case 'none':
        return n('none');
      default:
        return n('0');
    }
  }
}

/** Statements and text around the expressions, with every form of whitespace control. */
function block(random: Random, x: Expressions, locals: Map<string, Type>, depth: number): Node {
  const dash = () => random.pick(['', '', '-']);
  const open = (tag: string) => `{%${dash()} ${tag} ${dash()}%}`;
  const text = () => random.pick(['', ' ', '\n', 'x = ', ', ', '\n  ', ' | ', 'a\nb']);
  const parts: Array<string | Node> = [];
  for (let i = 1 + random.int(3); i > 0; i--) {
    parts.push(text());
    const roll = depth > 0 ? random.int(10) : 0;
    if (roll <= 5) parts.push(n(`{{${dash()} `, x.expr('any', 3), ` ${dash()}}}`));
    else if (roll === 6) {
      const name = `v${locals.size}`;
      const type = random.pick<Type>(['int', 'float', 'str', 'list']);
      parts.push(n(open(`set ${name} =`).replace(` ${dash()}%}`, ' '), x.expr(type, 2), ` ${dash()}%}`));
      locals.set(name, type);
    } else if (roll === 7) {
      const name = `item${depth}`;
      const inner = new Map(locals).set(name, 'any');
      const innerX = new Expressions(random, x.fields, inner);
      const looped = random.pick(['loop.index', 'loop.first', 'loop.last', 'loop.revindex0', 'loop.length', name, `${name} | string`]);
      parts.push(n(open(`for ${name} in`).replace(/ -?%\}$/, ' '), x.expr('list', 2), ` ${dash()}%}`, `{{ ${looped} }}`, block(random, innerX, inner, depth - 1), open('endfor')));
    } else if (roll === 8) {
      parts.push(n('{%', dash(), ' if ', x.expr('bool', 2), ` ${dash()}%}`, block(random, x, locals, depth - 1), open('else'), block(random, x, locals, depth - 1), open('endif')));
    } else {
      parts.push(n('{{ ', x.expr('any', 2), ' if ', x.expr('bool', 1), ' }}'));
    }
  }
  parts.push(text());
  return new Node(parts);
}

export function generate(random: Random): Case {
  const f = fields(random);
  const locals = new Map<string, Type>();
  const x = new Expressions(random, f.fields, locals);
  return { ...f, body: block(random, x, locals, 2) };
}

/**
 * Jinja2's parser (3.1), written from its grammar: the same precedence
 * (condexpr < or < and < not < compare < + - < ~ < * / // % < ** < unary,
 * with filters, tests, calls, attributes and subscripts binding tightest),
 * the same statements, and the same syntax errors. Constructs that parse in
 * Jinja2 but that mensemble does not render exactly like it are refused here
 * with their position (UnsupportedConstruct), before anything is rendered.
 */
import type { BinaryOp, CallArgs, CompareOp, Expr, Stmt, Target, TemplateAst } from './ast.js';
import { TemplateSyntaxError, UnsupportedConstruct, type TemplatePosition } from './errors.js';
import { tokenize, type Token, type TokenType } from './lexer.js';

type FilterExpr = Extract<Expr, { kind: 'filter' }>;
type CallExpr = Extract<Expr, { kind: 'call' }>;

const COMPARE: ReadonlySet<string> = new Set(['eq', 'ne', 'lt', 'lteq', 'gt', 'gteq']);
const MATH1: Record<string, 'add' | 'sub'> = { add: 'add', sub: 'sub' };
const MATH2: Record<string, 'mul' | 'div' | 'floordiv' | 'mod'> = { mul: 'mul', div: 'div', floordiv: 'floordiv', mod: 'mod' };
const POW: Record<string, 'pow'> = { pow: 'pow' };

const DESCRIBE: Partial<Record<TokenType, string>> = {
  add: '+', sub: '-', div: '/', floordiv: '//', mul: '*', mod: '%', pow: '**', tilde: '~',
  lbracket: '[', rbracket: ']', lparen: '(', rparen: ')', lbrace: '{', rbrace: '}',
  eq: '==', ne: '!=', gt: '>', gteq: '>=', lt: '<', lteq: '<=', assign: '=', dot: '.', colon: ':', pipe: '|', comma: ',', semicolon: ';',
  variable_begin: 'begin of print statement', variable_end: 'end of print statement',
  block_begin: 'begin of statement block', block_end: 'end of statement block', eof: 'end of template',
};

function describe(token: Token): string {
  if (token.type === 'name') return token.value;
  return DESCRIBE[token.type] ?? token.type;
}

/** `type` or `type:value`, as Jinja2's token tests. */
function matches(token: Token, rule: string): boolean {
  const colon = rule.indexOf(':');
  if (colon < 0) return token.type === rule;
  return token.type === rule.slice(0, colon) && token.value === rule.slice(colon + 1);
}

export function parseTemplate(source: string): TemplateAst {
  return new Parser(tokenize(source)).parse();
}

class Parser {
  private index = 0;
  private readonly endTokenStack: string[][] = [];
  private readonly tagStack: string[] = [];

  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.index]!;
  }
  private look(): Token {
    return this.tokens[Math.min(this.index + 1, this.tokens.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.index++;
    return t;
  }
  private skipIf(rule: string): boolean {
    if (matches(this.peek(), rule)) {
      this.next();
      return true;
    }
    return false;
  }
  private expect(rule: string): Token {
    const t = this.peek();
    if (!matches(t, rule)) {
      const wanted = rule.includes(':') ? rule.slice(rule.indexOf(':') + 1) : DESCRIBE[rule as TokenType] ?? rule;
      if (t.type === 'eof') this.fail(`unexpected end of template, expected '${wanted}'.`, t);
      this.fail(`expected token '${wanted}', got '${describe(t)}'`, t);
    }
    return this.next();
  }
  private fail(message: string, at: TemplatePosition = this.peek()): never {
    throw new TemplateSyntaxError(message, { line: at.line, column: at.column });
  }
  private pos(t: Token = this.peek()): TemplatePosition {
    return { line: t.line, column: t.column };
  }

  parse(): TemplateAst {
    return { body: this.subparse(null) };
  }

  private subparse(endTokens: string[] | null): Stmt[] {
    const body: Stmt[] = [];
    let buffer: Extract<Stmt, { kind: 'output' }>['nodes'] = [];
    const flush = () => {
      if (buffer.length) body.push({ kind: 'output', nodes: buffer, at: buffer[0]!.at });
      buffer = [];
    };
    if (endTokens) this.endTokenStack.push(endTokens);
    try {
      while (this.peek().type !== 'eof') {
        const token = this.peek();
        if (token.type === 'data') {
          buffer.push({ kind: 'data', text: token.value, at: this.pos(token) });
          this.next();
        } else if (token.type === 'variable_begin') {
          this.next();
          buffer.push(this.parseTuple({ withCondexpr: true }));
          this.expect('variable_end');
        } else if (token.type === 'block_begin') {
          flush();
          this.next();
          if (endTokens && endTokens.some((r) => matches(this.peek(), r))) return body;
          body.push(this.parseStatement());
          this.expect('block_end');
        } else {
          this.fail('internal parsing error');
        }
      }
      flush();
      return body;
    } finally {
      if (endTokens) this.endTokenStack.pop();
    }
  }

  private parseStatements(endTokens: string[], dropNeedle = false): Stmt[] {
    this.skipIf('colon');
    this.expect('block_end');
    const result = this.subparse(endTokens);
    if (this.peek().type === 'eof') this.failEof(endTokens);
    if (dropNeedle) this.next();
    return result;
  }

  private failEof(endTokens: string[]): never {
    const stack = [...this.endTokenStack, endTokens];
    this.failUnknownTag(null, stack);
  }

  private failUnknownTag(name: string | null, stack = this.endTokenStack): never {
    const expected = new Set<string>();
    for (const tokens of stack) for (const t of tokens) expected.add(t.replace(/^name:/, ''));
    const currentlyLooking = stack.length ? stack[stack.length - 1]!.map((t) => `'${t.replace(/^name:/, '')}'`).join(' or ') : null;
    const message: string[] = [];
    if (name === null) message.push('Unexpected end of template.');
    else message.push(`Encountered unknown tag '${name}'.`);
    if (currentlyLooking) {
      if (name !== null && expected.has(name)) message.push('You probably made a nesting mistake. Jinja is expecting this tag, but currently looking for', `${currentlyLooking}.`);
      else message.push(`Jinja was looking for the following tags: ${currentlyLooking}.`);
    }
    if (this.tagStack.length) message.push(`The innermost block that needs to be closed is '${this.tagStack[this.tagStack.length - 1]}'.`);
    this.fail(message.join(' '));
  }

  private parseStatement(): Stmt {
    const token = this.peek();
    if (token.type !== 'name') this.fail('tag name expected');
    this.tagStack.push(token.value);
    let popTag = true;
    try {
      switch (token.value) {
        case 'for': return this.parseFor();
        case 'if': return this.parseIf();
        case 'block': return this.parseBlock();
        case 'extends':
          throw new UnsupportedConstruct('`{% extends %}` (template inheritance)', 'model-ensembler renders each template alone, without a loader', this.pos());
        case 'print': return this.parsePrint();
        case 'macro': return this.parseMacro();
        case 'include': return this.parseInclude();
        case 'from': return this.parseFrom();
        case 'import': return this.parseImport();
        case 'set': return this.parseSet();
        case 'with': return this.parseWith();
        case 'autoescape':
          throw new UnsupportedConstruct('`{% autoescape %}`', 'mensemble renders without HTML escaping, as model-ensembler does', this.pos());
        case 'call': return this.parseCallBlock();
        case 'filter': return this.parseFilterBlock();
      }
      this.tagStack.pop();
      popTag = false;
      return this.failUnknownTag(token.value);
    } finally {
      if (popTag) this.tagStack.pop();
    }
  }

  private parseSet(): Stmt {
    const at = this.pos(this.next());
    const target = this.parseAssignTarget({ withNamespace: true });
    if (this.skipIf('assign')) return { kind: 'assign', target, expr: this.parseTuple({}), at };
    const filter = this.parseFilter(null) as FilterExpr | null;
    const body = this.parseStatements(['name:endset'], true);
    return { kind: 'assignblock', target, ...(filter ? { filter } : {}), body, at };
  }

  private parseFor(): Stmt {
    const at = this.pos(this.expect('name:for'));
    const target = this.parseAssignTarget({ extraEndRules: ['name:in'] });
    this.expect('name:in');
    const iter = this.parseTuple({ withCondexpr: false, extraEndRules: ['name:recursive'] });
    let test: Expr | undefined;
    if (this.skipIf('name:if')) test = this.parseExpression();
    const recursive = this.skipIf('name:recursive');
    const body = this.parseStatements(['name:endfor', 'name:else']);
    let else_: Stmt[] = [];
    if (this.next().value !== 'endfor') else_ = this.parseStatements(['name:endfor'], true);
    return { kind: 'for', target, iter, body, else_, ...(test ? { test } : {}), recursive, at };
  }

  private parseIf(): Stmt {
    const at = this.pos(this.expect('name:if'));
    const branches: Array<{ test: Expr; body: Stmt[] }> = [];
    let else_: Stmt[] = [];
    for (;;) {
      const test = this.parseTuple({ withCondexpr: false });
      const body = this.parseStatements(['name:elif', 'name:else', 'name:endif']);
      branches.push({ test, body });
      const token = this.next();
      if (matches(token, 'name:elif')) continue;
      if (matches(token, 'name:else')) else_ = this.parseStatements(['name:endif'], true);
      break;
    }
    return { kind: 'if', branches, else_, at };
  }

  private parseWith(): Stmt {
    const at = this.pos(this.next());
    const targets: Target[] = [];
    const values: Expr[] = [];
    while (this.peek().type !== 'block_end') {
      if (targets.length) this.expect('comma');
      targets.push(this.parseAssignTarget({}));
      this.expect('assign');
      values.push(this.parseExpression());
    }
    const body = this.parseStatements(['name:endwith'], true);
    return { kind: 'with', targets, values, body, at };
  }

  private parseBlock(): Stmt {
    const at = this.pos(this.next());
    const name = this.expect('name').value;
    const scoped = this.skipIf('name:scoped');
    if (this.skipIf('name:required')) throw new UnsupportedConstruct('`{% block ... required %}`', 'required blocks only mean something with template inheritance', at);
    if (this.peek().type === 'sub') this.fail('Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.');
    const body = this.parseStatements(['name:endblock'], true);
    this.skipIf(`name:${name}`);
    return { kind: 'block', name, scoped, body, at };
  }

  private parseImportContext(fallback: boolean): boolean {
    if ((matches(this.peek(), 'name:with') || matches(this.peek(), 'name:without')) && matches(this.look(), 'name:context')) {
      const withContext = this.next().value === 'with';
      this.next();
      return withContext;
    }
    return fallback;
  }

  private parseInclude(): Stmt {
    const at = this.pos(this.next());
    const template = this.parseExpression();
    let ignoreMissing = false;
    if (matches(this.peek(), 'name:ignore') && matches(this.look(), 'name:missing')) {
      ignoreMissing = true;
      this.next();
      this.next();
    }
    return { kind: 'include', template, ignoreMissing, withContext: this.parseImportContext(true), at };
  }

  private parseImport(): Stmt {
    const at = this.pos(this.next());
    const template = this.parseExpression();
    this.expect('name:as');
    const target = this.expect('name').value;
    return { kind: 'import', template, target, withContext: this.parseImportContext(false), at };
  }

  private parseFrom(): Stmt {
    const at = this.pos(this.next());
    const template = this.parseExpression();
    this.expect('name:import');
    const names: Array<[string, string]> = [];
    let withContext: boolean | undefined;
    const parseContext = (): boolean => {
      if ((this.peek().value === 'with' || this.peek().value === 'without') && matches(this.look(), 'name:context')) {
        withContext = this.next().value === 'with';
        this.next();
        return true;
      }
      return false;
    };
    for (;;) {
      if (names.length) this.expect('comma');
      if (this.peek().type === 'name') {
        if (parseContext()) break;
        const target = this.expect('name');
        if (target.value.startsWith('_')) this.fail('names starting with an underline can not be imported', target);
        if (this.skipIf('name:as')) names.push([target.value, this.expect('name').value]);
        else names.push([target.value, target.value]);
        if (parseContext() || this.peek().type !== 'comma') break;
      } else {
        this.expect('name');
      }
    }
    return { kind: 'fromimport', template, names, withContext: withContext ?? false, at };
  }

  private parseSignature(): { params: string[]; defaults: Expr[] } {
    const params: string[] = [];
    const defaults: Expr[] = [];
    this.expect('lparen');
    while (this.peek().type !== 'rparen') {
      if (params.length) this.expect('comma');
      const name = this.expect('name').value;
      if (this.skipIf('assign')) defaults.push(this.parseExpression());
      else if (defaults.length) this.fail('non-default argument follows default argument');
      params.push(name);
    }
    this.expect('rparen');
    return { params, defaults };
  }

  private parseCallBlock(): Stmt {
    const at = this.pos(this.next());
    const signature = this.peek().type === 'lparen' ? this.parseSignature() : { params: [], defaults: [] };
    const call = this.parseExpression();
    if (call.kind !== 'call') this.fail('expected call', at);
    const body = this.parseStatements(['name:endcall'], true);
    return { kind: 'callblock', call: call as CallExpr, ...signature, body, at };
  }

  private parseFilterBlock(): Stmt {
    const at = this.pos(this.next());
    const filter = this.parseFilter(null, true) as FilterExpr;
    const body = this.parseStatements(['name:endfilter'], true);
    return { kind: 'filterblock', filter, body, at };
  }

  private parseMacro(): Stmt {
    const at = this.pos(this.next());
    const name = this.expect('name').value;
    const signature = this.parseSignature();
    const body = this.parseStatements(['name:endmacro'], true);
    return { kind: 'macro', name, ...signature, body, at };
  }

  private parsePrint(): Stmt {
    const at = this.pos(this.next());
    const nodes: Expr[] = [];
    while (this.peek().type !== 'block_end') {
      if (nodes.length) this.expect('comma');
      nodes.push(this.parseExpression());
    }
    return { kind: 'output', nodes, at };
  }

  private parseAssignTarget(options: { withTuple?: boolean; nameOnly?: boolean; extraEndRules?: string[]; withNamespace?: boolean }): Target {
    const { withTuple = true, nameOnly = false, extraEndRules, withNamespace = false } = options;
    if (withNamespace && this.look().type === 'dot') {
      const token = this.expect('name');
      this.next();
      const attr = this.expect('name');
      return { kind: 'nsref', name: token.value, attr: attr.value, at: this.pos(token) };
    }
    if (nameOnly) {
      const token = this.expect('name');
      return { kind: 'name', name: token.value, at: this.pos(token) };
    }
    const expr = withTuple ? this.parseTuple({ simplified: true, extraEndRules }) : this.parsePrimary();
    return this.toTarget(expr);
  }

  private toTarget(expr: Expr): Target {
    if (expr.kind === 'name') {
      if (['true', 'false', 'none', 'True', 'False', 'None'].includes(expr.name)) this.fail(`can't assign to 'const'`, expr.at);
      return { kind: 'name', name: expr.name, at: expr.at };
    }
    if (expr.kind === 'tuple') return { kind: 'tuple', items: expr.items.map((i) => this.toTarget(i)), at: expr.at };
    return this.fail(`can't assign to '${expr.kind}'`, expr.at);
  }

  private parseExpression(withCondexpr = true): Expr {
    return withCondexpr ? this.parseCondexpr() : this.parseOr();
  }

  private parseCondexpr(): Expr {
    const at = this.pos();
    let expr1 = this.parseOr();
    while (this.skipIf('name:if')) {
      const expr2 = this.parseOr();
      const expr3 = this.skipIf('name:else') ? this.parseCondexpr() : undefined;
      expr1 = { kind: 'condexpr', test: expr2, expr1, ...(expr3 ? { expr2: expr3 } : {}), at };
    }
    return expr1;
  }

  private parseOr(): Expr {
    return this.parseLogical('or', () => this.parseAnd());
  }

  private parseAnd(): Expr {
    return this.parseLogical('and', () => this.parseNot());
  }

  /** `a or b or c` and `a and b`: left-associative chains of one keyword. */
  private parseLogical(word: 'or' | 'and', operand: () => Expr): Expr {
    let left = operand();
    while (matches(this.peek(), `name:${word}`)) {
      const at = this.pos(this.next());
      left = { kind: word, left, right: operand(), at };
    }
    return left;
  }

  private parseNot(): Expr {
    if (matches(this.peek(), 'name:not')) {
      const at = this.pos(this.next());
      return { kind: 'not', node: this.parseNot(), at };
    }
    return this.parseCompare();
  }

  private parseCompare(): Expr {
    const at = this.pos();
    const expr = this.parseMath1();
    const ops: Array<{ op: CompareOp; expr: Expr }> = [];
    for (;;) {
      const type = this.peek().type;
      if (COMPARE.has(type)) {
        this.next();
        ops.push({ op: type as CompareOp, expr: this.parseMath1() });
      } else if (this.skipIf('name:in')) {
        ops.push({ op: 'in', expr: this.parseMath1() });
      } else if (matches(this.peek(), 'name:not') && matches(this.look(), 'name:in')) {
        this.next();
        this.next();
        ops.push({ op: 'notin', expr: this.parseMath1() });
      } else break;
    }
    return ops.length ? { kind: 'compare', expr, ops, at } : expr;
  }

  private parseMath1(): Expr {
    return this.parseArithmetic(MATH1, () => this.parseConcat());
  }

  private parseConcat(): Expr {
    const at = this.pos();
    const nodes = [this.parseMath2()];
    while (this.peek().type === 'tilde') {
      this.next();
      nodes.push(this.parseMath2());
    }
    return nodes.length === 1 ? nodes[0]! : { kind: 'concat', nodes, at };
  }

  private parseMath2(): Expr {
    return this.parseArithmetic(MATH2, () => this.parseArithmetic(POW, () => this.parseUnary()));
  }

  /** A left-associative chain of the operators in `ops` (`+ -`, `* / // %`, `**`) over `operand`. */
  private parseArithmetic(ops: Partial<Record<string, BinaryOp>>, operand: () => Expr): Expr {
    let left = operand();
    for (let op = ops[this.peek().type]; op; op = ops[this.peek().type]) {
      const at = this.pos(this.next());
      left = { kind: 'binop', op, left, right: operand(), at };
    }
    return left;
  }

  private parseUnary(withFilter = true): Expr {
    const type = this.peek().type;
    let node: Expr;
    if (type === 'sub' || type === 'add') {
      const at = this.pos(this.next());
      node = { kind: type === 'sub' ? 'neg' : 'pos', node: this.parseUnary(false), at };
    } else {
      node = this.parsePrimary();
    }
    node = this.parsePostfix(node);
    if (withFilter) node = this.parseFilterExpr(node);
    return node;
  }

  private parsePrimary(): Expr {
    const token = this.peek();
    const at = this.pos(token);
    if (token.type === 'name') {
      this.next();
      if (['true', 'false', 'True', 'False'].includes(token.value)) return { kind: 'const', value: token.value === 'true' || token.value === 'True', at };
      if (token.value === 'none' || token.value === 'None') return { kind: 'const', value: null, at };
      return { kind: 'name', name: token.value, at };
    }
    if (token.type === 'string') {
      let value = '';
      while (this.peek().type === 'string') value += this.next().value;
      return { kind: 'const', value, at };
    }
    if (token.type === 'integer' || token.type === 'float') {
      this.next();
      return { kind: 'const', value: token.number!, at };
    }
    if (token.type === 'lparen') {
      this.next();
      const node = this.parseTuple({ explicitParentheses: true });
      this.expect('rparen');
      return node;
    }
    if (token.type === 'lbracket') return this.parseList();
    if (token.type === 'lbrace') return this.parseDict();
    return this.fail(`unexpected '${describe(token)}'`);
  }

  private isTupleEnd(extraEndRules?: string[]): boolean {
    const t = this.peek();
    if (t.type === 'variable_end' || t.type === 'block_end' || t.type === 'rparen') return true;
    return extraEndRules ? extraEndRules.some((r) => matches(t, r)) : false;
  }

  private parseTuple(options: { simplified?: boolean; withCondexpr?: boolean; extraEndRules?: string[]; explicitParentheses?: boolean }): Expr {
    const { simplified = false, withCondexpr = true, extraEndRules, explicitParentheses = false } = options;
    const at = this.pos();
    const parse = simplified ? () => this.parsePrimary() : () => this.parseExpression(withCondexpr);
    const items: Expr[] = [];
    let isTuple = false;
    for (;;) {
      if (items.length) this.expect('comma');
      if (this.isTupleEnd(extraEndRules)) break;
      items.push(parse());
      if (this.peek().type === 'comma') isTuple = true;
      else break;
    }
    if (!isTuple) {
      if (items.length) return items[0]!;
      if (!explicitParentheses) this.fail(`Expected an expression, got '${describe(this.peek())}'`);
    }
    return { kind: 'tuple', items, at };
  }

  private parseList(): Expr {
    const at = this.pos(this.expect('lbracket'));
    const items: Expr[] = [];
    while (this.peek().type !== 'rbracket') {
      if (items.length) this.expect('comma');
      if (this.peek().type === 'rbracket') break;
      items.push(this.parseExpression());
    }
    this.expect('rbracket');
    return { kind: 'list', items, at };
  }

  private parseDict(): Expr {
    const at = this.pos(this.expect('lbrace'));
    const pairs: Array<[Expr, Expr]> = [];
    while (this.peek().type !== 'rbrace') {
      if (pairs.length) this.expect('comma');
      if (this.peek().type === 'rbrace') break;
      const key = this.parseExpression();
      this.expect('colon');
      pairs.push([key, this.parseExpression()]);
    }
    this.expect('rbrace');
    return { kind: 'dict', pairs, at };
  }

  private parsePostfix(node: Expr): Expr {
    for (;;) {
      const type = this.peek().type;
      if (type === 'dot' || type === 'lbracket') node = this.parseSubscript(node);
      else if (type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseFilterExpr(node: Expr): Expr {
    for (;;) {
      const type = this.peek().type;
      if (type === 'pipe') node = this.parseFilter(node)!;
      else if (matches(this.peek(), 'name:is')) node = this.parseTest(node);
      else if (type === 'lparen') node = this.parseCall(node);
      else return node;
    }
  }

  private parseSubscript(node: Expr): Expr {
    const token = this.next();
    const at = this.pos(token);
    if (token.type === 'dot') {
      const attr = this.next();
      // Messages point at the start of the whole expression (`run.foo`), not at the dot.
      if (attr.type === 'name') return { kind: 'getattr', node, attr: attr.value, at: node.at };
      if (attr.type !== 'integer') this.fail('expected name or number', attr);
      return { kind: 'getitem', node, arg: { kind: 'const', value: attr.number!, at: this.pos(attr) }, at: node.at };
    }
    const args: Expr[] = [];
    while (this.peek().type !== 'rbracket') {
      if (args.length) this.expect('comma');
      args.push(this.parseSubscribed());
    }
    this.expect('rbracket');
    return { kind: 'getitem', node, arg: args.length === 1 ? args[0]! : { kind: 'tuple', items: args, at }, at: node.at };
  }

  private parseSubscribed(): Expr {
    const at = this.pos();
    const parts: Array<Expr | undefined> = [];
    if (this.peek().type === 'colon') {
      this.next();
      parts.push(undefined);
    } else {
      const node = this.parseExpression();
      if (this.peek().type !== 'colon') return node;
      this.next();
      parts.push(node);
    }
    if (this.peek().type === 'colon') parts.push(undefined);
    else if (this.peek().type !== 'rbracket' && this.peek().type !== 'comma') parts.push(this.parseExpression());
    else parts.push(undefined);
    if (this.peek().type === 'colon') {
      this.next();
      parts.push(this.peek().type !== 'rbracket' && this.peek().type !== 'comma' ? this.parseExpression() : undefined);
    } else parts.push(undefined);
    const [start, stop, step] = parts;
    return { kind: 'slice', ...(start ? { start } : {}), ...(stop ? { stop } : {}), ...(step ? { step } : {}), at };
  }

  private parseCallArgs(): CallArgs {
    const token = this.expect('lparen');
    const result: CallArgs = { args: [], kwargs: [] };
    const ensure = (ok: boolean) => {
      if (!ok) this.fail('invalid syntax for function call expression', token);
    };
    let requireComma = false;
    while (this.peek().type !== 'rparen') {
      if (requireComma) {
        this.expect('comma');
        if (this.peek().type === 'rparen') break;
      }
      if (this.peek().type === 'mul') {
        ensure(!result.dynArgs && !result.dynKwargs);
        this.next();
        result.dynArgs = this.parseExpression();
      } else if (this.peek().type === 'pow') {
        ensure(!result.dynKwargs);
        this.next();
        result.dynKwargs = this.parseExpression();
      } else if (this.peek().type === 'name' && this.look().type === 'assign') {
        ensure(!result.dynKwargs);
        const key = this.next().value;
        this.next();
        result.kwargs.push([key, this.parseExpression()]);
      } else {
        ensure(!result.dynArgs && !result.dynKwargs && result.kwargs.length === 0);
        result.args.push(this.parseExpression());
      }
      requireComma = true;
    }
    this.expect('rparen');
    return result;
  }

  private parseCall(node: Expr): Expr {
    return { kind: 'call', node, ...this.parseCallArgs(), at: node.at };
  }

  private parseFilter(node: Expr | null, startInline = false): Expr | null {
    while (this.peek().type === 'pipe' || startInline) {
      if (!startInline) this.next();
      const token = this.expect('name');
      let name = token.value;
      while (this.peek().type === 'dot') {
        this.next();
        name += `.${this.expect('name').value}`;
      }
      const args = this.peek().type === 'lparen' ? this.parseCallArgs() : { args: [], kwargs: [] };
      node = { kind: 'filter', node, name, ...args, at: this.pos(token) };
      startInline = false;
    }
    return node;
  }

  private parseTest(node: Expr): Expr {
    const token = this.next();
    const negated = this.skipIf('name:not');
    let name = this.expect('name').value;
    while (this.peek().type === 'dot') {
      this.next();
      name += `.${this.expect('name').value}`;
    }
    let args: CallArgs = { args: [], kwargs: [] };
    const c = this.peek();
    if (c.type === 'lparen') args = this.parseCallArgs();
    else if (['name', 'string', 'integer', 'float', 'lparen', 'lbracket', 'lbrace'].includes(c.type) && !['name:else', 'name:or', 'name:and'].some((r) => matches(c, r))) {
      if (matches(c, 'name:is')) this.fail('You cannot chain multiple tests with is');
      args = { args: [this.parsePostfix(this.parsePrimary())], kwargs: [] };
    }
    const at = this.pos(token);
    const test: Expr = { kind: 'test', node, name, ...args, at };
    return negated ? { kind: 'not', node: test, at } : test;
  }
}

/**
 * Renders a parsed template over Python values, with Jinja2's scoping: a
 * for loop's body gets a fresh scope each iteration (a `set` inside it does
 * not leak out), `if` adds none, macros see their defining scope at call
 * time, `namespace()` carries values out of loops.
 */
import type { CallArgs, Expr, Stmt, Target, TemplateAst } from './ast.js';
import { TemplateError, TemplateRuntimeError, UnsupportedConstruct } from './errors.js';
import { FILTERS, type FilterContext } from './filters.js';
import { Cycler, LoopContext, Namespace, PyRange, RunTuple, TemplateModule, joiner } from './objects.js';
import { PySlice, arithmetic, compare, getattr, getitem, iterate, negate } from './operations.js';
import { pyStr } from './printing.js';
import { TESTS } from './tests.js';
import { PyCallable, PyDict, PyTuple, Undefined, asInt, asStr, truthy, typeName, type Value } from './values.js';

export interface LoadedTemplate {
  name: string;
  ast: TemplateAst;
}

/** Finds `{% include %}` and `{% import %}` targets; null when there is no such template. */
export type TemplateLoader = (name: string) => LoadedTemplate | null;

/** A template found while rendering another one fails with its own name. */
export class IncludedTemplateError extends Error {
  constructor(readonly templateName: string, readonly inner: TemplateError) {
    super(inner.message);
  }
}

class Frame {
  constructor(
    readonly parent?: Frame,
    /** The top frame reads the template's variables as given: nothing writes to it (a top-level `set` goes to the frame below). */
    readonly vars = new Map<string, Value>(),
  ) {}
  lookup(name: string): Value | undefined {
    for (let f: Frame | undefined = this; f; f = f.parent) {
      const v = f.vars.get(name);
      if (v !== undefined) return v;
    }
    return undefined;
  }
  /** Every visible variable, innermost winning: what an include sees. */
  flatten(): Map<string, Value> {
    const chain: Frame[] = [];
    for (let f: Frame | undefined = this; f; f = f.parent) chain.unshift(f);
    const out = new Map<string, Value>();
    for (const f of chain) for (const [k, v] of f.vars) out.set(k, v);
    return out;
  }
}

const GLOBALS: Record<string, (args: Value[], kwargs: Map<string, Value>) => Value> = {
  range: (args) => {
    const ints = args.map((a) => {
      const i = asInt(a);
      if (i === undefined) throw new TemplateRuntimeError(`TypeError: '${typeName(a)}' object cannot be interpreted as an integer`);
      return i;
    });
    if (ints.length === 0 || ints.length > 3) throw new TemplateRuntimeError(`TypeError: range expected at most 3 arguments, got ${ints.length}`);
    const [start, stop, step] = ints.length === 1 ? [0n, ints[0]!, 1n] : [ints[0]!, ints[1]!, ints[2] ?? 1n];
    return new PyRange(start, stop, step) as unknown as Value;
  },
  dict: (args, kwargs) => {
    const d = args[0] instanceof PyDict ? args[0].copy() : new PyDict();
    if (args[0] !== undefined && !(args[0] instanceof PyDict)) for (const pair of iterate(args[0])) { const [k, v] = iterate(pair); d.set(k ?? null, v ?? null); }
    for (const [k, v] of kwargs) d.set(k, v);
    return d;
  },
  namespace: (args, kwargs) => {
    const ns = new Namespace();
    if (args[0] instanceof PyDict) for (const [k, v] of args[0].items()) { const key = asStr(k); if (key !== undefined) ns.setattr(key, v); }
    for (const [k, v] of kwargs) ns.setattr(k, v);
    return ns as unknown as Value;
  },
  cycler: (args) => new Cycler(args) as unknown as Value,
  joiner: (args, kwargs) => joiner(asStr(kwargs.get('sep') ?? args[0] ?? ', ') ?? ', '),
  lipsum: () => {
    throw new UnsupportedConstruct('`lipsum()`', 'its text is random, so no two renderings match');
  },
};

/** Names a body reads, to know whether a macro takes `varargs`, `kwargs` or `caller`. */
function readsName(stmts: Stmt[], name: string): boolean {
  let found = false;
  const visit = (node: unknown): void => {
    if (found || !node || typeof node !== 'object') return;
    if (Array.isArray(node)) {
      node.forEach(visit);
      return;
    }
    const n = node as { kind?: string; name?: string };
    if (n.kind === 'name' && n.name === name) {
      found = true;
      return;
    }
    // A nested macro has its own varargs/kwargs/caller.
    if (n.kind === 'macro') return;
    for (const [key, value] of Object.entries(node)) if (key !== 'at') visit(value);
  };
  visit(stmts);
  return found;
}

/** A short source-like text of an expression, for messages (`run.foo`, `xs[0]`). */
export function exprText(e: Expr): string {
  switch (e.kind) {
    case 'name': return e.name;
    case 'getattr': return `${exprText(e.node)}.${e.attr}`;
    case 'getitem': return `${exprText(e.node)}[${e.arg.kind === 'const' ? pyStrQuiet(e.arg.value) : '...'}]`;
    case 'call': return `${exprText(e.node)}(...)`;
    case 'filter': return `${e.node ? exprText(e.node) : ''}|${e.name}`;
    case 'const': return pyStrQuiet(e.value);
    default: return e.kind;
  }
}

function pyStrQuiet(v: Value): string {
  return typeof v === 'string' ? `'${v}'` : typeof v === 'bigint' ? v.toString() : typeName(v);
}

export class Renderer {
  private depth = 0;
  constructor(private readonly loader: TemplateLoader) {}

  /** Renders `ast` with the template's variables; returns the text and what it exports (for imports). */
  render(ast: TemplateAst, variables: Map<string, Value>): { text: string; exports: Map<string, Value> } {
    const root = new Frame(new Frame(undefined, variables));
    const out: string[] = [];
    this.execAll(ast.body, root, out);
    const exports = new Map<string, Value>();
    for (const [k, v] of root.vars) if (!k.startsWith('_')) exports.set(k, v);
    return { text: out.join(''), exports };
  }

  private execAll(stmts: Stmt[], frame: Frame, out: string[]): void {
    for (const s of stmts) this.exec(s, frame, out);
  }

  private exec(s: Stmt, frame: Frame, out: string[]): void {
    try {
      this.execInner(s, frame, out);
    } catch (err) {
      throw err instanceof TemplateError ? err.at(s.at) : err;
    }
  }

  private execInner(s: Stmt, frame: Frame, out: string[]): void {
    switch (s.kind) {
      case 'output':
        for (const n of s.nodes) {
          if (n.kind === 'data') out.push(n.text);
          else {
            // Printed whole, arithmetic of literals is folded into text by Jinja2: inf and nan print as such.
            const v = isConstantArithmetic(n) ? this.evalConstant(n, frame) : this.eval(n, frame);
            try {
              out.push(pyStr(v));
            } catch (err) {
              throw err instanceof TemplateError ? err.at(n.at) : err;
            }
          }
        }
        return;
      case 'if': {
        for (const branch of s.branches) {
          if (truthy(this.eval(branch.test, frame))) {
            this.execAll(branch.body, frame, out);
            return;
          }
        }
        this.execAll(s.else_, frame, out);
        return;
      }
      case 'for':
        this.execFor(s, frame, out, this.eval(s.iter, frame), 0);
        return;
      case 'assign':
        this.assign(s.target, this.eval(s.expr, frame), frame);
        return;
      case 'assignblock': {
        const buffer: string[] = [];
        this.execAll(s.body, frame, buffer);
        let value: Value = buffer.join('');
        if (s.filter) value = this.applyFilterChain(s.filter, value, frame);
        this.assign(s.target, value, frame);
        return;
      }
      case 'macro':
        frame.vars.set(s.name, this.makeMacro(s.name, s.params, s.defaults, s.body, frame));
        return;
      case 'callblock': {
        const caller = this.makeMacro('caller', s.params, s.defaults, s.body, frame);
        const callee = this.eval(s.call.node, frame);
        const { args, kwargs } = this.evalArgs(s.call, frame);
        kwargs.set('caller', caller);
        out.push(pyStr(this.callValue(callee, args, kwargs, exprText(s.call.node))));
        return;
      }
      case 'filterblock': {
        const buffer: string[] = [];
        this.execAll(s.body, frame, buffer);
        out.push(pyStr(this.applyFilterChain(s.filter, buffer.join(''), frame)));
        return;
      }
      case 'with': {
        const values = s.values.map((v) => this.eval(v, frame));
        const inner = new Frame(frame);
        s.targets.forEach((t, i) => this.assign(t, values[i]!, inner));
        this.execAll(s.body, inner, out);
        return;
      }
      case 'block':
        this.execAll(s.body, new Frame(frame), out);
        return;
      case 'include': {
        const template = this.findTemplateAt(s.template, frame, s.ignoreMissing);
        if (!template) return;
        const vars = s.withContext ? frame.flatten() : new Map<string, Value>();
        out.push(this.renderOther(template, vars).text);
        return;
      }
      case 'import': {
        const template = this.findTemplateAt(s.template, frame, false)!;
        const vars = s.withContext ? frame.flatten() : new Map<string, Value>();
        frame.vars.set(s.target, new TemplateModule(template.name, this.renderOther(template, vars).exports) as unknown as Value);
        return;
      }
      case 'fromimport': {
        const template = this.findTemplateAt(s.template, frame, false)!;
        const vars = s.withContext ? frame.flatten() : new Map<string, Value>();
        const { exports } = this.renderOther(template, vars);
        for (const [name, alias] of s.names) {
          const v = exports.get(name);
          frame.vars.set(alias, v ?? new Undefined(name, `the template ${template.name} does not export ${name}`));
        }
        return;
      }
    }
  }

  private renderOther(template: LoadedTemplate, vars: Map<string, Value>): { text: string; exports: Map<string, Value> } {
    if (++this.depth > 20) throw new TemplateRuntimeError('templates include or import each other more than 20 levels deep');
    try {
      return this.render(template.ast, vars);
    } catch (err) {
      if (err instanceof TemplateError) throw new IncludedTemplateError(template.name, err);
      throw err;
    } finally {
      this.depth--;
    }
  }

  /** Finds the template an include or import names; a refusal points at the name. */
  private findTemplateAt(nameExpr: Expr, frame: Frame, ignoreMissing: boolean): LoadedTemplate | null {
    const name = this.eval(nameExpr, frame);
    try {
      return this.findTemplate(name, ignoreMissing);
    } catch (err) {
      throw err instanceof TemplateError ? err.at(nameExpr.at) : err;
    }
  }

  private findTemplate(nameValue: Value, ignoreMissing: boolean): LoadedTemplate | null {
    const names = Array.isArray(nameValue) || nameValue instanceof PyTuple ? iterate(nameValue) : [nameValue];
    for (const n of names) {
      const name = asStr(n);
      if (name === undefined) throw new TemplateRuntimeError(`a template name must be a string, not ${typeName(n)}`);
      const t = this.loader(name);
      if (t) return t;
    }
    if (ignoreMissing) return null;
    throw new TemplateRuntimeError(`the template ${names.map((n) => pyStrQuiet(n)).join(', ')} does not exist in the template folder`);
  }

  private execFor(s: Extract<Stmt, { kind: 'for' }>, frame: Frame, out: string[], iterable: Value, depth0: number): void {
    if (iterable instanceof Undefined && !iterable.printsEmpty) throw new TemplateRuntimeError(`${iterable.describe()}, so it cannot be looped over`);
    let items = iterate(iterable);
    if (s.test) {
      items = items.filter((item) => {
        const f = new Frame(frame);
        this.assign(s.target, item, f);
        return truthy(this.eval(s.test!, f));
      });
    }
    const recurse = s.recursive
      ? (children: Value): Value => {
          const buffer: string[] = [];
          this.execFor(s, frame, buffer, children, depth0 + 1);
          return buffer.join('');
        }
      : undefined;
    const loop = new LoopContext(items, depth0);
    // A recursive loop's `loop` is callable as well as having the loop's attributes.
    const loopValue = (recurse ? new LoopCallable(loop, recurse) : loop) as unknown as Value;
    for (let i = 0; i < items.length; i++) {
      loop.index0 = i;
      const inner = new Frame(frame);
      inner.vars.set('loop', loopValue);
      this.assign(s.target, items[i]!, inner);
      this.execAll(s.body, inner, out);
    }
    if (items.length === 0) this.execAll(s.else_, new Frame(frame), out);
  }

  private assign(target: Target, value: Value, frame: Frame): void {
    if (target.kind === 'name') {
      frame.vars.set(target.name, value);
      return;
    }
    if (target.kind === 'nsref') {
      const ns = frame.lookup(target.name);
      if (!(ns instanceof Namespace)) throw new TemplateRuntimeError('cannot assign attribute on non-namespace object').at(target.at);
      ns.setattr(target.attr, value);
      return;
    }
    const items = iterate(value);
    if (items.length !== target.items.length) {
      throw new TemplateRuntimeError(items.length < target.items.length ? `ValueError: not enough values to unpack (expected ${target.items.length}, got ${items.length})` : `ValueError: too many values to unpack (expected ${target.items.length})`).at(target.at);
    }
    target.items.forEach((t, i) => this.assign(t, items[i]!, frame));
  }

  private makeMacro(name: string, params: string[], defaults: Expr[], body: Stmt[], defining: Frame): PyCallable {
    const catchVarargs = readsName(body, 'varargs');
    const catchKwargs = readsName(body, 'kwargs');
    const takesCaller = readsName(body, 'caller');
    const firstDefault = params.length - defaults.length;
    const call = (args: Value[], kwargs: Map<string, Value>): Value => {
      const frame = new Frame(defining);
      const rest = new Map(kwargs);
      for (let i = 0; i < params.length; i++) {
        const p = params[i]!;
        if (i < args.length) {
          if (rest.has(p)) throw new TemplateRuntimeError(`macro '${name}' got multiple values for argument '${p}'`);
          frame.vars.set(p, args[i]!);
        } else if (rest.has(p)) {
          frame.vars.set(p, rest.get(p)!);
          rest.delete(p);
        } else if (i >= firstDefault) {
          frame.vars.set(p, this.eval(defaults[i - firstDefault]!, frame));
        } else {
          frame.vars.set(p, new Undefined(p, `no value was passed for the parameter '${p}' of macro '${name}'`));
        }
      }
      if (rest.has('caller')) {
        if (!takesCaller) throw new TemplateRuntimeError(`macro '${name}' was invoked with a call block, but does not use caller()`);
        frame.vars.set('caller', rest.get('caller')!);
        rest.delete('caller');
      } else if (takesCaller && !params.includes('caller')) frame.vars.set('caller', new Undefined('caller', `macro '${name}' was not called from a call block`));
      const extra = args.slice(params.length);
      if (extra.length && !catchVarargs) throw new TemplateRuntimeError(`macro '${name}' takes not more than ${params.length} argument(s)`);
      if (catchVarargs) frame.vars.set('varargs', new PyTuple(extra));
      if (rest.size && !catchKwargs) throw new TemplateRuntimeError(`macro '${name}' takes no keyword argument '${[...rest.keys()][0]}'`);
      if (catchKwargs) frame.vars.set('kwargs', PyDict.from([...rest]));
      const out: string[] = [];
      this.execAll(body, frame, out);
      return out.join('');
    };
    const attrs = new Map<string, Value>([
      ['name', name],
      ['arguments', new PyTuple(params)],
      ['catch_kwargs', catchKwargs],
      ['catch_varargs', catchVarargs],
      ['caller', takesCaller],
    ]);
    return new PyCallable(name, call, attrs);
  }

  private evalArgs(call: CallArgs, frame: Frame): { args: Value[]; kwargs: Map<string, Value> } {
    const args = call.args.map((a) => this.eval(a, frame));
    if (call.dynArgs) args.push(...iterate(this.eval(call.dynArgs, frame)));
    const kwargs = new Map<string, Value>();
    for (const [k, e] of call.kwargs) kwargs.set(k, this.eval(e, frame));
    if (call.dynKwargs) {
      const d = this.eval(call.dynKwargs, frame);
      if (!(d instanceof PyDict)) throw new TemplateRuntimeError(`TypeError: argument after ** must be a mapping, not ${typeName(d)}`);
      for (const [k, v] of d.items()) {
        const key = asStr(k);
        if (key === undefined) throw new TemplateRuntimeError('TypeError: keywords must be strings');
        kwargs.set(key, v);
      }
    }
    return { args, kwargs };
  }

  private callValue(callee: Value, args: Value[], kwargs: Map<string, Value>, what: string): Value {
    if (callee instanceof PyCallable) return callee.call(args, kwargs);
    if (callee instanceof LoopCallable) return callee.recurse(args[0] ?? null);
    if (callee instanceof Undefined) throw new TemplateRuntimeError(`${callee.describe()}, so \`${what}(...)\` cannot be called`);
    throw new TemplateRuntimeError(`TypeError: '${typeName(callee)}' object is not callable`);
  }

  private applyFilterChain(filter: Extract<Expr, { kind: 'filter' }>, value: Value, frame: Frame): Value {
    // The chain is nested innermost first: `|a|b` is filter b over filter a over the value.
    const chain: Array<Extract<Expr, { kind: 'filter' }>> = [];
    for (let f: Expr | null = filter; f && f.kind === 'filter'; f = f.node) chain.unshift(f);
    let v = value;
    for (const f of chain) v = this.applyFilter(f, v, frame);
    return v;
  }

  private applyFilter(f: Extract<Expr, { kind: 'filter' }>, value: Value, frame: Frame): Value {
    const filter = FILTERS[f.name];
    if (!filter) throw new TemplateRuntimeError(`No filter named '${f.name}'.`).at(f.at);
    const { args, kwargs } = this.evalArgs(f, frame);
    return filter(value, args, kwargs, this.filterContext());
  }

  private filterContext(): FilterContext {
    return {
      callFilter: (name, value, args, kwargs) => {
        const filter = FILTERS[name];
        if (!filter) throw new TemplateRuntimeError(`No filter named '${name}'.`);
        return filter(value, args, kwargs, this.filterContext());
      },
      callTest: (name, value, args) => {
        const test = TESTS[name];
        if (!test) throw new TemplateRuntimeError(`No test named '${name}'.`);
        return test(value, args);
      },
    };
  }

  /** Arithmetic of literals printed whole: computed as Jinja2's optimizer does, to text, so an inf or nan is no error. */
  private evalConstant(e: Expr, frame: Frame): Value {
    switch (e.kind) {
      case 'neg': case 'pos': return negate(this.evalConstant(e.node, frame), e.kind);
      case 'binop': return arithmetic(e.op, this.evalConstant(e.left, frame), this.evalConstant(e.right, frame));
      default: return this.eval(e, frame);
    }
  }

  eval(e: Expr, frame: Frame): Value {
    try {
      return this.evalInner(e, frame);
    } catch (err) {
      throw err instanceof TemplateError ? err.at(e.at) : err;
    }
  }

  /** A name that only `run` has: the configuration's dialect gives templates `run` alone (plan/run-context.ts). */
  private onlyRun(name: string, frame: Frame): string | undefined {
    const run = frame.lookup('run');
    if (!(run instanceof RunTuple) || !run.fields.has(name)) return undefined;
    return `the run has it, but templates of a model-ensembler configuration see only \`run\` (as model-ensembler, where it prints as nothing): write \`run.${name}\`, or put \`dialect: mensemble\` at the top of the configuration to see every run variable by name`;
  }

  private evalInner(e: Expr, frame: Frame): Value {
    switch (e.kind) {
      case 'const': return e.value;
      case 'name': {
        const v = frame.lookup(e.name);
        if (v !== undefined) return v;
        const g = GLOBALS[e.name];
        if (g) return new PyCallable(e.name, g, undefined, e.name === 'range' ? "<class 'range'>" : undefined);
        const onlyRun = this.onlyRun(e.name, frame);
        return onlyRun ? new Undefined(e.name, undefined, false, onlyRun) : new Undefined(e.name);
      }
      case 'tuple': return new PyTuple(e.items.map((i) => this.eval(i, frame)));
      case 'list': return e.items.map((i) => this.eval(i, frame));
      case 'dict': return PyDict.from(e.pairs.map(([k, v]) => [this.eval(k, frame), this.eval(v, frame)]));
      case 'getattr': {
        const obj = this.eval(e.node, frame);
        return getattr(obj, e.attr, () => exprText(e));
      }
      case 'getitem': {
        const obj = this.eval(e.node, frame);
        const key = e.arg.kind === 'slice'
          ? new PySlice(e.arg.start ? this.eval(e.arg.start, frame) : null, e.arg.stop ? this.eval(e.arg.stop, frame) : null, e.arg.step ? this.eval(e.arg.step, frame) : null)
          : this.eval(e.arg, frame);
        return getitem(obj, key, () => exprText(e));
      }
      case 'slice': throw new TemplateRuntimeError('a slice outside of brackets');
      case 'call': {
        const callee = this.eval(e.node, frame);
        const { args, kwargs } = this.evalArgs(e, frame);
        return this.callValue(callee, args, kwargs, exprText(e.node));
      }
      case 'filter': {
        const value = e.node ? this.eval(e.node, frame) : null;
        return this.applyFilter(e, value, frame);
      }
      case 'test': {
        const test = TESTS[e.name];
        if (!test) throw new TemplateRuntimeError(`No test named '${e.name}'.`);
        const value = this.eval(e.node, frame);
        const { args } = this.evalArgs(e, frame);
        return test(value, args);
      }
      case 'condexpr':
        if (truthy(this.eval(e.test, frame))) return this.eval(e.expr1, frame);
        return e.expr2 ? this.eval(e.expr2, frame) : new Undefined('(inline if)', 'the inline if-expression evaluated to false and no else section was defined', true);
      case 'and': {
        const left = this.eval(e.left, frame);
        return truthy(left) ? this.eval(e.right, frame) : left;
      }
      case 'or': {
        const left = this.eval(e.left, frame);
        return truthy(left) ? left : this.eval(e.right, frame);
      }
      case 'not': return !truthy(this.eval(e.node, frame));
      case 'neg': case 'pos': return refuseFoldedNonFinite(e, negate(this.eval(e.node, frame), e.kind));
      case 'binop': return refuseFoldedNonFinite(e, arithmetic(e.op, this.eval(e.left, frame), this.eval(e.right, frame)));
      case 'concat': return e.nodes.map((n) => pyStr(this.eval(n, frame))).join('');
      case 'compare': {
        let left = this.eval(e.expr, frame);
        for (const { op, expr } of e.ops) {
          const right = this.eval(expr, frame);
          if (!compare(op, left, right)) return false;
          left = right;
        }
        return true;
      }
    }
  }
}

/** The `loop` of a recursive for loop: callable, and with the loop's attributes. */
class LoopCallable {
  readonly pyType = 'LoopContext';
  constructor(readonly loop: LoopContext, readonly recurse: (items: Value) => Value) {}
  getattr(name: string): Value | undefined {
    return this.loop.getattr(name);
  }
}

/** Arithmetic of literals only: Jinja2's optimizer computes it when it compiles the template. */
function isConstantArithmetic(e: Expr): boolean {
  switch (e.kind) {
    case 'const': return true;
    case 'neg': case 'pos': return isConstantArithmetic(e.node);
    case 'binop': return isConstantArithmetic(e.left) && isConstantArithmetic(e.right);
    default: return false;
  }
}

/**
 * Jinja2 folds arithmetic of literals when it compiles, and writes the result
 * into its compiled code as Python source: an inf or nan becomes the name
 * `inf` or `nan`, a NameError where the code uses it (a `set`, an argument)
 * and plain text where it is printed whole. Such a template is refused.
 */
function refuseFoldedNonFinite(e: Expr, value: Value): Value {
  if (typeof value === 'number' && !Number.isFinite(value) && isConstantArithmetic(e)) {
    throw new UnsupportedConstruct('arithmetic of literals that gives inf or nan', 'Jinja2 computes it when it compiles the template and writes it into its code as the name `inf` or `nan`, which fails in some places and prints in others');
  }
  return value;
}

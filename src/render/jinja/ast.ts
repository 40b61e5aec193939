/** The parse tree of a Jinja2 template: the node kinds of Jinja2's own `nodes` module that templates can write. */
import type { TemplatePosition } from './errors.js';
import type { Value } from './values.js';

interface At {
  at: TemplatePosition;
}

export interface CallArgs {
  args: Expr[];
  kwargs: Array<[string, Expr]>;
  dynArgs?: Expr;
  dynKwargs?: Expr;
}

export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'floordiv' | 'mod' | 'pow';
export type CompareOp = 'eq' | 'ne' | 'lt' | 'lteq' | 'gt' | 'gteq' | 'in' | 'notin';

export type Expr = At &
  (
    | { kind: 'const'; value: Value }
    | { kind: 'name'; name: string }
    | { kind: 'tuple'; items: Expr[] }
    | { kind: 'list'; items: Expr[] }
    | { kind: 'dict'; pairs: Array<[Expr, Expr]> }
    | { kind: 'getattr'; node: Expr; attr: string }
    | { kind: 'getitem'; node: Expr; arg: Expr }
    | { kind: 'slice'; start?: Expr; stop?: Expr; step?: Expr }
    | ({ kind: 'call'; node: Expr } & CallArgs)
    | ({ kind: 'filter'; node: Expr | null; name: string } & CallArgs)
    | ({ kind: 'test'; node: Expr; name: string } & CallArgs)
    | { kind: 'condexpr'; test: Expr; expr1: Expr; expr2?: Expr }
    | { kind: 'and' | 'or'; left: Expr; right: Expr }
    | { kind: 'not'; node: Expr }
    | { kind: 'neg' | 'pos'; node: Expr }
    | { kind: 'binop'; op: BinaryOp; left: Expr; right: Expr }
    | { kind: 'concat'; nodes: Expr[] }
    | { kind: 'compare'; expr: Expr; ops: Array<{ op: CompareOp; expr: Expr }> }
  );

/** What `set`, `for` and `with` may assign to. */
export type Target = At & ({ kind: 'name'; name: string } | { kind: 'tuple'; items: Target[] } | { kind: 'nsref'; name: string; attr: string });

export type Stmt = At &
  (
    | { kind: 'output'; nodes: Array<Expr | { kind: 'data'; text: string; at: TemplatePosition }> }
    | { kind: 'for'; target: Target; iter: Expr; body: Stmt[]; else_: Stmt[]; test?: Expr; recursive: boolean }
    | { kind: 'if'; branches: Array<{ test: Expr; body: Stmt[] }>; else_: Stmt[] }
    | { kind: 'macro'; name: string; params: string[]; defaults: Expr[]; body: Stmt[] }
    | { kind: 'callblock'; call: Extract<Expr, { kind: 'call' }>; params: string[]; defaults: Expr[]; body: Stmt[] }
    | { kind: 'filterblock'; filter: Extract<Expr, { kind: 'filter' }>; body: Stmt[] }
    | { kind: 'assign'; target: Target; expr: Expr }
    | { kind: 'assignblock'; target: Target; filter?: Extract<Expr, { kind: 'filter' }>; body: Stmt[] }
    | { kind: 'with'; targets: Target[]; values: Expr[]; body: Stmt[] }
    | { kind: 'block'; name: string; scoped: boolean; body: Stmt[] }
    | { kind: 'include'; template: Expr; ignoreMissing: boolean; withContext: boolean }
    | { kind: 'import'; template: Expr; target: string; withContext: boolean }
    | { kind: 'fromimport'; template: Expr; names: Array<[string, string]>; withContext: boolean }
  );

export interface TemplateAst {
  body: Stmt[];
}

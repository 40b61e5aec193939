/** Jinja2's own runtime objects that templates see: loop, namespace, cycler, joiner, range, the run namedtuple, imported modules. */
import { TemplateRuntimeError, UnsupportedConstruct } from './errors.js';
import { PySlice, equals, sliceBounds } from './operations.js';
import { pyRepr } from './printing.js';
import { PyCallable, PyTuple, Undefined, asInt, asStr, type PyObject, type Value } from './values.js';

const noArgs = (f: () => Value) => new PyCallable('method', () => f());

/** The `loop` variable of a for loop. */
export class LoopContext implements PyObject {
  readonly pyType = 'LoopContext';
  index0 = -1;
  private lastChanged: Value[] | undefined;
  constructor(
    private readonly items: Value[],
    readonly depth0: number,
  ) {}
  getattr(name: string): Value | undefined {
    const n = this.items.length;
    const i = this.index0;
    switch (name) {
      case 'index': return BigInt(i + 1);
      case 'index0': return BigInt(i);
      case 'revindex': return BigInt(n - i);
      case 'revindex0': return BigInt(n - i - 1);
      case 'first': return i === 0;
      case 'last': return i === n - 1;
      case 'length': return BigInt(n);
      case 'depth': return BigInt(this.depth0 + 1);
      case 'depth0': return BigInt(this.depth0);
      case 'previtem': return i > 0 ? this.items[i - 1]! : new Undefined('loop.previtem', 'there is no previous item');
      case 'nextitem': return i < n - 1 ? this.items[i + 1]! : new Undefined('loop.nextitem', 'there is no next item');
      case 'cycle':
        return new PyCallable('loop.cycle', (args) => {
          if (!args.length) throw new TemplateRuntimeError('TypeError: no items for cycling given');
          return args[i % args.length]!;
        });
      case 'changed':
        return new PyCallable('loop.changed', (args) => {
          if (this.lastChanged !== undefined && this.lastChanged.length === args.length && this.lastChanged.every((v, k) => equals(v, args[k]!))) return false;
          this.lastChanged = args;
          return true;
        });
    }
    return undefined;
  }
  repr(): string {
    return `<LoopContext ${this.index0 + 1}/${this.items.length}>`;
  }
}

/** `namespace(...)`: the one object whose attributes `set ns.x = ...` may change. */
export class Namespace implements PyObject {
  readonly pyType = 'Namespace';
  readonly attrs = new Map<string, Value>();
  getattr(name: string): Value | undefined {
    return this.attrs.get(name);
  }
  setattr(name: string, value: Value): void {
    this.attrs.set(name, value);
  }
  getitem(key: Value): Value | undefined {
    const k = asStr(key);
    return k === undefined ? undefined : this.attrs.get(k);
  }
  repr(): string {
    // Jinja2's Namespace.__repr__: f"<Namespace {self.__attrs!r}>", the dict's repr.
    return `<Namespace {${[...this.attrs].map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`).join(', ')}}>`;
  }
}

export class Cycler implements PyObject {
  readonly pyType = 'Cycler';
  private position = 0;
  constructor(private readonly items: Value[]) {
    if (!items.length) throw new TemplateRuntimeError('TypeError: at least one item has to be provided');
  }
  getattr(name: string): Value | undefined {
    if (name === 'current') return this.items[this.position]!;
    if (name === 'next') return noArgs(() => {
      const v = this.items[this.position]!;
      this.position = (this.position + 1) % this.items.length;
      return v;
    });
    if (name === 'reset') return noArgs(() => ((this.position = 0), null));
    return undefined;
  }
}

export function joiner(sep: string): PyCallable {
  let used = false;
  return new PyCallable('joiner', () => {
    if (!used) {
      used = true;
      return '';
    }
    return sep;
  });
}

/** Python's range object: iterable, indexable, printable as `range(0, 3)`. */
export class PyRange implements PyObject {
  readonly pyType = 'range';
  private readonly values: Value[];
  constructor(readonly start: bigint, readonly stop: bigint, readonly step: bigint) {
    if (step === 0n) throw new TemplateRuntimeError('ValueError: range() arg 3 must not be zero');
    const count = step > 0n ? (stop > start ? (stop - start + step - 1n) / step : 0n) : start > stop ? (start - stop - step - 1n) / -step : 0n;
    if (count > 10_000_000n) throw new TemplateRuntimeError('range() of more than 10,000,000 items');
    this.values = [];
    for (let i = 0n, v = start; i < count; i++, v += step) this.values.push(v);
  }
  iterate(): Value[] {
    return this.values;
  }
  getattr(name: string): Value | undefined {
    if (name === 'start') return this.start;
    if (name === 'stop') return this.stop;
    if (name === 'step') return this.step;
    return undefined;
  }
  getitem(key: Value | PySlice): Value | undefined {
    if (key instanceof PySlice) {
      // A slice of a range is a range (range(0, 20, 3)[::-1] is range(18, -3, -3)), from slice.indices.
      const [start, stop, step] = sliceBounds(this.values.length, key.start, key.stop, key.step).map(BigInt) as [bigint, bigint, bigint];
      return new PyRange(this.start + start * this.step, this.start + stop * this.step, this.step * step) as unknown as Value;
    }
    const i = asInt(key);
    if (i === undefined) return undefined;
    const n = this.values.length;
    const index = Number(i < 0n ? i + BigInt(n) : i);
    return index >= 0 && index < n ? this.values[index]! : undefined;
  }
  repr(): string {
    return this.step === 1n ? `range(${this.start}, ${this.stop})` : `range(${this.start}, ${this.stop}, ${this.step})`;
  }
}

/**
 * model-ensembler's `run`: a namedtuple of every merged key. `run.x` and
 * `run['x']` both read a field (Jinja2 falls back from the item to the
 * attribute); iterating gives the values.
 */
export class RunTuple implements PyObject {
  readonly pyType = 'Run';
  constructor(readonly fields: Map<string, Value>) {}
  getattr(name: string): Value | undefined {
    if (this.fields.has(name)) return this.fields.get(name);
    // A namedtuple's own: its field names in order, and tuple's methods (names with `_` are no fields of one).
    if (name === '_fields') return new PyTuple([...this.fields.keys()]);
    if (name === 'index' || name === 'count') {
      return new PyCallable(`Run.${name}`, (a) => {
        const values = this.iterate();
        const wanted = a[0] ?? null;
        if (name === 'count') return BigInt(values.filter((v) => equals(v, wanted)).length);
        const at = values.findIndex((v) => equals(v, wanted));
        if (at < 0) throw new TemplateRuntimeError('ValueError: tuple.index(x): x not in tuple');
        return BigInt(at);
      });
    }
    return undefined;
  }
  repr(): string {
    return `Run(${[...this.fields].map(([k, v]) => `${k}=${pyRepr(v)}`).join(', ')})`;
  }
  getitem(key: Value): Value | undefined {
    const i = asInt(key);
    if (i === undefined) return undefined;
    const values = [...this.fields.values()];
    const index = Number(i < 0n ? i + BigInt(values.length) : i);
    return values[index];
  }
  iterate(): Value[] {
    return [...this.fields.values()];
  }
}

/** What `{% import "x" as m %}` binds: the template's exported macros and top-level variables. */
export class TemplateModule implements PyObject {
  readonly pyType = 'TemplateModule';
  constructor(readonly name: string, readonly exports: Map<string, Value>) {}
  getattr(name: string): Value | undefined {
    return this.exports.get(name);
  }
  repr(): string {
    return `<TemplateModule ${pyRepr(this.name)}>`;
  }
}

/**
 * What Jinja2's select, reject, selectattr, rejectattr, map, batch, slice,
 * unique and items give, and reverse of a list or dict: a Python iterator.
 * It is always true, has no length (`|length` is a TypeError), prints as its
 * memory address (refused: printing.ts) and is used up by its first reading.
 * The items are computed at once here; reading them a second time, where
 * Jinja2 would find nothing left, is refused.
 */
export class PyIterator implements PyObject {
  readonly iterator = true;
  private used = false;

  constructor(
    readonly pyType: string,
    private readonly items: Value[],
  ) {}

  getattr(): Value | undefined {
    return undefined;
  }

  iterate(): Value[] {
    if (this.used) throw new UnsupportedConstruct(`reading a ${this.pyType} a second time`, 'in Jinja2 the first reading uses it up (a second finds nothing); store it with `| list` to read it twice');
    this.used = true;
    return this.items;
  }
}

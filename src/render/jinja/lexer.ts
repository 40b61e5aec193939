/**
 * Jinja2's lexer (3.1, default Environment: `{% %}`, `{{ }}`, `{# #}`, no
 * line statements, trim_blocks and lstrip_blocks off, keep_trailing_newline
 * off), written from its rules: the same tokens, whitespace control and
 * string escapes, plus a column for every token so errors can point at it.
 */
import { TemplateSyntaxError, type TemplatePosition } from './errors.js';

export type TokenType =
  | 'data' | 'variable_begin' | 'variable_end' | 'block_begin' | 'block_end'
  | 'name' | 'string' | 'integer' | 'float' | 'eof'
  | 'add' | 'sub' | 'div' | 'floordiv' | 'mul' | 'mod' | 'pow' | 'tilde'
  | 'lbracket' | 'rbracket' | 'lparen' | 'rparen' | 'lbrace' | 'rbrace'
  | 'eq' | 'ne' | 'gt' | 'gteq' | 'lt' | 'lteq' | 'assign' | 'dot' | 'colon' | 'pipe' | 'comma' | 'semicolon';

export interface Token extends TemplatePosition {
  type: TokenType;
  /** Names, operators and data: their text; strings: the unescaped value; numbers: see `number`. */
  value: string;
  /** integer: a bigint; float: a number. */
  number?: bigint | number;
}

const OPERATORS: Record<string, TokenType> = {
  '//': 'floordiv', '**': 'pow', '==': 'eq', '!=': 'ne', '>=': 'gteq', '<=': 'lteq',
  '+': 'add', '-': 'sub', '/': 'div', '*': 'mul', '%': 'mod', '~': 'tilde',
  '[': 'lbracket', ']': 'rbracket', '(': 'lparen', ')': 'rparen', '{': 'lbrace', '}': 'rbrace',
  '>': 'gt', '<': 'lt', '=': 'assign', '.': 'dot', ':': 'colon', '|': 'pipe', ',': 'comma', ';': 'semicolon',
};

// Python's str.isspace() / re's \s for str patterns.
const WS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE = new RegExp(`[${WS}]+`, 'y');
const TRAILING_WS = new RegExp(`[${WS}]+$`);
const FLOAT = /(?:\d+_)*\d+(?:(?:\.(?:\d+_)*\d+)?e[+-]?(?:\d+_)*\d+|\.(?:\d+_)*\d+)/iy;
const INTEGER = /0b(?:_?[01])+|0o(?:_?[0-7])+|0x(?:_?[\da-f])+|[1-9](?:_?\d)*|0(?:_?0)*/iy;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const STRING = /'([^'\\]*(?:\\.[^'\\]*)*)'|"([^"\\]*(?:\\.[^"\\]*)*)"/sy;
const OPERATOR = /\/\/|\*\*|==|!=|>=|<=|[+\-/*%~[\](){}><=.:|,;]/y;
const BLOCK_END = new RegExp(`\\+%\\}|-%\\}[${WS}]*|%\\}`, 'y');
const VARIABLE_END = new RegExp(`-\\}\\}[${WS}]*|\\}\\}`, 'y');
const RAW_BEGIN = new RegExp(`\\{%([-+]?)[${WS}]*raw[${WS}]*(?:-%\\}[${WS}]*|%\\})`, 'y');
const RAW_END = new RegExp(`\\{%([-+]?)[${WS}]*endraw[${WS}]*(?:\\+%\\}|-%\\}[${WS}]*|%\\})`, 'g');
const COMMENT_END = new RegExp(`\\+#\\}|-#\\}[${WS}]*|#\\}`, 'g');
const TAG_START = /\{[{%#]/g;

/** Jinja2 reads every line break as `\n` and, with keep_trailing_newline off, drops one final line break. */
export function normaliseNewlines(source: string): string {
  const lines = source.split(/\r\n|\r|\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n');
}

export function tokenize(rawSource: string): Token[] {
  const source = normaliseNewlines(rawSource);
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const posAt = (index: number): TemplatePosition => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - lineStarts[lo]! + 1 };
  };
  const tokens: Token[] = [];
  const push = (type: TokenType, value: string, index: number, number?: bigint | number) => tokens.push({ type, value, ...posAt(index), ...(number !== undefined ? { number } : {}) });
  const fail = (message: string, index: number): never => {
    throw new TemplateSyntaxError(message, posAt(index));
  };
  const data = (text: string, index: number, stripSign: string) => {
    const kept = stripSign === '-' ? text.replace(TRAILING_WS, '') : text;
    if (kept) push('data', kept, index);
  };

  let pos = 0;
  while (pos < source.length) {
    TAG_START.lastIndex = pos;
    const start = TAG_START.exec(source);
    if (!start) {
      data(source.slice(pos), pos, '');
      break;
    }
    const at = start.index;
    const sign = source[at + 2] === '-' || source[at + 2] === '+' ? source[at + 2]! : '';
    const text = source.slice(pos, at);
    if (start[0] === '{%') {
      RAW_BEGIN.lastIndex = at;
      const raw = RAW_BEGIN.exec(source);
      if (raw) {
        data(text, pos, raw[1]!);
        RAW_END.lastIndex = raw.index + raw[0].length;
        const end = RAW_END.exec(source);
        if (!end) fail('Missing end of raw directive', at);
        const body = source.slice(raw.index + raw[0].length, end!.index);
        data(body, raw.index + raw[0].length, end![1]!);
        pos = end!.index + end![0].length;
        continue;
      }
    }
    if (start[0] === '{#') {
      data(text, pos, sign);
      COMMENT_END.lastIndex = at + 2 + sign.length;
      const end = COMMENT_END.exec(source);
      if (!end) fail('Missing end of comment tag', at);
      pos = end!.index + end![0].length;
      continue;
    }
    data(text, pos, sign);
    const isBlock = start[0] === '{%';
    push(isBlock ? 'block_begin' : 'variable_begin', start[0] + sign, at);
    pos = at + 2 + sign.length;
    pos = lexTag(isBlock);
  }
  push('eof', '', source.length);
  return tokens;

  /** Tokens of one `{% %}` or `{{ }}` from `pos`; returns the index after its end. */
  function lexTag(isBlock: boolean): number {
    const balance: string[] = [];
    const end = isBlock ? BLOCK_END : VARIABLE_END;
    for (;;) {
      if (pos >= source.length) fail(`unexpected end of template, expected '${isBlock ? 'end of statement block' : 'end of print statement'}'`, pos);
      if (balance.length === 0) {
        end.lastIndex = pos;
        const m = end.exec(source);
        if (m) {
          push(isBlock ? 'block_end' : 'variable_end', m[0].trimEnd(), pos);
          return pos + m[0].length;
        }
      }
      let m: RegExpExecArray | null;
      if ((WHITESPACE.lastIndex = pos) >= 0 && (m = WHITESPACE.exec(source))) {
        pos += m[0].length;
        continue;
      }
      if ((FLOAT.lastIndex = pos) >= 0 && source[pos - 1] !== '.' && (m = FLOAT.exec(source))) {
        push('float', m[0], pos, Number(m[0].replace(/_/g, '')));
        pos += m[0].length;
        continue;
      }
      if ((INTEGER.lastIndex = pos) >= 0 && (m = INTEGER.exec(source))) {
        push('integer', m[0], pos, parseInteger(m[0]));
        pos += m[0].length;
        continue;
      }
      if ((NAME.lastIndex = pos) >= 0 && (m = NAME.exec(source))) {
        push('name', m[0], pos);
        pos += m[0].length;
        continue;
      }
      if ((STRING.lastIndex = pos) >= 0 && (m = STRING.exec(source))) {
        const body = m[1] ?? m[2] ?? '';
        let value: string;
        try {
          value = unescapePython(body);
        } catch (err) {
          fail((err as Error).message, pos);
        }
        push('string', value!, pos);
        pos += m[0].length;
        continue;
      }
      if ((OPERATOR.lastIndex = pos) >= 0 && (m = OPERATOR.exec(source))) {
        const op = m[0];
        if (op === '{' || op === '(' || op === '[') balance.push(op === '{' ? '}' : op === '(' ? ')' : ']');
        else if (op === '}' || op === ')' || op === ']') {
          if (balance.length === 0) fail(`unexpected '${op}'`, pos);
          const expected = balance.pop();
          if (expected !== op) fail(`unexpected '${op}', expected '${expected}'`, pos);
        }
        push(OPERATORS[op]!, op, pos);
        pos += op.length;
        continue;
      }
      fail(`unexpected char ${pyCharRepr(source[pos]!)} at ${pos}`, pos);
    }
  }
}

/** BigInt reads 0b, 0o and 0x prefixes itself. */
function parseInteger(text: string): bigint {
  return BigInt(text.replace(/_/g, '').toLowerCase());
}

function pyCharRepr(c: string): string {
  return c === "'" ? `"'"` : `'${c.replace(/\\/g, '\\\\')}'`;
}

/**
 * What Jinja2 does to a string literal's body:
 * `.encode("ascii", "backslashreplace").decode("unicode-escape")`.
 */
export function unescapePython(body: string): string {
  // First the encode step: every non-ASCII code point becomes its backslash escape.
  let ascii = '';
  for (const ch of body) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) ascii += ch;
    else if (cp <= 0xff) ascii += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp <= 0xffff) ascii += `\\u${cp.toString(16).padStart(4, '0')}`;
    else ascii += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  // Then Python's unicode-escape decoding.
  let out = '';
  for (let i = 0; i < ascii.length; i++) {
    const c = ascii[i]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const n = ascii[++i];
    if (n === undefined) throw new Error('\\ at end of string');
    const simple: Record<string, string> = { '\n': '', '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };
    if (n in simple) {
      out += simple[n];
      continue;
    }
    if (/[0-7]/.test(n)) {
      let digits = n;
      while (digits.length < 3 && /[0-7]/.test(ascii[i + 1] ?? '')) digits += ascii[++i];
      out += String.fromCodePoint(parseInt(digits, 8));
      continue;
    }
    const hexLength = n === 'x' ? 2 : n === 'u' ? 4 : n === 'U' ? 8 : 0;
    if (hexLength) {
      const hex = ascii.slice(i + 1, i + 1 + hexLength);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLength}}$`).test(hex)) throw new Error(`truncated \\${n}${'X'.repeat(hexLength)} escape`);
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw new Error('illegal Unicode character');
      out += String.fromCodePoint(cp);
      i += hexLength;
      continue;
    }
    if (n === 'N') throw new Error('\\N{...} escapes (Unicode character names) are not supported by mensemble');
    // Unknown escapes stay as they are.
    out += `\\${n}`;
  }
  return out;
}

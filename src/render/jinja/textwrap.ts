/**
 * Python's textwrap.wrap as Jinja2's `wordwrap` filter calls it
 * (expand_tabs and replace_whitespace off, drop_whitespace on, no indents),
 * with the chunking rules of textwrap.TextWrapper: words split at
 * whitespace and, with break_on_hyphens, after hyphens inside words.
 */
import { codePoints } from './values.js';

// textwrap's character classes, for str patterns.
const WS = '[\\t\\n\\x0b\\x0c\\r ]';
const NWS = '[^\\t\\n\\x0b\\x0c\\r ]';
const WORD_PUNCT = "[\\p{L}\\p{N}_!\"'&.,?]";
const LETTER = '[\\p{L}]';
const WORDSEP = new RegExp(
  `(${WS}+|(?<=${WORD_PUNCT})-{2,}(?=[\\p{L}\\p{N}_])|${NWS}+?(?:-(?:(?<=${LETTER}{2}-)|(?<=${LETTER}-${LETTER}-))(?=${LETTER}-?${LETTER})|(?=${WS}|$)|(?<=${WORD_PUNCT})(?=-{2,}[\\p{L}\\p{N}_])))`,
  'u',
);
const WORDSEP_SIMPLE = new RegExp(`(${WS}+)`);

const len = (s: string) => codePoints(s).length;
const isBlank = (s: string) => s.replace(/[\t\n\x0b\x0c\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/g, '') === '';

export function wrap(text: string, width: number, breakLongWords: boolean, breakOnHyphens: boolean): string[] {
  const chunks = text.split(breakOnHyphens ? WORDSEP : WORDSEP_SIMPLE).filter((c) => c);
  chunks.reverse();
  const lines: string[] = [];
  while (chunks.length) {
    let line: string[] = [];
    let lineLength = 0;
    if (isBlank(chunks[chunks.length - 1]!) && lines.length) chunks.pop();
    while (chunks.length) {
      const l = len(chunks[chunks.length - 1]!);
      if (lineLength + l <= width) {
        line.push(chunks.pop()!);
        lineLength += l;
      } else break;
    }
    if (chunks.length && len(chunks[chunks.length - 1]!) > width) {
      const spaceLeft = width < 1 ? 1 : width - lineLength;
      if (breakLongWords) {
        const chunk = codePoints(chunks[chunks.length - 1]!);
        let end = spaceLeft;
        if (breakOnHyphens && chunk.length > spaceLeft) {
          const hyphen = chunk.slice(0, spaceLeft).lastIndexOf('-');
          if (hyphen > 0 && chunk.slice(0, hyphen).some((c) => c !== '-')) end = hyphen + 1;
        }
        line.push(chunk.slice(0, end).join(''));
        chunks[chunks.length - 1] = chunk.slice(end).join('');
      } else if (!line.length) line.push(chunks.pop()!);
      lineLength = line.reduce((n, c) => n + len(c), 0);
    }
    if (line.length && isBlank(line[line.length - 1]!)) {
      lineLength -= len(line[line.length - 1]!);
      line = line.slice(0, -1);
    }
    if (line.length) lines.push(line.join(''));
  }
  return lines;
}

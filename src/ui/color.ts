export interface Colors {
  enabled: boolean;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
  blue(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

/**
 * Colour is on for a terminal that can show it, as Node's `hasColors` judges
 * (it honours NO_COLOR, NODE_DISABLE_COLORS, FORCE_COLOR=0 and TERM=dumb);
 * off where output is not a terminal unless FORCE_COLOR asks for it. The
 * --color/--no-color flag and the `color` setting override both.
 */
export function shouldColor(setting: 'auto' | 'always' | 'never' | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (setting === 'always') return true;
  if (setting === 'never') return false;
  if (stream.isTTY && typeof stream.hasColors === 'function') return stream.hasColors();
  const force = process.env.FORCE_COLOR;
  return force !== undefined && force !== '0' && force !== 'false';
}

export function makeColors(enabled: boolean): Colors {
  const wrap = (open: number, close: number) => (s: string) => (enabled ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return {
    enabled,
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    red: wrap(31, 39),
    cyan: wrap(36, 39),
    blue: wrap(34, 39),
    bold: wrap(1, 22),
    dim: wrap(2, 22),
  };
}

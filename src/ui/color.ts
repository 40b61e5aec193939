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
 * Colour is on for a terminal unless NO_COLOR is set; FORCE_COLOR forces it;
 * the --color/--no-color flag and the `color` setting override both.
 */
export function shouldColor(setting: 'auto' | 'always' | 'never' | undefined, stream: NodeJS.WriteStream = process.stdout): boolean {
  if (setting === 'always') return true;
  if (setting === 'never') return false;
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY);
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

import type { ColorSetting } from '../config/rc.js';
import { makeColors, shouldColor } from '../ui/color.js';
import type { Output } from '../ui/output.js';

/** `--color` / `--no-color` as typed, or undefined for neither (program.ts reads the words; cac gives both one key). */
export type ColorFlag = boolean | undefined;

/** The command's output: JSON or text, colour from the flag, then `.mensemblerc`, then the terminal and environment. */
export function processOutput(flags: { json?: boolean; colorFlag?: ColorFlag }, rcColor?: ColorSetting): Output {
  const json = Boolean(flags.json);
  const setting = flags.colorFlag === true ? 'always' : flags.colorFlag === false ? 'never' : rcColor;
  return {
    json,
    colors: makeColors(!json && shouldColor(setting)),
    // A dumb terminal cannot move the cursor: it gets the plain lines a log gets.
    interactive: Boolean(process.stdout.isTTY) && process.env.TERM !== 'dumb',
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
  };
}

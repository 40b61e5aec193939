import type { Colors } from './color.js';

/**
 * Where a command's words go, decided once per command (cli/output.ts) and
 * handed to its view: results on `out` (the plan, the status table, the JSON
 * documents), prompts and warnings a program must not parse on `err`.
 */
export interface Output {
  /** `--json`: the view writes the documents of docs/json-output.md instead of text. */
  json: boolean;
  colors: Colors;
  /** Whether `out` is a terminal, where live progress may redraw itself. */
  interactive: boolean;
  out(text: string | Uint8Array): void;
  err(text: string): void;
}

import { displayPath } from '../../util/paths.js';
import { jsonLine } from '../json.js';
import type { Output } from '../output.js';

/** What `mensemble validate` shows when the configuration is valid (problems are errors: ui/views/error.ts). */
export interface ValidateView {
  valid(file: string, counts: { batches: number; runs: number }): void;
}

export function validateView(output: Output): ValidateView {
  if (output.json) return { valid: (file, summary) => output.out(jsonLine('validate', { valid: true, file, summary })) };
  return {
    valid(file, { batches, runs }) {
      output.out(`${displayPath(file)} is valid: ${batches} batch${batches === 1 ? '' : 'es'}, ${runs} run${runs === 1 ? '' : 's'}; every template renders.\n`);
    },
  };
}

import { UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { LocalBackend } from './local/index.js';
import { SlurmBackend } from './slurm/index.js';
import type { Backend } from './types.js';

export const BACKENDS = ['local', 'slurm'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function createBackend(name: string): Backend {
  switch (name) {
    case 'local':
      return new LocalBackend();
    case 'slurm':
      return new SlurmBackend();
    default:
      throw new UserError(`Unknown backend \`${name}\`.${didYouMean(name, BACKENDS)} Backends: ${BACKENDS.join(', ')}.`);
  }
}

import { createBackend } from './index.js';
import type { Backend } from './types.js';

/**
 * The backends one command works with: the one chosen for new jobs
 * (`--backend`, `.mensemblerc`), and any other that a run's earlier attempt
 * names (a run submitted on `slurm`, planned now with `local`), each made
 * once. Commands make one registry (cli/open-ensemble.ts) and pass it down;
 * nothing else constructs a backend.
 */
export class Backends {
  private readonly made = new Map<string, Backend>();

  constructor(
    readonly primary: Backend,
    private readonly make: (name: string) => Backend = createBackend,
  ) {
    this.made.set(primary.name, primary);
  }

  static named(name: string): Backends {
    return new Backends(createBackend(name));
  }

  /** The backend called `name`, made on first use. */
  get(name: string): Backend {
    let backend = this.made.get(name);
    if (!backend) {
      backend = this.make(name);
      this.made.set(name, backend);
    }
    return backend;
  }
}

/**
 * Errors the user can act on. Everything thrown as a `UserError` is printed
 * as one readable paragraph with exit code 1; anything else is an internal
 * error (printed with a hint to use --verbose for the stack).
 */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** A command line mensemble cannot take (an unknown option, a malformed value): the `usage` category. */
export class UsageError extends UserError {
  constructor(message: string) {
    // 2, as shells and most tools report a command line they cannot take (EXIT.usage).
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** A position in a source file, 1-based, as editors show it. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

export function formatLocation(loc: SourceLocation): string {
  return `${loc.file}:${loc.line}:${loc.column}`;
}

/** Several problems in one input, reported together (one paragraph each). */
export class UserErrors extends UserError {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'UserErrors';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

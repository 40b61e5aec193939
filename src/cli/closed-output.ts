import { EXIT } from './exit-codes.js';

/**
 * A reader that stops reading (`mensemble plan --json | head -1`) closes the
 * pipe: the next write fails with EPIPE, which Node raises as an unhandled
 * 'error' event, a stack trace. A C program would die of SIGPIPE, silently,
 * and shells expect exit code 141 (128 + 13); mensemble does the same. An
 * apply stopped this way is safe to stop at any instant (its state is
 * written before each step, and its lock is released on exit), and the next
 * apply follows the jobs already submitted.
 */

export function exitQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') process.exit(EXIT.sigpipe);
      throw err;
    });
  }
}

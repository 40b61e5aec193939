import { exitQuietlyWhenOutputCloses } from './closed-output.js';
import { main, report } from './program.js';

/**
 * Runs the program as the `mensemble` command: its answer becomes the exit
 * code. main.ts calls this; so does the single file's entry
 * (scripts/bundle-entry.mjs), which the build also makes dist/cli/main.js.
 */
export function runCommand(argv: string[]): void {
  exitQuietlyWhenOutputCloses();
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.exitCode = report(err, true, [], argv.includes('--json'));
    },
  );
}

#!/usr/bin/env node
// The `mensemble` command: the program (program.ts) with this process's
// arguments, its answer as the exit code.
import { exitQuietlyWhenOutputCloses } from './closed-output.js';
import { main, report } from './program.js';

exitQuietlyWhenOutputCloses();
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.exitCode = report(err, true, [], process.argv.includes('--json'));
  },
);

#!/usr/bin/env node
// The `mensemble` command, as modules. `npm run build` replaces its output,
// dist/cli/main.js, by the same command bundled into one file
// (scripts/bundle.mjs): one file starts about a quarter faster than a
// hundred modules, on every command.
import { runCommand } from './run.js';

runCommand(process.argv.slice(2));

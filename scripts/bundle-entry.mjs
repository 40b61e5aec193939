// The single file's entry (scripts/bundle.mjs bundles it with everything it
// imports): first hands mensemble what it would read from files beside its
// modules (src/util/embedded.ts), then runs the command line.
/* global MENSEMBLE_FILES */
import validator from '../dist/config/schema-validator.generated.cjs';
import fastGlob from 'fast-glob';

globalThis.mensembleEmbedded = { ...MENSEMBLE_FILES, validator: validator.default ?? validator, fastGlob };
const { runCommand } = await import('../dist/cli/run.js');
runCommand(process.argv.slice(2));

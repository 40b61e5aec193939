/**
 * Ajv's options for the configuration schema, shared by the runtime
 * compiler and the build step that precompiles the validator
 * (scripts/build-validator.mjs). strictTypes/strictRequired are off because
 * the task `if/then` branches refine `args` without restating its type.
 */
export const SCHEMA_AJV_OPTIONS = { allErrors: true, strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true } as const;

/** The precompiled validator's file name, beside the compiled schema module in dist/config/. */
export const PRECOMPILED_VALIDATOR = 'schema-validator.generated.cjs';

import type { ValidateFunction } from 'ajv';

/**
 * What the single-file build (scripts/bundle.mjs) carries inside itself in
 * place of the files a package keeps beside its modules. Set on globalThis by
 * the bundle's entry (scripts/bundle-entry.mjs) before any module of
 * mensemble runs; absent when mensemble runs from dist/ or the sources.
 */
export interface Embedded {
  /** package.json's version. */
  version: string;
  /** schema/mensemble.schema.json as written. */
  schemaText: string;
  /** The configuration readers' code, which config/load.ts keys its cache with (the same text as dist/'s). */
  readerCode: string;
  /** The schema's precompiled validator (scripts/build-validator.mjs). */
  validator: ValidateFunction;
  /** fast-glob, which the modules load with require() on first use. */
  fastGlob: typeof import('fast-glob');
  /** The local jobs' launcher (util/launcher-child.ts) as one CommonJS script, run with `node -e`. */
  launcherChildCode: string;
  /** The plan's read-ahead thread (plan/read-ahead-worker.ts) as one CommonJS script. */
  readAheadWorkerCode: string;
}

export function embedded(): Embedded | undefined {
  return (globalThis as { mensembleEmbedded?: Embedded }).mensembleEmbedded;
}

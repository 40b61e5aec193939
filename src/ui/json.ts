/**
 * The envelope every `--json` document and NDJSON line carries
 * (docs/json-output.md): `type` says what the object is, `version` which
 * edition of the contract it follows. A change that could break a reader
 * raises the version.
 */
export const JSON_VERSION = 2;

export function envelope<T extends object>(type: string, body: T): { type: string; version: number } & T {
  return { type, version: JSON_VERSION, ...body };
}

/** One line of newline-delimited JSON. */
export function jsonLine(type: string, body: object): string {
  return `${JSON.stringify(envelope(type, body))}\n`;
}

import { loadSchema } from '../../../config/schema.js';

/** `mensemble schema`: the JSON Schema of the configuration, for editors. */
export async function schemaCommand(): Promise<number> {
  process.stdout.write(`${JSON.stringify(loadSchema(), null, 2)}\n`);
  return 0;
}

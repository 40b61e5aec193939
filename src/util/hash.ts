import fs from 'node:fs';
import { NotAFileError } from './read-text.js';
import xxhash from 'xxhash-wasm';

type Hasher = Awaited<ReturnType<typeof xxhash>>;
let hasher: Hasher | undefined;

/** Loads the WebAssembly hasher once; every other function here is synchronous. */
export async function initHashing(): Promise<void> {
  hasher ??= await xxhash();
}

function h(): Hasher {
  if (!hasher) throw new Error('initHashing() must be awaited before hashing');
  return hasher;
}

/** 64-bit xxhash of text or bytes, as 16 hex digits. */
export function hash64(data: string | Uint8Array): string {
  if (typeof data === 'string') return h().h64ToString(data);
  return h().h64Raw(data).toString(16).padStart(16, '0');
}

const CHUNK = 1 << 20;

/** Hashes a file in 1 MiB chunks, so multi-gigabyte data files cost no memory. */
export function hashFile(file: string): string {
  const state = h().create64();
  // Without waiting for a writer, and only a regular file: a FIFO would hang the plan, a device never end.
  const fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  try {
    if (!fs.fstatSync(fd).isFile()) throw new NotAFileError(file);
    const buffer = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const n = fs.readSync(fd, buffer, 0, CHUNK, null);
      if (n === 0) break;
      state.update(buffer.subarray(0, n));
    }
  } finally {
    fs.closeSync(fd);
  }
  return state.digest().toString(16).padStart(16, '0');
}

/** A symbolic link's hash: of its target, marked so that it never equals a file's. */
export function linkHash(target: string): string {
  return hash64(`link:${target}`);
}

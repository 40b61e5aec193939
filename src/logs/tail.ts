import fs from 'node:fs';

/**
 * Reads files as they grow, as `tail -f` does: each call returns the bytes
 * added since the previous one. Used by `logs` and `logs --follow`.
 */
export class LogTail {
  private readonly offsets = new Map<string, number>();

  /** The new bytes of `file` (empty when nothing was added), or undefined when it does not exist. */
  next(file: string): Buffer | undefined {
    let size: number;
    try {
      size = fs.statSync(file).size;
    } catch {
      return undefined;
    }
    const from = this.offsets.get(file) ?? 0;
    this.offsets.set(file, Math.max(size, from));
    if (size <= from) return Buffer.alloc(0);
    const fd = fs.openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(size - from);
      fs.readSync(fd, buffer, 0, buffer.length, from);
      return buffer;
    } finally {
      fs.closeSync(fd);
    }
  }
}

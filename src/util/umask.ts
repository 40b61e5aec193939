import fs from 'node:fs';

let cached: number | undefined;

/**
 * The process's umask. Read from /proc where it can be (asking
 * `process.umask()` is deprecated because it briefly changes it).
 */
export function currentUmask(): number {
  if (cached !== undefined) return cached;
  try {
    const m = /^Umask:\s+([0-7]+)$/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return (cached = Number.parseInt(m[1]!, 8));
  } catch {
    // not Linux: fall through
  }
  return (cached = process.umask());
}

/**
 * A file mode with the umask applied, as `cp` and `open` do. Modes set
 * explicitly (chmod) bypass the umask, so a world-writable template would
 * otherwise give world-writable copies.
 */
export function masked(mode: number): number {
  // setuid and setgid are dropped, as cp drops them: a copied template must not run as its owner.
  return mode & ~currentUmask() & ~0o6000;
}

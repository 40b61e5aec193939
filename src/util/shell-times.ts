/**
 * The shell's `times` line for its children, `0m1.250s 0m0.030s` (bash) or
 * `0m1.250000s 0m0.030000s` (dash): user plus system, in seconds.
 */
export function shellCpuSeconds(line: string): number | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts.length !== 2) return undefined;
  let total = 0;
  for (const part of parts) {
    const m = /^(\d+)m(\d+(?:\.\d+)?)s$/.exec(part);
    if (!m) return undefined;
    total += Number(m[1]) * 60 + Number(m[2]);
  }
  return total;
}

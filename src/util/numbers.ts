/**
 * The largest of `values`, or `empty` for none. `Math.max(...values)` passes
 * every value as an argument and overflows the stack past about 100,000 of
 * them (a 160,000-run plan died with "Maximum call stack size exceeded").
 */
export function maxOf(values: Iterable<number>, empty = 0): number {
  let best: number | undefined;
  for (const v of values) if (best === undefined || v > best) best = v;
  return best ?? empty;
}

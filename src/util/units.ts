/**
 * Memory sizes and durations as SLURM and its users write them, read into
 * bytes and seconds, and written back the way sbatch reads them. One place,
 * so that what a plan shows, what sacct said and what is submitted agree.
 */

const MEMORY_UNITS: Record<string, number> = { K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/**
 * `8G`, `500M`, `1.5T`, `64gb`, a bare number (MiB, as sbatch reads it), and
 * sacct's ReqMem/MaxRSS (`4000M`, `1616K`, `2Gn`/`2Gc` of older versions:
 * per node or per CPU, taken as written). Undefined when it is none of these.
 */
export function parseMemory(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text * MEMORY_UNITS.M! : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGTP])?(?:i?B)?[nc]?\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = MEMORY_UNITS[(m[2] ?? 'M').toUpperCase()]!;
  return Math.round(Number(m[1]) * unit);
}

/**
 * sbatch's `--time` forms: `minutes`, `minutes:seconds`, `hours:minutes:seconds`,
 * `days-hours`, `days-hours:minutes`, `days-hours:minutes:seconds`. Undefined
 * for anything else, and for `UNLIMITED`/`INFINITE` (no limit to grow).
 */
export function parseDuration(text: string | number): number | undefined {
  if (typeof text === 'number') return Number.isInteger(text) && text >= 0 ? text * 60 : undefined;
  const t = text.trim();
  const withDays = /^(\d+)-(\d+)(?::(\d+))?(?::(\d+))?$/.exec(t);
  if (withDays) {
    const [, d, h, m, s] = withDays;
    return Number(d) * 86400 + Number(h) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0);
  }
  const parts = t.split(':');
  if (parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) return undefined;
  const n = parts.map(Number);
  if (n.length === 1) return n[0]! * 60;
  if (n.length === 2) return n[0]! * 60 + n[1]!;
  return n[0]! * 3600 + n[1]! * 60 + n[2]!;
}

/**
 * The longest interval mensemble waits between two tries or queries: 24 days.
 * Node.js keeps no timer longer than 2^31-1 ms (24.8 days) and fires a longer
 * one at once, so a larger interval would turn into a tight loop.
 */
export const MAX_INTERVAL_SECONDS = 24 * 86400;

/** sacct's TotalCPU and friends: `[DD-[HH:]]MM:SS[.mmm]`, as seconds. */
export function parseCpuTime(text: string): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)$/.exec(text.trim());
  if (!m) return undefined;
  const [, d, h, min, s] = m;
  return Number(d ?? 0) * 86400 + Number(h ?? 0) * 3600 + Number(min) * 60 + Number(s);
}

/** A memory request as sbatch takes it: whole MiB, rounded up (`12288M`). */
export function sbatchMemory(bytes: number): string {
  return `${Math.ceil(bytes / MEMORY_UNITS.M!)}M`;
}

/** A time limit as sbatch takes it: whole minutes, rounded up, as `D-HH:MM:SS` or `HH:MM:SS`. */
export function sbatchTime(seconds: number): string {
  const minutes = Math.ceil(seconds / 60);
  const d = Math.floor(minutes / 1440);
  const h = Math.floor((minutes % 1440) / 60);
  const m = minutes % 60;
  const hms = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00`;
  return d > 0 ? `${d}-${hms}` : hms;
}

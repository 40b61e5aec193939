/**
 * What one attempt used, as recorded with it in the run's state: from the
 * scheduler's accounting where there is one (`source: 'accounting'`, the
 * figures `sacct` itself prints), else from what the job's wrapper measured
 * (`source: 'wrapper'`). A figure nobody could tell is absent and named in
 * `missing`, never guessed.
 */
export interface AttemptUsage {
  source: 'accounting' | 'wrapper';
  /** Wall time from start to end. */
  elapsedSeconds?: number;
  /** CPUs allocated to the job (1 for a local job: it is not given more). */
  cpus?: number;
  gpus?: number;
  /** CPU time the job's processes used (user and system). */
  cpuSeconds?: number;
  /** What the allocation costs: elapsed time x allocated CPUs (sacct's CPUTimeRAW). */
  coreSeconds?: number;
  requestedMemoryBytes?: number;
  /** Peak resident memory (sacct's MaxRSS over the job's steps: sampled, so a short job may show little). */
  peakMemoryBytes?: number;
  timeLimitSeconds?: number;
  nodes?: string;
  /** Figures that could not be told for this attempt (no accounting, not measured). */
  missing?: UsageFigure[];
}

export type UsageFigure = 'elapsedSeconds' | 'cpus' | 'cpuSeconds' | 'coreSeconds' | 'requestedMemoryBytes' | 'peakMemoryBytes' | 'timeLimitSeconds';

const FIGURES: readonly UsageFigure[] = ['elapsedSeconds', 'cpus', 'cpuSeconds', 'coreSeconds', 'requestedMemoryBytes', 'peakMemoryBytes', 'timeLimitSeconds'];

/** The usage with `missing` listing every figure it lacks (`wanted`: those that could have been known here). */
export function withMissing(usage: AttemptUsage, wanted: readonly UsageFigure[] = FIGURES): AttemptUsage {
  const missing = wanted.filter((f) => usage[f] === undefined);
  const out = { ...usage };
  delete out.missing;
  return missing.length > 0 ? { ...out, missing } : out;
}

export function coreHoursOf(usage: AttemptUsage | undefined): number | undefined {
  return usage?.coreSeconds === undefined ? undefined : usage.coreSeconds / 3600;
}

/** Sums over attempts, with seff's efficiencies (CPU time over core time; peak over requested memory, the largest). */
export interface UsageTotals {
  attempts: number;
  /** Attempts whose core time is known: the core-hours are theirs. */
  measured: number;
  coreHours: number;
  cpuHours: number;
  /** Core-hours of the attempts whose CPU time is known too: what cpuEfficiency divides by. */
  cpuMeasuredCoreHours: number;
  /** CPU time over core time of the attempts that have both; undefined without any. */
  cpuEfficiency?: number;
  /** Largest peak over its request, of the attempts that have both. */
  memoryEfficiency?: number;
}

export function totalUsage(usages: readonly (AttemptUsage | undefined)[]): UsageTotals {
  let measured = 0, coreSeconds = 0, cpuSeconds = 0, effCore = 0, effCpu = 0;
  let memoryEfficiency: number | undefined;
  for (const u of usages) {
    if (u?.coreSeconds === undefined) continue;
    measured++;
    coreSeconds += u.coreSeconds;
    if (u.cpuSeconds !== undefined) {
      cpuSeconds += u.cpuSeconds;
      effCore += u.coreSeconds;
      effCpu += u.cpuSeconds;
    }
    if (u.peakMemoryBytes !== undefined && u.requestedMemoryBytes) {
      memoryEfficiency = Math.max(memoryEfficiency ?? 0, u.peakMemoryBytes / u.requestedMemoryBytes);
    }
  }
  return {
    attempts: usages.length,
    measured,
    coreHours: coreSeconds / 3600,
    cpuHours: cpuSeconds / 3600,
    cpuMeasuredCoreHours: effCore / 3600,
    cpuEfficiency: effCore > 0 ? effCpu / effCore : undefined,
    memoryEfficiency,
  };
}

/** Totals of totals (runs into a batch, batches into the ensemble), weighted as totalUsage weighs attempts. */
export function sumTotals(parts: readonly UsageTotals[]): UsageTotals {
  let attempts = 0, measured = 0, coreHours = 0, cpuHours = 0, effCore = 0;
  let memoryEfficiency: number | undefined;
  for (const p of parts) {
    attempts += p.attempts;
    measured += p.measured;
    coreHours += p.coreHours;
    cpuHours += p.cpuHours;
    effCore += p.cpuMeasuredCoreHours;
    if (p.memoryEfficiency !== undefined) memoryEfficiency = Math.max(memoryEfficiency ?? 0, p.memoryEfficiency);
  }
  return { attempts, measured, coreHours, cpuHours, cpuMeasuredCoreHours: effCore, cpuEfficiency: effCore > 0 ? cpuHours / effCore : undefined, memoryEfficiency };
}

/** The shape check of a stored usage (validate-run-state.ts): numbers where numbers go. */
export function usageProblem(value: unknown): string | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'usage is not an object';
  const u = value as Record<string, unknown>;
  if (u.source !== 'accounting' && u.source !== 'wrapper') return 'usage.source is neither accounting nor wrapper';
  for (const key of [...FIGURES, 'gpus'] as const) {
    if (u[key] !== undefined && (typeof u[key] !== 'number' || !Number.isFinite(u[key]) || (u[key] as number) < 0)) return `usage.${key} is not a non-negative number`;
  }
  if (u.nodes !== undefined && typeof u.nodes !== 'string') return 'usage.nodes is not a string';
  if (u.missing !== undefined && (!Array.isArray(u.missing) || !u.missing.every((f) => FIGURES.includes(f as UsageFigure)))) return 'usage.missing is not a list of figures';
  return undefined;
}

import { loadExeca } from '../../util/lazy-deps.js';
import { UserError } from '../../util/errors.js';
import type { SchedulerRetry } from '../types.js';

export type SlurmCommand = 'sbatch' | 'squeue' | 'sacct' | 'scontrol' | 'scancel';

/** A SLURM command that failed. `transient` failures are worth retrying; the others are not. */
export class SlurmCommandError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly stderr = '',
  ) {
    super(message);
  }
}

/**
 * Messages SLURM prints when the controller or the database is down, busy or
 * slow, or when a per-user submission limit is reached: the same call may
 * well succeed a little later.
 */
const TRANSIENT = [
  /unable to contact slurm controller/i,
  /socket timed out/i,
  /zero bytes were transmitted/i,
  /connection refused/i,
  /connection reset/i,
  /communication connection failure/i,
  /temporarily unable/i,
  /resource temporarily unavailable/i,
  /slurmctld.*not responding/i,
  /problem talking to the database/i,
  /transport endpoint/i,
];

/**
 * A per-user or per-account limit on queued jobs (MaxSubmitJobs and its QOS
 * and association variants): our own jobs leaving the queue make room, so
 * these are waited out however long that takes, never counted as failures.
 */
const SUBMIT_LIMIT = /MaxSubmitJob|job submit limit|QOSMaxSubmitJobPerUserLimit|AssocMaxSubmitJobLimit|QOSMaxJobsPerUserLimit/i;

export function isTransientMessage(text: string): boolean {
  return SUBMIT_LIMIT.test(text) || TRANSIENT.some((re) => re.test(text));
}

export function isSubmitLimit(err: unknown): boolean {
  return err instanceof SlurmCommandError && SUBMIT_LIMIT.test(`${err.message}\n${err.stderr}`);
}

const TIMEOUT_MS: Record<SlurmCommand, number> = { sbatch: 60_000, squeue: 30_000, sacct: 60_000, scontrol: 30_000, scancel: 30_000 };

/** The command's time limit; tests of hanging commands shorten it (MENSEMBLE_TEST_SLURM_TIMEOUT_MS). */
function timeoutMs(command: SlurmCommand): number {
  const test = Number(process.env.MENSEMBLE_TEST_SLURM_TIMEOUT_MS);
  return Number.isFinite(test) && test > 0 ? test : TIMEOUT_MS[command];
}

export function commandMissing(command: string): UserError {
  return new UserError(`\`${command}\` was not found on PATH. The slurm backend needs SLURM's client commands (sbatch, squeue, sacct, scontrol, scancel); run mensemble on a cluster's login node, or use --backend local.`);
}

/**
 * Runs one SLURM command with an argument array (never through a shell),
 * in `cwd`, with a time limit. Returns stdout; throws SlurmCommandError.
 * `accept` lets a caller treat some non-zero exits as answers.
 */
export async function runSlurm(command: SlurmCommand, args: readonly string[], options: { cwd?: string; accept?: (stderr: string) => boolean; env?: Record<string, string> } = {}): Promise<string> {
  const execa = await loadExeca();
  const result = await execa(command, args, {
    cwd: options.cwd,
    reject: false,
    timeout: timeoutMs(command),
    stdin: 'ignore',
    stripFinalNewline: false,
    env: { ...slurmCommandEnv(process.env), SLURM_TIME_FORMAT: 'standard', ...options.env },
    extendEnv: false,
  });
  const stderr = String(result.stderr ?? '').trim();
  if ((result as { code?: string }).code === 'ENOENT') throw commandMissing(command);
  if (result.timedOut) throw new SlurmCommandError(`${command} did not answer within ${timeoutMs(command) / 1000} s`, true);
  if (result.exitCode !== 0) {
    if (options.accept?.(stderr)) return String(result.stdout ?? '');
    const text = stderr || `exit code ${result.exitCode ?? result.signal}`;
    throw new SlurmCommandError(`${command} failed: ${firstLine(text)}`, result.signal !== undefined || isTransientMessage(text), stderr);
  }
  return String(result.stdout ?? '');
}

/**
 * The environment SLURM's commands run in: mensemble's own, less the
 * variables SLURM sets inside a job (SLURM_JOB_ID, SLURM_NTASKS,
 * SLURM_MEM_PER_NODE...). Run from inside an allocation, sbatch would
 * otherwise pass the allocation's values on to every job (sbatch exports the
 * environment by default), where they change what srun does. The variables
 * a user sets to steer SLURM's commands stay: SLURM_CONF, SLURM_CLUSTERS
 * and the SBATCH_* and SQUEUE_* ones.
 */
export function slurmCommandEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (key.startsWith('SLURM_') && !USER_SLURM_SETTINGS.has(key)) continue;
    out[key] = value;
  }
  return out;
}

const USER_SLURM_SETTINGS = new Set(['SLURM_CONF', 'SLURM_CLUSTERS']);

function firstLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  // SLURM often prints a generic line then the useful one; keep both, short.
  return lines.slice(0, 2).join(' / ');
}

/**
 * Calls `fn` until it succeeds, waiting 1, 2, 4 ... up to 30 s between tries
 * while it fails transiently, for at most `budgetMs` (a per-user submit
 * limit is waited out without a budget). Permanent failures and the last
 * transient one are thrown.
 */
export async function withRetry<T>(what: string, fn: () => Promise<T>, budgetMs: number, onRetry?: (retry: SchedulerRetry) => void): Promise<T> {
  const deadline = Date.now() + budgetMs;
  let delay = 1000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof SlurmCommandError) || !err.transient) throw err;
      const limited = isSubmitLimit(err);
      if (!limited && Date.now() + delay > deadline) throw err;
      onRetry?.({ what, error: err.message, waitSeconds: Math.round(delay / 1000), jobLimit: limited });
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 30_000);
    }
  }
}

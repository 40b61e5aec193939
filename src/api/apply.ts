import { executePlan, type ApplyResult, type RunFailure } from '../apply/executor.js';
import type { ApplyEvent, ApplyWarning } from '../apply/events.js';
import { desiredState, observeAndDiff } from '../plan/compute.js';
import { hasChanges, type Plan } from '../plan/types.js';
import { lockEnsemble } from '../state/ensemble-lock.js';
import type { Lock } from '../state/lock.js';
import { latestAttempt, readRunState, type RunState } from '../state/run-state.js';
import { ApplyCancelled, refuseForeignJobs, refuseOverBudget } from './apply-checks.js';
import type { Ensemble } from './ensemble.js';
import type { PlanOptions } from './plan.js';
import { resolveSettings, type ApplySettings, type SettingOverrides } from './settings.js';

export interface ApplyOptions extends PlanOptions, SettingOverrides {
  /** Remove run directories no longer in the configuration (`--prune`). */
  prune?: boolean;
  /** Run these runs again although nothing changed (`--replace <batch>/<run>`): earlier attempts and logs are kept. */
  replace?: readonly string[];
  /** Wait for the jobs to end (default); false: submit and return (`--no-wait`). */
  wait?: boolean;
  /** Run check tasks (default); false skips them (`--no-checks`). */
  checks?: boolean;
  /** Called with the plan, under the lock, before anything is changed. */
  onPlan?(plan: Plan): void;
  /** Something to know before the jobs go out (a stale lock taken over, a backend's notice). */
  onWarning?(warning: ApplyWarning): void;
  /** Asked before changes are made; false stops with nothing changed. Without it the plan is applied, as `--yes` does. */
  confirm?(plan: Plan): boolean | Promise<boolean>;
  /** Called once the changes start being made. */
  onStart?(plan: Plan): void;
  /** What happens, as it happens: rendered, submitted, job states, tasks, warnings. */
  onEvent?(event: ApplyEvent): void;
  /** How the lock names this apply to others (`status`, a second apply). */
  holder?: string;
  /** The log this apply's output goes to, named in the lock so `status` can point to it (as `apply --detach` does). */
  log?: string;
}

export interface ApplyOutcome {
  plan: Plan;
  /** What was done; null when there was nothing to do. */
  result: ApplyResult | null;
}

/**
 * Converges the ensemble (`mensemble apply`): takes its lock, plans, then
 * renders, submits and (unless `wait: false`) follows the jobs to their end.
 * Bad input, a lock held by another apply, jobs of another backend in flight
 * and a plan estimated above `maxCoreHours` throw a `UserError` before
 * anything is written.
 */
export async function apply(ensemble: Ensemble, options: ApplyOptions = {}): Promise<ApplyOutcome> {
  const settings = resolveSettings(ensemble.rc, ensemble.backend, options);
  // Everything that can be wrong with the input fails here, before the lock or any file is written.
  const notices = await ensemble.backend.preflight();
  const desired = await desiredState(ensemble.spec, ensemble.targets);
  const lock = lockEnsemble(ensemble.spec, options.holder ?? 'mensemble apply (library)', { log: options.log });
  try {
    const computed = await observeAndDiff(ensemble.spec, desired, ensemble.backends, { targets: ensemble.targets, replaceRunning: options.replaceRunning, replaceMoved: options.replaceMoved, prune: options.prune, replace: options.replace });
    const { plan } = computed;
    if (ensemble.rc.profile && ensemble.rc.file) plan.profile = { name: ensemble.rc.profile, file: ensemble.rc.file };
    refuseForeignJobs(plan, ensemble.backend.name);
    options.onPlan?.(plan);
    refuseOverBudget(plan, settings.maxCoreHours);
    for (const notice of notices) options.onWarning?.(notice);
    if (lock.tookOver) {
      const { holder, silentSeconds } = lock.tookOver;
      options.onWarning?.({ kind: 'stale-lock-taken', pid: holder.pid, host: holder.host, command: holder.command, silentSeconds });
    }
    // Removals are work only with prune; in-flight jobs are work only when we wait for them.
    const changes = hasChanges(plan, { prune: options.prune });
    const inflight = plan.summary.inflight > 0 && options.wait !== false;
    if (!changes && !inflight) return { plan, result: null };
    if (changes && options.confirm && !(await options.confirm(plan))) throw new ApplyCancelled();
    options.onStart?.(plan);
    const started = new Date();
    const result = await executePlan(computed, ensemble.backend, executorOptions(settings, options, lock), (event) => options.onEvent?.(event));
    return { plan, result: { ...result, ...applyTotals(plan, result, started) } };
  } finally {
    lock.release();
  }
}

/**
 * What the end of an apply says (issue 33, item 9): its duration, the
 * core-hours its jobs used (those measured), and for each failed run why,
 * read from the run's record, with the command that shows its logs.
 */
function applyTotals(plan: Plan, result: ApplyResult, started: Date): Pick<ApplyResult, 'durationSeconds' | 'coreHours' | 'failures'> {
  const dirs = new Map(plan.entries.map((e) => [`${e.batch}/${e.id}`, e.dir]));
  const since = started.toISOString();
  let coreSeconds = 0;
  const failures: RunFailure[] = [];
  for (const name of [...result.completed, ...result.failed, ...result.pending]) {
    const dir = dirs.get(name);
    let state: RunState | undefined;
    try {
      state = dir ? readRunState(dir) : undefined;
    } catch {
      state = undefined;
    }
    for (const a of state?.attempts ?? []) if (a.submittedAt >= since) coreSeconds += a.usage?.coreSeconds ?? 0;
    if (!result.failed.includes(name)) continue;
    const last = state && latestAttempt(state);
    const task = state && Object.entries(state.tasks).filter(([, t]) => t.failedAt !== undefined && t.failedAt >= since && t.finishedAt === undefined).sort(([, a], [, b]) => (a.failedAt! < b.failedAt! ? 1 : -1))[0];
    failures.push({
      run: name,
      state: task ? 'failed' : (last?.state ?? 'failed'),
      exitCode: task ? (task[1].exitCode ?? null) : (last?.exitCode ?? null),
      reason: task ? null : (last?.reason ?? null),
      task: task ? task[0].replace(':', ' ') : null,
      logs: `mensemble logs ${name}`,
    });
  }
  return { durationSeconds: Math.round((Date.now() - started.getTime()) / 100) / 10, coreHours: coreSeconds / 3600, failures };
}

function executorOptions(settings: ApplySettings, options: ApplyOptions, lock: Lock) {
  return {
    noWait: options.wait === false,
    prune: Boolean(options.prune),
    noChecks: options.checks === false,
    pollInterval: settings.pollInterval,
    checkInterval: settings.checkInterval,
    submitRate: settings.submitRate,
    array: settings.array,
    shell: settings.shell,
    lock,
    maxCoreHours: settings.maxCoreHours,
  };
}

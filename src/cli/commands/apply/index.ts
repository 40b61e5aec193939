import readline from 'node:readline/promises';
import { executePlan } from '../../../apply/executor.js';
import { DetachFailed, detachApply } from '../../../apply/detach.js';
import { desiredState, observeAndDiff } from '../../../plan/compute.js';
import type { DesiredState } from '../../../plan/desired.js';
import { hasChanges, type Plan } from '../../../plan/types.js';
import { isActive, latestAttempt } from '../../../state/run-state.js';
import { applyView, type ApplyView } from '../../../ui/views/apply.js';
import { UserError } from '../../../util/errors.js';
import { preciseHours } from '../../../ui/usage-words.js';
import { openEnsemble, type OpenedEnsemble } from '../../open-ensemble.js';
import { EXIT, signalExit } from '../../exit-codes.js';
import { commandLine, type CommonFlags } from '../../options.js';

export interface ApplyFlags extends CommonFlags {
  yes?: boolean;
  wait?: boolean;
  prune?: boolean;
  replaceRunning?: boolean;
  replaceMoved?: boolean;
  checks?: boolean;
  pollInterval?: number;
  checkInterval?: number;
  submitRate?: number;
  detach?: boolean;
  array?: boolean;
  maxCoreHours?: number;
}

/** `mensemble apply`: plan, confirm, converge. */
export async function applyCommand(config: string | undefined, flags: ApplyFlags): Promise<number> {
  // A program reading the JSON cannot answer a prompt (and a prompt on stdout would corrupt the JSON): as Terraform does, --json needs --yes.
  if (flags.json && !flags.yes) throw new UserError('`apply --json` needs --yes: a program reading the JSON cannot answer the confirmation prompt. Read the plan first with `mensemble plan --json`, then run `mensemble apply --json --yes`. Nothing was changed.');
  const ensemble = openEnsemble(config, flags);
  const view = applyView(ensemble.output);
  // Everything that can be wrong with the input fails here, before the lock or any file is written.
  const notices = await ensemble.backend.preflight();
  const desired = await desiredState(ensemble.spec, ensemble.targets);
  if (flags.detach) return detach(ensemble, view, desired, flags);
  const lock = ensemble.lock(commandLine('apply'));
  const onSignal = (signal: NodeJS.Signals) => {
    lock.release();
    view.stopped(signal);
    process.exit(signalExit(signal));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const computed = await observeAndDiff(ensemble.spec, desired, ensemble.backends, { targets: ensemble.targets, replaceRunning: flags.replaceRunning, replaceMoved: flags.replaceMoved });
    const { plan } = computed;
    refuseForeignJobs(plan, ensemble.backend.name);
    view.plan(plan, { detach: false });
    refuseOverBudget(plan, ensemble.settings.maxCoreHours);
    for (const notice of notices) view.warning(notice);
    if (lock.tookOver) {
      const { holder, silentSeconds } = lock.tookOver;
      view.warning({ kind: 'stale-lock-taken', pid: holder.pid, host: holder.host, command: holder.command, silentSeconds });
    }
    // Removals are work only with --prune; in-flight jobs are work only when we wait for them.
    const changes = hasChanges(plan, { prune: flags.prune });
    const inflight = plan.summary.inflight > 0 && flags.wait !== false;
    if (!changes && !inflight) {
      view.nothingToDo();
      return 0;
    }
    if (changes && !flags.yes) await confirm();
    const progress = view.progress(plan);
    const { settings } = ensemble;
    const result = await executePlan(
      computed,
      ensemble.backend,
      {
        noWait: flags.wait === false,
        prune: Boolean(flags.prune),
        noChecks: flags.checks === false,
        pollInterval: settings.pollInterval,
        checkInterval: settings.checkInterval,
        submitRate: settings.submitRate,
        array: settings.array,
        shell: settings.shell,
        lock,
        maxCoreHours: settings.maxCoreHours,
      },
      progress.report,
    ).finally(() => progress.stop());
    view.result(result);
    return result.failed.length > 0 ? EXIT.runsFailed : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock.release();
  }
}

/**
 * `apply --detach`: show the plan and confirm here, then carry it out in a
 * background process that takes the lock itself; its output goes to a log
 * in `.mensemble/`, and `status` shows that it runs.
 */
async function detach(ensemble: OpenedEnsemble, view: ApplyView, desired: DesiredState, flags: ApplyFlags): Promise<number> {
  const { plan } = await observeAndDiff(ensemble.spec, desired, ensemble.backends, { targets: ensemble.targets, replaceRunning: flags.replaceRunning, replaceMoved: flags.replaceMoved });
  refuseForeignJobs(plan, ensemble.backend.name);
  view.plan(plan, { detach: true });
  refuseOverBudget(plan, ensemble.settings.maxCoreHours);
  const changes = hasChanges(plan, { prune: flags.prune });
  if (!changes && plan.summary.inflight === 0) return 0;
  if (changes && !flags.yes) await confirm();
  const args = process.argv.slice(2).filter((a) => a !== '--detach' && a !== '-d');
  if (!args.includes('--yes') && !args.includes('-y')) args.push('--yes');
  try {
    view.detached(await detachApply(process.argv[1]!, args, ensemble.stateDir, process.cwd()));
    return 0;
  } catch (err) {
    if (err instanceof DetachFailed) throw new UserError(err.message);
    throw err;
  }
}

/** Jobs submitted through another backend can only be followed by that backend. */
function refuseForeignJobs(plan: Plan, backend: string): void {
  const foreign = plan.entries.flatMap((e) => {
    const last = e.observed?.state && latestAttempt(e.observed.state);
    return last && isActive(last.state) && last.backend !== backend ? [{ id: `${e.batch}/${e.id}`, backend: last.backend }] : [];
  });
  if (foreign.length === 0) return;
  const other = foreign[0]!.backend;
  throw new UserError(`${foreign.length} run${foreign.length > 1 ? 's have' : ' has'} a job in flight on the ${other} backend (${foreign[0]!.id}${foreign.length > 1 ? ', ...' : ''}), but this apply uses the ${backend} backend. Run it with \`--backend ${other}\` (or set \`backend: ${other}\` in .mensemblerc), or \`mensemble cancel --backend ${other}\` first.`);
}

async function confirm(): Promise<void> {
  if (!process.stdin.isTTY) {
    throw new UserError('Not applying: there is no terminal to confirm the plan in. Read the plan above and run again with --yes to apply it.');
  }
  // The question goes to stderr, like progress: stdout carries only the plan and the results.
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question('\nApply these changes? Only `yes` is accepted: ');
    if (answer.trim() !== 'yes') throw new UserError('Apply cancelled; nothing was changed.');
  } finally {
    rl.close();
  }
}

/**
 * `--max-core-hours`: a plan whose estimate is above the budget is refused
 * before anything is submitted. Without an estimate (no completed run to go
 * by) the budget is kept as the jobs spend it (apply/budget.ts).
 */
function refuseOverBudget(plan: Plan, budget: number | undefined): void {
  const estimate = plan.cost?.coreHours;
  if (budget === undefined || estimate === null || estimate === undefined || estimate <= budget) return;
  throw new UserError(`the plan's estimated cost, ${preciseHours(estimate)} core-hours, is above the budget of ${preciseHours(budget)} (--max-core-hours or max_core_hours in .mensemblerc). Nothing was submitted. Raise the budget, or apply part of the plan with --target.`);
}

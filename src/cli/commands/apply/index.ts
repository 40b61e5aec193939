import readline from 'node:readline/promises';
import { DETACHED_LOG_ENV, DetachFailed, detachApply } from '../../../apply/detach.js';
import { apply } from '../../../api/apply.js';
import { ApplyCancelled, refuseForeignJobs, refuseOverBudget } from '../../../api/apply-checks.js';
import { desiredState, observeAndDiff } from '../../../plan/compute.js';
import { hasChanges, type Plan } from '../../../plan/types.js';
import { whyNoWaitMustWait, type WaitNeeded } from '../../../plan/no-wait.js';
import { applyView, type ApplyView } from '../../../ui/views/apply.js';
import { UserError } from '../../../util/errors.js';
import { openEnsemble, type OpenedEnsemble } from '../../open-ensemble.js';
import { EXIT, signalExit } from '../../exit-codes.js';
import { asList, commandLine, type CommonFlags } from '../../options.js';

export interface ApplyFlags extends CommonFlags {
  yes?: boolean;
  wait?: boolean;
  prune?: boolean;
  replaceRunning?: boolean;
  replaceMoved?: boolean;
  replace?: string | string[];
  quiet?: boolean;
  checks?: boolean;
  pollInterval?: number;
  checkInterval?: number;
  submitRate?: number;
  detach?: boolean;
  array?: boolean;
  maxCoreHours?: number;
}

/** `mensemble apply`: plan, confirm, converge (the library's `apply`, shown and confirmed here). */
export async function applyCommand(config: string | undefined, flags: ApplyFlags): Promise<number> {
  // A program reading the JSON cannot answer a prompt (and a prompt on stdout would corrupt the JSON): as Terraform does, --json needs --yes.
  if (flags.json && !flags.yes) throw new UserError('`apply --json` needs --yes: a program reading the JSON cannot answer the confirmation prompt. Read the plan first with `mensemble plan --json`, then run `mensemble apply --json --yes`. Nothing was changed.');
  // The background apply is started with its log's path: it is the detached apply, and never detaches again,
  // however its arguments spelled the flag (`-yd`, `--detach=true`).
  const inBackground = Boolean(process.env[DETACHED_LOG_ENV]);
  const ensemble = openEnsemble(config, flags);
  const view = applyView(ensemble.output, { quiet: flags.quiet });
  if (!inBackground && (flags.detach || flags.wait === false)) {
    const planned = await planHere(ensemble, flags);
    // --no-wait returns at once only when nothing is left for a waiting process to hold back (plan/no-wait.ts).
    const why = flags.detach ? undefined : whyNoWaitMustWait(planned, ensemble.spec, await arraysHoldLimit(ensemble));
    if (flags.detach || why) return detach(ensemble, view, flags, planned, why);
  }
  // The lock goes with the process: its exit handler (state/lock.ts) removes it.
  const onSignal = (signal: NodeJS.Signals) => {
    view.stopped(signal);
    process.exit(signalExit(signal));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let progress: ReturnType<ApplyView['progress']> | undefined;
  try {
    const { result } = await apply(ensemble, {
      // The flags as typed (openEnsemble checked them): apply resolves them over .mensemblerc as ensemble.settings did.
      ...flags,
      // A background apply waits: that is what it is for, with --no-wait too (the one that started it returned).
      wait: inBackground ? true : flags.wait,
      replace: asList(flags.replace),
      holder: commandLine('apply'),
      log: ensemble.log,
      onPlan: (plan) => view.plan(plan, { detach: false }),
      onWarning: (warning) => view.warning(warning),
      confirm: flags.yes ? undefined : confirm,
      onStart: (plan) => (progress = view.progress(plan)),
      onEvent: (event) => progress?.report(event),
    }).finally(() => progress?.stop());
    if (!result) {
      view.nothingToDo();
      return EXIT.ok;
    }
    view.result(result);
    return result.failed.length > 0 ? EXIT.runsFailed : EXIT.ok;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * `apply --detach`: show the plan and confirm here, then carry it out in a
 * background process that takes the lock itself; its output goes to a log
 * in `.mensemble/`, and `status` shows that it runs.
 */
async function detach(ensemble: OpenedEnsemble, view: ApplyView, flags: ApplyFlags, plan: Plan, why?: WaitNeeded): Promise<number> {
  refuseForeignJobs(plan, ensemble.backend.name);
  view.plan(plan, { detach: true });
  refuseOverBudget(plan, ensemble.settings.maxCoreHours);
  const changes = hasChanges(plan, { prune: flags.prune });
  if (!changes && plan.summary.inflight === 0) return 0;
  if (changes && !flags.yes) await confirm();
  const args = process.argv.slice(2).filter((a) => a !== '--detach' && a !== '-d');
  if (!args.includes('--yes') && !args.includes('-y')) args.push('--yes');
  try {
    view.detached(await detachApply(process.argv[1]!, args, ensemble.stateDir, process.cwd()), why);
    return 0;
  } catch (err) {
    if (err instanceof DetachFailed) throw new UserError(err.message);
    throw err;
  }
}

/** The plan, computed here before the apply chooses where to run (the background apply plans again under its lock). */
async function planHere(ensemble: OpenedEnsemble, flags: ApplyFlags): Promise<Plan> {
  await ensemble.backend.preflight();
  const desired = await desiredState(ensemble.spec, ensemble.targets);
  return (await observeAndDiff(ensemble.spec, desired, ensemble.backends, { targets: ensemble.targets, replaceRunning: flags.replaceRunning, replaceMoved: flags.replaceMoved, prune: flags.prune, replace: asList(flags.replace) })).plan;
}

/** Whether a batch goes out as job arrays that the scheduler throttles to maxjobs (then it holds the rest, not a process). */
async function arraysHoldLimit(ensemble: OpenedEnsemble): Promise<(batch: string) => boolean> {
  const arrays = ensemble.backend.arrays;
  const available = arrays !== undefined && (await arrays.available());
  return (name) => available && (ensemble.spec.batches.find((b) => b.name === name)?.array ?? ensemble.settings.array);
}

/** The confirmation prompt; anything but `yes` cancels with nothing changed. */
async function confirm(): Promise<true> {
  if (!process.stdin.isTTY) {
    throw new UserError('Not applying: there is no terminal to confirm the plan in. Read the plan above and run again with --yes to apply it.');
  }
  // The question goes to stderr, like progress: stdout carries only the plan and the results.
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    let answer: string;
    try {
      answer = await rl.question('\nApply these changes? Only `yes` is accepted: ');
    } catch (err) {
      // Ctrl-C (or Ctrl-D) at the question is a cancel, as a shell reports one: one line, exit 130.
      if ((err as { code?: string }).code === 'ABORT_ERR') throw new UserError('Apply cancelled (Ctrl-C); nothing was changed.', EXIT.sigint);
      throw err;
    }
    if (answer.trim() !== 'yes') throw new ApplyCancelled();
    return true;
  } finally {
    rl.close();
  }
}

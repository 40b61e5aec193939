import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { writeRun } from '../apply/write-run.js';
import type { ComputedPlan } from '../plan/compute.js';
import type { Backends } from '../backends/registry.js';
import type { EnsembleSpec } from '../config/types.js';
import { desiredState, observeAndDiff } from '../plan/compute.js';
import type { Target } from '../plan/targets.js';
import type { Plan, PlanEntry } from '../plan/types.js';
import type { Lock } from '../state/lock.js';
import { readRunState, type RunState } from '../state/run-state.js';
import { UserError, UserErrors, errorMessage } from '../util/errors.js';
import { pausePoint } from '../util/test-hooks.js';
import { planDelta, type PlanChange } from './plan-delta.js';
import { isRelevant, watchPaths, type WatchPaths } from './watch-paths.js';

/** What the session tells its user; the CLI turns these into text or JSON lines. */
export type WatchEvent =
  | { type: 'start'; config: string; templateDirs: string[]; plan: Plan }
  | { type: 'plan'; files: string[]; ms: number; changes: PlanChange[]; plan: Plan; recovered: boolean }
  | { type: 'error'; files: string[]; message: string }
  | { type: 'rendered'; runs: Array<{ batch: string; id: string }> }
  | { type: 'skipped'; message: string };

/** What the session needs of the ensemble it watches, loaded afresh on every save (the CLI's opened ensemble is one). */
export interface WatchedEnsemble {
  spec: EnsembleSpec;
  targets: readonly Target[];
  backends: Backends;
  lock(command: string): Lock;
}

export interface WatchOptions {
  configFile: string;
  /** Loads configuration and settings afresh (they may be what changed). Throws UserError on bad input. */
  load: () => WatchedEnsemble;
  /** Render new and changed runs that no job has used yet. */
  apply: boolean;
  debounceMs: number;
  emit: (event: WatchEvent) => void;
}

/**
 * Re-plans on every relevant change to the configuration, `.mensemblerc` or
 * a template folder, and reports what changed since the previous plan.
 * Changes arriving during a re-plan are folded into one more re-plan after
 * it; a broken save reports its error and the next good save recovers.
 */
export class WatchSession {
  private shallow: FSWatcher | undefined;
  private deep: FSWatcher | undefined;
  private paths: WatchPaths = { shallow: [], deep: [], files: new Set() };
  private previous: Plan | undefined;
  private broken = false;
  private timer: NodeJS.Timeout | undefined;
  private changed = new Set<string>();
  private running: Promise<void> | undefined;
  private lock: Lock | undefined;
  private closed = false;

  constructor(private readonly options: WatchOptions) {}

  async start(): Promise<void> {
    // The first plan must succeed: a watch that starts on a broken file has nothing to compare with.
    const ctx = this.options.load();
    const computed = await this.compute(ctx);
    this.previous = computed.plan;
    await this.follow(ctx);
    this.options.emit({ type: 'start', config: this.options.configFile, templateDirs: this.paths.deep, plan: computed.plan });
    if (this.options.apply) await this.renderSafe(computed, ctx);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    this.lock?.release();
    await Promise.all([this.shallow?.close(), this.deep?.close()]);
  }

  /** Releases the lock at once (for a signal handler that cannot wait). */
  releaseLock(): void {
    this.lock?.release();
    this.lock = undefined;
  }

  private async compute(ctx: WatchedEnsemble): Promise<ComputedPlan> {
    const desired = await desiredState(ctx.spec, ctx.targets);
    return observeAndDiff(ctx.spec, desired, ctx.backends, { targets: ctx.targets });
  }

  /** (Re)points the watchers at the configuration's folder and the current template folders. */
  private async follow(ctx: WatchedEnsemble | undefined): Promise<void> {
    const next = watchPaths(this.options.configFile, ctx?.spec);
    // A broken configuration keeps the template folders of the last good one.
    if (!ctx) next.deep = this.paths.deep;
    const onEvent = (_event: string, file: string) => this.onChange(path.resolve(file));
    const ignored = (file: string) => file.split(path.sep).includes('.mensemble');
    if (!this.shallow) {
      this.shallow = watch(next.shallow, { ignoreInitial: true, depth: 0, ignored }).on('all', onEvent);
      this.deep = watch(next.deep, { ignoreInitial: true, ignored }).on('all', onEvent);
      await Promise.all([once(this.shallow, 'ready'), once(this.deep!, 'ready')]);
    } else {
      const added = next.deep.filter((d) => !this.paths.deep.includes(d));
      const gone = this.paths.deep.filter((d) => !next.deep.includes(d));
      if (gone.length) this.deep!.unwatch(gone);
      if (added.length) this.deep!.add(added);
    }
    this.paths = next;
  }

  private onChange(file: string): void {
    if (this.closed || !isRelevant(file, this.paths)) return;
    this.changed.add(file);
    if (this.timer) clearTimeout(this.timer);
    // An editor's save is a burst (write a temporary file, rename it over, set its mode): one re-plan for all of it.
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.replanSoon();
    }, this.options.debounceMs);
  }

  private async replanSoon(): Promise<void> {
    // One round at a time; the running round picks up what arrived meanwhile.
    if (this.running) return;
    this.running = (async () => {
      while (this.changed.size > 0 && !this.closed) {
        const files = [...this.changed];
        this.changed.clear();
        await this.replan(files);
      }
    })().finally(() => (this.running = undefined));
    await this.running;
  }

  private async replan(files: string[]): Promise<void> {
    const started = performance.now();
    let ctx: WatchedEnsemble;
    let computed: ComputedPlan;
    try {
      ctx = this.options.load();
      computed = await this.compute(ctx);
    } catch (err) {
      this.broken = true;
      // Bad input is the usual case; anything else is reported too, and watching goes on.
      const message = err instanceof UserErrors ? err.problems.join('\n') : err instanceof UserError ? err.message : `internal error: ${errorMessage(err)}`;
      this.options.emit({ type: 'error', files, message });
      return;
    }
    const ms = performance.now() - started;
    const changes = planDelta(this.previous, computed.plan);
    this.previous = computed.plan;
    const recovered = this.broken;
    this.broken = false;
    await this.follow(ctx);
    this.options.emit({ type: 'plan', files, ms, changes, plan: computed.plan, recovered });
    if (this.options.apply) await this.renderSafe(computed, ctx);
  }

  /**
   * `--apply`: writes the run directories of new and changed runs that no
   * job has used yet. It never submits, cancels or rewrites a run with a
   * job: spending allocation stays a deliberate `mensemble apply`.
   */
  private async renderSafe(computed: ComputedPlan, ctx: WatchedEnsemble): Promise<void> {
    const safe = computed.plan.entries.filter(isSafeToRender);
    if (safe.length === 0) return;
    pausePoint('watch-before-lock');
    try {
      this.lock = ctx.lock('mensemble watch --apply');
    } catch (err) {
      this.options.emit({ type: 'skipped', message: `not rendering ${safe.length} run${safe.length > 1 ? 's' : ''}: ${errorMessage(err)}` });
      return;
    }
    const rendered: PlanEntry[] = [];
    try {
      // The plan was made before the lock: an apply may have rendered or submitted a run since.
      // Each run's state is read again under the lock, and a run that changed is left alone.
      for (const entry of safe) {
        if (!unchangedSincePlan(entry)) continue;
        writeRun(entry.desired!, entry.observed?.state);
        rendered.push(entry);
      }
    } finally {
      this.releaseLock();
    }
    const left = safe.length - rendered.length;
    if (left > 0) this.options.emit({ type: 'skipped', message: `not rendering ${left} run${left > 1 ? 's' : ''}: changed on disk since this plan (another apply worked on ${left > 1 ? 'them' : 'it'})` });
    if (rendered.length > 0) this.options.emit({ type: 'rendered', runs: rendered.map((e) => ({ batch: e.batch, id: e.id })) });
    // The baseline for the next delta is the world as it is now.
    this.previous = (await this.compute(ctx)).plan;
  }
}

/** The run's state on disk is still the one the plan saw (read again, under the lock). */
function unchangedSincePlan(entry: PlanEntry): boolean {
  let now: RunState | undefined;
  try {
    now = readRunState(entry.dir);
  } catch {
    return false;
  }
  const seen = entry.observed?.state;
  if (now === undefined || seen === undefined) return now === seen;
  return now.attempts.length === 0 && now.inputHash === seen.inputHash && now.renderedAt === seen.renderedAt;
}

export function isSafeToRender(entry: PlanEntry): boolean {
  if (entry.action !== 'create' && entry.action !== 'update') return false;
  return entry.desired !== undefined && (entry.observed?.state?.attempts.length ?? 0) === 0;
}

function once(emitter: FSWatcher, event: 'ready'): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

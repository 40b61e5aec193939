import fs from 'node:fs';
import path from 'node:path';
import { BackendUnavailableError } from '../backends/types.js';
import type { TaskSpec } from '../config/types.js';
import { UserError, errorMessage } from '../util/errors.js';
import { RunDirectoryGone, STATE_DIR } from '../state/run-state.js';
import { fastGlob, loadExeca } from '../util/lazy-deps.js';
import { isInside, patternLeaves, placeInside } from '../util/paths.js';
import { runShell, runShellDurably } from './shell.js';
import { substituteArgs } from './substitute.js';
import { TaskFailure, type TaskContext } from './types.js';

export { TaskFailure, type TaskContext } from './types.js';

/** Runs one task to completion; throws TaskFailure when it fails. Checks wait until they pass. */
export async function runTask(task: TaskSpec, ctx: TaskContext): Promise<void> {
  if (ctx.run && !fs.existsSync(ctx.run.dir)) throw new RunDirectoryGone(ctx.run.dir);
  const args = substituteArgs(task.args, ctx.run?.vars);
  const cwd = args.cwd !== undefined ? resolvePath(ctx, String(args.cwd), `${task.where}.args.cwd`) : defaultDir(ctx);
  const shell = args.shell !== undefined ? String(args.shell) : ctx.shell;
  switch (task.name) {
    case 'execute':
      return execute(task, ctx, String(args.cmd), cwd, shell, args.log);
    case 'check':
      if (ctx.noChecks) return;
      return check(task, ctx, args, cwd, shell);
    case 'remove':
      return remove(task, ctx, args);
    case 'move':
      return move(task, ctx, args);
    case 'jobs':
      if (ctx.noChecks) return;
      return jobs(task, ctx, args);
    case 'quota':
      if (ctx.noChecks) return;
      return quota(ctx, args);
    case 'submit':
      return submitScript(task, ctx, args);
  }
}

/** Refuses a relative path whose folder, with symbolic links followed, lies outside the ensemble's root. */
function stayInside(ctx: TaskContext, task: TaskSpec, folder: string, key: string): void {
  let existing = folder;
  while (!fs.existsSync(existing) && path.dirname(existing) !== existing) existing = path.dirname(existing);
  const real = fs.realpathSync(existing);
  // Inside the ensemble's root, or inside the run directory or basedir the task works in (an absolute basedir may be elsewhere).
  const roots = [ctx.ensembleDir, ctx.run?.dir, ctx.workDir].filter((d): d is string => d !== undefined && fs.existsSync(d)).map((d) => fs.realpathSync(d));
  if (!roots.some((root) => isInside(root, real))) {
    throw new TaskFailure(`${task.where}.args.${key}`, `${folder} leads through a symbolic link to ${real}, outside the ensemble's folder; refusing to write or delete there.`);
  }
}

/** Where a task works unless it says `cwd`: its run's directory, else its batch's basedir, else the ensemble's root. */
function defaultDir(ctx: TaskContext): string {
  return ctx.run?.dir ?? ctx.workDir ?? ctx.ensembleDir;
}

function resolvePath(ctx: TaskContext, written: string, where: string, base = defaultDir(ctx)): string {
  const resolved = placeInside(ctx.ensembleDir, written, base);
  if ('problem' in resolved) throw new TaskFailure(where, resolved.problem);
  return resolved.path;
}

/** The log file a task with `log:` writes, relative to its working directory. */
export function logName(task: TaskSpec, log: unknown): string | undefined {
  if (log === true) return `${task.phase}.${task.index}.${task.name}.log`;
  if (typeof log === 'string' && log) return log;
  return undefined;
}

/** Writes a shell task's output where its `log:` says (relative to its working directory, inside the ensemble). */
function saveLog(task: TaskSpec, ctx: TaskContext, log: unknown, cwd: string, output: string): void {
  const name = logName(task, log);
  if (!name) return;
  const file = resolvePath(ctx, name, `${task.where}.args.log`, cwd);
  // `log: logs/pre.log` names a folder that need not exist yet (it is inside the ensemble: resolvePath checked).
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (!path.isAbsolute(name)) stayInside(ctx, task, path.dirname(file), 'log');
  // A log that is a symbolic link (planted in a shared run directory) is replaced, never written through.
  if (fs.lstatSync(file, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(file);
  fs.writeFileSync(file, output);
}

async function execute(task: TaskSpec, ctx: TaskContext, cmd: string, cwd: string, shell: string, log: unknown): Promise<void> {
  const result = ctx.journal
    ? await runShellDurably({ shell, cmd, cwd, signal: ctx.signal }, ctx.journal, ctx.progress)
    : await runShell({ shell, cmd, cwd, signal: ctx.signal });
  saveLog(task, ctx, log, cwd, result.output);
  if (result.exitCode !== 0) {
    throw new TaskFailure(task.where, `\`${cmd}\` exited with code ${result.exitCode}${tail(result.output)}`, result.exitCode);
  }
}

async function check(task: TaskSpec, ctx: TaskContext, args: Record<string, unknown>, cwd: string, shell: string): Promise<void> {
  const cmd = String(args.cmd);
  const interval = Number(args.interval ?? ctx.checkInterval) * 1000;
  const deadline = args.timeout !== undefined ? Date.now() + Number(args.timeout) * 1000 : Infinity;
  let said = false;
  for (;;) {
    const result = await runShell({ shell, cmd, cwd, signal: ctx.signal });
    saveLog(task, ctx, args.log, cwd, result.output);
    if (result.exitCode === 0) return;
    if (args.fail === true) throw new TaskFailure(task.where, `check \`${cmd}\` failed with code ${result.exitCode}${tail(result.output)}`, result.exitCode);
    if (Date.now() + interval > deadline) throw new TaskFailure(task.where, `check \`${cmd}\` still failing after ${args.timeout} s`);
    if (!said) {
      ctx.progress({ kind: 'check-waiting', command: cmd, exitCode: result.exitCode, intervalSeconds: interval / 1000 });
      said = true;
    }
    await sleep(interval, ctx.signal);
  }
}

async function remove(task: TaskSpec, ctx: TaskContext, args: Record<string, unknown>): Promise<void> {
  const target = args.directory !== undefined ? resolvePath(ctx, String(args.directory), `${task.where}.args.directory`) : ctx.run?.dir;
  if (!target) throw new TaskFailure(task.where, '`remove` outside a run needs `args.directory`.');
  if (target === ctx.ensembleDir || target === path.parse(target).root) {
    throw new TaskFailure(task.where, `refusing to remove ${target}: it is the ensemble's folder or a file system root.`);
  }
  // A folder reached through a symbolic link (`data/old` with `data` a link) is not inside the ensemble, whatever its path says.
  if (args.directory === undefined || !path.isAbsolute(String(args.directory))) stayInside(ctx, task, path.dirname(target), 'directory');
  fs.rmSync(target, { recursive: true, force: true });
}

/** Copies the run directory to `<dest>/<run id>/` (model-ensembler rsyncs it), replacing an earlier copy whole. */
async function move(task: TaskSpec, ctx: TaskContext, args: Record<string, unknown>): Promise<void> {
  if (!ctx.run) throw new TaskFailure(task.where, '`move` only works in pre_run and post_run tasks.');
  const dest = resolvePath(ctx, String(args.dest), `${task.where}.args.dest`);
  const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const include = asList(args.include);
  for (const pattern of [...include, ...asList(args.exclude)]) {
    // A pattern is a path inside the run directory: `../` or an absolute path would copy from outside it.
    if (patternLeaves(pattern)) {
      throw new TaskFailure(task.where, `the move pattern \`${pattern}\` leaves the run directory; include and exclude patterns are paths inside it.`);
    }
  }
  const files = await fastGlob()(include.length > 0 ? include : ['**'], {
    cwd: ctx.run.dir,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: [...asList(args.exclude), `${STATE_DIR}/**`],
  });
  const final = path.join(dest, ctx.run.id);
  const temp = path.join(dest, `.${ctx.run.id}.mensemble-partial`);
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(temp, { recursive: true });
  for (const rel of files.sort()) {
    const to = path.join(temp, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(path.join(ctx.run.dir, rel), to, { verbatimSymlinks: true, preserveTimestamps: true });
  }
  // Swap the finished copy in, so the destination never holds half a run.
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(temp, final);
}

async function jobs(task: TaskSpec, ctx: TaskContext, args: Record<string, unknown>): Promise<void> {
  const limit = Number(args.limit ?? 1);
  const match = String(args.match ?? '');
  let said = false;
  for (;;) {
    let active: number;
    try {
      active = await ctx.backend.countActiveJobs(match);
    } catch (err) {
      // A check waits; an unreachable scheduler is one more reason to wait, never a failure.
      if (!(err instanceof BackendUnavailableError)) throw err;
      ctx.progress({ kind: 'jobs-check-unreachable', error: err.message });
      await sleep(ctx.checkInterval * 1000, ctx.signal);
      continue;
    }
    if (active < limit) return;
    if (!said) {
      ctx.progress({ kind: 'jobs-waiting', active, match, limit });
      said = true;
    }
    await sleep(ctx.checkInterval * 1000, ctx.signal);
  }
}

/** model-ensembler's `submit`: hands an extra script to the scheduler, from the run directory. */
async function submitScript(task: TaskSpec, ctx: TaskContext, args: Record<string, unknown>): Promise<void> {
  const script = resolvePath(ctx, String(args.script), task.where);
  if (!fs.existsSync(script)) throw new TaskFailure(task.where, `submit: the script ${script} does not exist`);
  try {
    const jobId = await ctx.backend.submitScript(script, defaultDir(ctx));
    ctx.progress({ kind: 'script-submitted', script, jobId });
  } catch (err) {
    throw new TaskFailure(task.where, `submit ${script}: ${errorMessage(err)}`);
  }
}

/** Waits until `quota -uw` shows at least `atleast` kB free (on `mnt` if given). */
async function quota(ctx: TaskContext, args: Record<string, unknown>): Promise<void> {
  const atleast = Number(args.atleast);
  const mnt = args.mnt !== undefined ? String(args.mnt) : undefined;
  let said = false;
  const execa = await loadExeca();
  for (;;) {
    const result = await execa('quota', ['-uw'], { reject: false, all: true });
    if ((result as { code?: string }).code === 'ENOENT' || result.failed && result.exitCode === undefined) {
      ctx.progress({ kind: 'quota-missing' });
      return;
    }
    const free = freeKb(result.all ?? '', mnt);
    if (free === undefined || free >= atleast) return;
    if (!said) {
      ctx.progress({ kind: 'quota-waiting', freeKb: free, wantedKb: atleast });
      said = true;
    }
    await sleep(ctx.checkInterval * 1000, ctx.signal);
  }
}

/** Free kB from `quota -uw` output: limit minus blocks on the matching file system; undefined if unlimited or absent. */
export function freeKb(output: string, mnt?: string): number | undefined {
  for (const line of output.split('\n')) {
    const cols = line.trim().split(/\s+/);
    if (cols.length < 4 || !/^\d+\*?$/.test(cols[1] ?? '')) continue;
    if (mnt && !cols[0]!.includes(mnt)) continue;
    const used = parseInt(cols[1]!, 10);
    const limit = parseInt(cols[3]!, 10) || parseInt(cols[2]!, 10);
    if (!limit) return undefined;
    return limit - used;
  }
  return undefined;
}

function tail(output: string): string {
  const lines = output.trimEnd().split('\n').slice(-5).join('\n');
  return lines ? `; last output:\n${lines}` : '';
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

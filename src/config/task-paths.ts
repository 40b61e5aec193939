import path from 'node:path';
import { isRunReference } from './task-args.js';
import { taskKind } from './task-kinds.js';
import { formatLocation } from '../util/errors.js';
import { patternLeaves, placeInside } from '../util/paths.js';
import { formatKeyPath, locate, type KeyPath, type YamlSource } from './source.js';
import type { TaskSpec } from './types.js';

/** A stand-in run directory: run ids are single safe path segments, so any one resolves alike. */
const SOME_RUN = '<run>';

/**
 * Path arguments of tasks that would leave the ensemble's folder, found
 * when the configuration is read rather than when the task runs (after
 * hours of jobs). `run.<key>` arguments are only known per run; the task
 * checks those itself.
 */
export function taskPathProblems(source: YamlSource, tasks: readonly TaskSpec[], keyPath: KeyPath, ensembleDir: string, basedir?: string): string[] {
  const problems: string[] = [];
  for (const task of tasks) {
    const runTask = task.phase === 'pre_run' || task.phase === 'post_run';
    const batchTask = task.phase === 'pre_batch' || task.phase === 'post_batch';
    // Where the task works (tasks/index.ts defaultDir): a run's directory, its batch's basedir, or the root.
    const base = basedir && runTask ? path.join(basedir, SOME_RUN) : basedir && batchTask ? basedir : ensembleDir;
    const check = (key: string, written: unknown, from: string): string | undefined => {
      if (typeof written !== 'string' || written === '' || isRunReference(written)) return undefined;
      const resolved = placeInside(ensembleDir, written, from);
      if ('path' in resolved) return resolved.path;
      const argPath = [...keyPath, task.index, 'args', key];
      problems.push(`${formatLocation(locate(source, argPath))}: ${formatKeyPath(argPath)}: ${resolved.problem.replaceAll(SOME_RUN, '<run id>')}`);
      return undefined;
    };
    if (task.name === 'move') {
      for (const key of ['include', 'exclude'] as const) {
        const patterns = task.args[key] === undefined ? [] : Array.isArray(task.args[key]) ? (task.args[key] as unknown[]) : [task.args[key]];
        patterns.forEach((pattern, i) => {
          if (typeof pattern !== 'string' || !patternLeaves(pattern)) return;
          const argPath = [...keyPath, task.index, 'args', key, ...(Array.isArray(task.args[key]) ? [i] : [])];
          problems.push(`${formatLocation(locate(source, argPath))}: ${formatKeyPath(argPath)}: the pattern \`${pattern}\` leaves the run directory; include and exclude patterns are paths inside it.`);
        });
      }
    }
    const { pathArgs } = taskKind(task.name);
    // A log is relative to the folder the task works in; every other path to the task's base.
    const cwd = !pathArgs.includes('cwd') || task.args.cwd === undefined ? base : check('cwd', task.args.cwd, base);
    for (const key of pathArgs) if (key !== 'cwd' && key !== 'log') check(key, task.args[key], base);
    if (pathArgs.includes('log') && cwd !== undefined) check('log', task.args.log, cwd);
  }
  return problems;
}

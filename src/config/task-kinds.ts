/**
 * The task kinds a configuration may name, and what the rest of mensemble
 * must know of each without running it. Adding a kind: an entry here, its
 * arguments in schema/mensemble.schema.json (a test checks the two list the
 * same kinds), and its runner in src/tasks/kinds/ (registered in
 * tasks/registry.ts, which the compiler holds to this list).
 */
export interface TaskKindFacts {
  /** Waits for a condition before work goes on; `--no-checks` (model-ensembler's -c) skips it. */
  check: boolean;
  /** Arguments that name paths: resolved inside the ensemble, and checked when the configuration is read. */
  pathArgs: readonly PathArg[];
  /** Writes its output where its `log:` argument says, relative to where it works. */
  log: boolean;
}

export type PathArg = 'cwd' | 'log' | 'directory' | 'dest' | 'script';

export const TASK_KINDS = {
  execute: { check: false, pathArgs: ['cwd', 'log'], log: true },
  check: { check: true, pathArgs: ['cwd', 'log'], log: true },
  jobs: { check: true, pathArgs: [], log: false },
  quota: { check: true, pathArgs: [], log: false },
  submit: { check: false, pathArgs: ['script'], log: false },
  move: { check: false, pathArgs: ['dest'], log: false },
  remove: { check: false, pathArgs: ['directory'], log: false },
} as const satisfies Record<string, TaskKindFacts>;

export type TaskName = keyof typeof TASK_KINDS;

export const TASK_NAMES = Object.keys(TASK_KINDS) as TaskName[];

export function taskKind(name: TaskName): TaskKindFacts {
  return TASK_KINDS[name];
}

/** The file name a task's `log:` gives (true: `<phase>.<index>.<name>.log`), relative to where the task works. */
export function logName(task: { phase: string; index: number; name: string }, log: unknown): string | undefined {
  if (log === true) return `${task.phase}.${task.index}.${task.name}.log`;
  if (typeof log === 'string' && log) return log;
  return undefined;
}

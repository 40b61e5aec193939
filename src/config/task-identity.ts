import { hash64 } from '../util/hash.js';
import { canonicalJson } from './python-values.js';
import type { TaskSpec } from './types.js';

/** What identifies a task's definition in state records: an edited command is a different task. */
export function taskDefinitionHash(task: TaskSpec): string {
  return hash64(canonicalJson({ name: task.name, args: task.args }));
}

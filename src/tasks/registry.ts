import type { TaskName } from '../config/task-kinds.js';
import { check } from './kinds/check.js';
import { execute } from './kinds/execute.js';
import { jobs } from './kinds/jobs.js';
import { move } from './kinds/move.js';
import { quota } from './kinds/quota.js';
import { remove } from './kinds/remove.js';
import { submit } from './kinds/submit.js';
import type { TaskRunner } from './types.js';

/** How each kind of task runs; what is known of it before it runs is in config/task-kinds.ts. Every kind must be here. */
export const TASK_RUNNERS: Record<TaskName, TaskRunner> = { execute, check, jobs, quota, submit, move, remove };

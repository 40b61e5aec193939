import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from './helpers.js';

export type PackageGroup = 'slurm' | 'chromium' | 'jinja2' | 'model-ensembler' | 'gridengine';

/**
 * Whether the system packages of `group` (scripts/test-deps.sh, the one list)
 * are installed. Test files never install anything: scripts/run-tests.mjs
 * installed what it could before any of them started. Returns a one-line skip
 * reason when something is missing; under CI=true a missing package is an
 * error, never a skip.
 */
export function needPackages(group: PackageGroup, what: string): string | undefined {
  const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'test-deps.sh'), 'missing', group], { encoding: 'utf8' });
  const missing = r.status === 0 ? r.stdout.split('\n').filter(Boolean) : [`(scripts/test-deps.sh failed: ${r.stderr.trim()})`];
  if (missing.length === 0) return undefined;
  return cannotRun(what, `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed (as root: bash scripts/test-deps.sh install)`);
}

/** A skip reason for `what`, or under CI=true an error: CI must run every test. */
export function cannotRun(what: string, reason: string): string {
  if (process.env.CI === 'true') throw new Error(`${what} must run under CI, but ${reason}`);
  return `${what} skipped: ${reason}`;
}

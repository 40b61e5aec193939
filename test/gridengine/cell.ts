// The test Grid Engine cell (scripts/sge-up.sh), brought up by the suite and
// torn down by pid (scripts/sge-down.sh), as the SLURM cluster is.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../helpers.js';
import { cannotRun, needPackages } from '../system-packages.js';

/** Grid Engine's client environment: the binaries themselves, not the slow /usr/bin wrappers. */
export const SGE_ENV = { SGE_ROOT: '/var/lib/gridengine', SGE_CELL: 'default', SGE_ARCH: 'lx-amd64' };
export const SGE_BIN = '/usr/lib/gridengine';

/** Brings the cell up; a skip reason where it cannot run (never under CI=true). */
export function ensureCell(): string | undefined {
  const missing = needPackages('gridengine', 'Grid Engine tests');
  if (missing) return missing;
  if (process.getuid?.() !== 0) return cannotRun('Grid Engine tests', 'they need root to start a Grid Engine cell');
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/sge-up.sh')], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) return cannotRun('Grid Engine tests', `scripts/sge-up.sh failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' / ')}`);
  return undefined;
}

export function tearDownCell(): void {
  if (process.env.MENSEMBLE_KEEP_SGE === '1') return;
  spawnSync('bash', [path.join(ROOT, 'scripts/sge-down.sh')], { encoding: 'utf8', timeout: 120_000 });
}

/** Runs a Grid Engine client command (an argument array) and returns its output; throws on failure. */
export function sge(command: string, args: string[], cwd?: string): string {
  const r = spawnSync(path.join(SGE_BIN, command), args, { encoding: 'utf8', timeout: 60_000, cwd, env: { ...process.env, ...SGE_ENV } });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where the process's cgroups are described: tests give a tree of their own. */
export interface CgroupFiles {
  /** The text of /proc/self/cgroup. */
  procSelfCgroup: string;
  /** Where the cgroup file systems are mounted (/sys/fs/cgroup). */
  root: string;
}

/**
 * How many CPUs this process can keep busy at once: the CPUs it may run on
 * (affinity: `taskset`, a cpuset) and, below that, a CPU quota of its
 * cgroup or any cgroup above it, as login nodes set per user (systemd's
 * CPUQuota, cgroup v2's cpu.max, v1's cpu.cfs_quota_us). Os.cpus() counts
 * neither. A quota of 1.5 CPUs counts as 1.
 */
export function usableCpus(files?: CgroupFiles): number {
  const quota = cgroupCpuQuota(files ?? systemCgroupFiles());
  const allowed = os.availableParallelism();
  return quota === undefined ? allowed : Math.max(1, Math.min(allowed, Math.floor(quota)));
}

function systemCgroupFiles(): CgroupFiles | undefined {
  try {
    return { procSelfCgroup: fs.readFileSync('/proc/self/cgroup', 'utf8'), root: '/sys/fs/cgroup' };
  } catch {
    return undefined; // not Linux, or no /proc: no quota known
  }
}

/** The smallest CPU quota (in CPUs) on the way from this process's cgroup to the root; undefined if none. */
export function cgroupCpuQuota(files: CgroupFiles | undefined): number | undefined {
  if (!files) return undefined;
  let smallest: number | undefined;
  const take = (cpus: number | undefined) => {
    if (cpus !== undefined && cpus > 0 && (smallest === undefined || cpus < smallest)) smallest = cpus;
  };
  for (const line of files.procSelfCgroup.split('\n')) {
    const [, controllers, where] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    if (where === undefined) continue;
    if (controllers === '') {
      // cgroup v2: <root>/<where>/cpu.max holds "<quota> <period>" or "max <period>".
      walkUp(files.root, where, (dir) => take(v2Quota(dir)));
    } else if (controllers!.split(',').includes('cpu')) {
      // cgroup v1: mounted at <root>/cpu or <root>/cpu,cpuacct; cpu.cfs_quota_us is -1 without a quota.
      for (const mount of new Set([path.join(files.root, 'cpu'), path.join(files.root, controllers!)])) {
        if (fs.existsSync(mount)) walkUp(mount, where, (dir) => take(v1Quota(dir)));
      }
    }
  }
  return smallest;
}

function walkUp(mount: string, where: string, visit: (dir: string) => void): void {
  for (let rel = path.posix.normalize(`/${where}`); ; rel = path.posix.dirname(rel)) {
    visit(path.join(mount, rel));
    if (rel === '/') return;
  }
}

function readNumbers(file: string): string[] | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim().split(/\s+/);
  } catch {
    return undefined;
  }
}

function v2Quota(dir: string): number | undefined {
  const [quota, period] = readNumbers(path.join(dir, 'cpu.max')) ?? [];
  return quota === undefined || quota === 'max' ? undefined : Number(quota) / Number(period);
}

function v1Quota(dir: string): number | undefined {
  const [quota] = readNumbers(path.join(dir, 'cpu.cfs_quota_us')) ?? [];
  const [period] = readNumbers(path.join(dir, 'cpu.cfs_period_us')) ?? [];
  return quota === undefined || period === undefined || Number(quota) <= 0 ? undefined : Number(quota) / Number(period);
}

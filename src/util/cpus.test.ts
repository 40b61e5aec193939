import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cgroupCpuQuota, usableCpus } from './cpus.js';

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mensemble-cgroup-'));
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

test('a CPU quota is found on the way up from the process cgroup, in cgroup v2 and v1, and the smallest one counts', () => {
  // v2: a login node's per-user slice limited to 1.5 CPUs, the session below it unlimited.
  const v2 = tree({
    'cpu.max': 'max 100000\n',
    'user.slice/cpu.max': 'max 100000\n',
    'user.slice/user-1000.slice/cpu.max': '150000 100000\n',
    'user.slice/user-1000.slice/session-4.scope/cpu.max': 'max 100000\n',
  });
  assert.equal(cgroupCpuQuota({ procSelfCgroup: '0::/user.slice/user-1000.slice/session-4.scope\n', root: v2 }), 1.5);
  assert.equal(usableCpus({ procSelfCgroup: '0::/user.slice/user-1000.slice/session-4.scope\n', root: v2 }), 1);
  assert.equal(cgroupCpuQuota({ procSelfCgroup: '0::/\n', root: v2 }), undefined, 'no quota at the root');

  // v1: cpu,cpuacct mounted together; -1 means no quota.
  const v1 = tree({
    'cpu,cpuacct/cpu.cfs_quota_us': '-1\n',
    'cpu,cpuacct/cpu.cfs_period_us': '100000\n',
    'cpu,cpuacct/batch/cpu.cfs_quota_us': '400000\n',
    'cpu,cpuacct/batch/cpu.cfs_period_us': '100000\n',
  });
  const lines = '12:memory:/batch\n3:cpu,cpuacct:/batch\n1:name=systemd:/batch\n';
  assert.equal(cgroupCpuQuota({ procSelfCgroup: lines, root: v1 }), 4);
  assert.equal(cgroupCpuQuota({ procSelfCgroup: '3:cpu,cpuacct:/\n', root: v1 }), undefined);

  // Nothing readable, or nothing there: no quota, so the CPUs the process may run on.
  assert.equal(cgroupCpuQuota(undefined), undefined);
  assert.equal(cgroupCpuQuota({ procSelfCgroup: '0::/gone\n', root: tree({}) }), undefined);
  assert.equal(cgroupCpuQuota({ procSelfCgroup: 'garbage\n', root: v2 }), undefined);
  assert.equal(usableCpus({ procSelfCgroup: '', root: v2 }), os.availableParallelism());
});

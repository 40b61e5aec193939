// Crash campaign on the real SLURM cluster. Registered from test/slurm.test.ts,
// whose tests share the cluster one after another (a test file of its own
// would run beside them while they reconfigure it).
import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { readState, tempDir } from '../helpers.js';
import { accountedJobsSettled } from '../slurm/cluster.js';
import { assertExactlyOnce, campaignEnsemble, runCampaign } from './campaign.js';

const large = process.env.MENSEMBLE_CAMPAIGN === 'large';
export const SLURM_CAMPAIGN = { runs: large ? 200 : 30, kills: large ? 100 : 25 };

export async function slurmCrashCampaign(t: TestContext, rc = ''): Promise<void> {
  const { runs, kills } = SLURM_CAMPAIGN;
  const seed = Number(process.env.MENSEMBLE_CRASH_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with MENSEMBLE_CRASH_SEED=${seed})`);
  const dir = path.join(tempDir('mensemble-crash-slurm-'), 'ens');
  campaignEnsemble(dir, 'slurm', runs, rc);
  await runCampaign({ dir, backend: 'slurm', runs, kills, seed, log: (m) => t.diagnostic(m) });
  await assertExactlyOnce(dir, runs, seed);
  // The scheduler's own records under the ensemble: exactly the recorded jobs, each completed once.
  const accounted = await accountedJobsSettled(dir, runs);
  const recorded = Array.from({ length: runs }, (_, i) => String(readState(path.join(dir, 'runs', `r${i + 1}`)).attempts[0].jobId));
  const all = [...accounted.values()].flat();
  assert.deepEqual(all.map((j) => j.id).sort(), [...recorded].sort(), `seed ${seed}: sacct holds exactly the recorded jobs`);
  assert.deepEqual(all.filter((j) => j.state !== 'COMPLETED'), [], `seed ${seed}: every job completed`);
  if (!rc.includes('array: true')) {
    // One job per run: each ran in its own run directory.
    for (let n = 1; n <= runs; n++) {
      const runDir = path.join(dir, 'runs', `r${n}`);
      assert.deepEqual((accounted.get(runDir) ?? []).map((j) => j.id), [recorded[n - 1]], `seed ${seed}: r${n}: sacct by working directory`);
    }
  }
}

// Crash campaign on the local backend: 30 runs, 25 kills (MENSEMBLE_CAMPAIGN=large: 200 runs, 100 kills).
// Replay a failure with MENSEMBLE_CRASH_SEED=<seed printed by the test>.
import path from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers.js';
import { assertExactlyOnce, campaignEnsemble, runCampaign } from './campaign.js';

const large = process.env.MENSEMBLE_CAMPAIGN === 'large';
const runs = large ? 200 : 30;
const kills = large ? 100 : 25;

test(`crash campaign, local backend: ${runs} runs, ${kills} SIGKILLs anywhere in apply; every run, job and task exactly once`, { timeout: 600_000 }, async (t) => {
  const seed = Number(process.env.MENSEMBLE_CRASH_SEED ?? Date.now() % 1_000_000);
  t.diagnostic(`seed ${seed} (replay with MENSEMBLE_CRASH_SEED=${seed})`);
  const dir = path.join(tempDir('mensemble-crash-'), 'ens');
  campaignEnsemble(dir, 'local', runs);
  await runCampaign({ dir, backend: 'local', runs, kills, seed, log: (m) => t.diagnostic(m) });
  await assertExactlyOnce(dir, runs, seed);
});

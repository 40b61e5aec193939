// The state-and-filesystem fuzzer (state-fuzz.ts) with a fixed seed: cases
// that found a defect stay as regression seeds; MENSEMBLE_STATE_FUZZ_SEED and
// MENSEMBLE_STATE_FUZZ_CASES run others by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tempDir } from '../helpers.js';
import { runCase } from './state-fuzz.js';

const SEED = Number(process.env.MENSEMBLE_STATE_FUZZ_SEED ?? 20261207);
const CASES = Number(process.env.MENSEMBLE_STATE_FUZZ_CASES ?? 12);

test(`state-fuzz: ${CASES} cases from seed ${SEED}: no internal error, no hang, nothing changed outside the ensemble, no run started twice`, async () => {
  const failures: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const seed = SEED + i;
    const result = await runCase(tempDir('mensemble-state-fuzz-'), seed);
    if (result.problems.length > 0) failures.push(`case seed ${seed} (mutations: ${result.mutations.join(', ')}):\n  ${result.problems.join('\n  ')}`);
  }
  assert.deepEqual(failures, [], `replay one with MENSEMBLE_STATE_FUZZ_SEED=<seed> MENSEMBLE_STATE_FUZZ_CASES=1\n${failures.join('\n')}`);
});

// Runs many mensemble invocations in one Node process, each as the command
// runs it (the built program's main() with its own working folder; its
// stdout and stderr captured; its answer, the exit code the command would
// give), and prints their results as one JSON array on stdout.
//
// For corpora of refusals (test/bad-input.test.ts): starting Node and loading
// the modules costs about 0.4 s of CPU per command here, 170 commands were a
// sixth of the suite's CPU, and the refusal itself costs a few milliseconds.
// The test runs a sample of the same invocations through the real command
// and checks that both give the same exit code and the same words.
//
//   node test/cli-in-one-process.mjs < [{"cwd": "...", "args": ["validate"]}, ...]
import fs from 'node:fs';
import { main } from '../dist/cli/program.js';

const invocations = JSON.parse(fs.readFileSync(0, 'utf8'));
const results = [];
const realStdout = process.stdout.write.bind(process.stdout);
const realStderr = process.stderr.write.bind(process.stderr);

for (const { cwd, args } of invocations) {
  process.chdir(cwd);
  let stdout = '';
  let stderr = '';
  process.stdout.write = (chunk) => ((stdout += String(chunk)), true);
  process.stderr.write = (chunk) => ((stderr += String(chunk)), true);
  const before = process.cpuUsage();
  let code;
  try {
    code = await main(args);
  } catch (err) {
    // The command reports such an error as an internal one: the test sees it as one.
    code = null;
    stderr += `internal error: ${err instanceof Error ? err.stack : String(err)}`;
  } finally {
    process.stdout.write = realStdout;
    process.stderr.write = realStderr;
  }
  const used = process.cpuUsage(before);
  results.push({ code, stdout, stderr, cpuSeconds: (used.user + used.system) / 1e6 });
}

realStdout(JSON.stringify(results), () => process.exit(0));

/**
 * What mensemble's exit code says (README, "Exit codes"). Scripts tell a
 * configuration or usage error (1) from an apply that ran and saw runs fail
 * (3), and a stop by signal from either.
 */
export const EXIT = {
  ok: 0,
  /** Bad configuration, usage, environment, or a bug: mensemble could not do what was asked. */
  error: 1,
  /** `plan --detailed-exitcode`: there are changes to apply (as Terraform's). */
  changes: 2,
  /** A command line mensemble cannot take (an unknown command or option, a missing argument); 1 under `plan --detailed-exitcode`, where 2 means changes. */
  usage: 2,
  /** `apply` carried out the plan and at least one run ended failed (its job, or one of its tasks). */
  runsFailed: 3,
  /** Stopped by SIGINT (Ctrl-C), SIGTERM, or a closed output pipe: 128 + the signal's number, as shells report. */
  sigint: 130,
  sigpipe: 141,
  sigterm: 143,
} as const;

export function signalExit(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint;
}

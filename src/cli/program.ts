// The command line: every command, its options and help, and how errors are
// reported. run.ts runs it as the `mensemble` command; a test can run it
// many times in one process (test/cli-in-one-process.mjs).
import fs from 'node:fs';
import { cac } from 'cac';
import { UsageError, UserError } from '../util/errors.js';
import { didYouMean } from '../util/suggest.js';
import { errorJson, errorText, exitCodeOf } from '../ui/views/error.js';
import { unknownOptionMessage } from './unknown-option.js';
import { EXIT } from './exit-codes.js';
import { completionScript } from './completion.js';
import { embedded } from '../util/embedded.js';

const COMMANDS = ['init', 'plan', 'apply', 'watch', 'status', 'logs', 'report', 'cancel', 'repair', 'validate', 'schema', 'unlock', 'completion', 'help'];

function withCommon<T extends ReturnType<ReturnType<typeof cac>['command']>>(command: T): T {
  return command
    .option('--backend <name>', 'Backend: local or slurm (default: .mensemblerc, else local)')
    .option('--profile <name>', 'Use this section of .mensemblerc\'s profiles: over its top-level settings (default: MENSEMBLE_PROFILE)')
    .option('--target <batch[/run]>', 'Only this batch or run (repeatable)')
    .option('-x <name=value>', 'Extra template variable, highest precedence (repeatable)')
    .option('--json', 'Machine-readable output')
    .option('--color', 'Force colour (also --color=always|never|auto)')
    .option('--no-color', 'No colour (also: NO_COLOR)')
    .option('--verbose', 'Show stack traces of internal errors') as T;
}

export async function main(typed: string[]): Promise<number> {
  let argv: string[];
  try {
    argv = colorWords(typed);
  } catch (err) {
    return report(err, false, [], typed.includes('--json'));
  }
  const cli = cac('mensemble');
  let exit: Promise<number> | undefined;

  withCommon(cli.command('plan [config]', 'Show what apply would change, and why (reads only)'))
    .option('--detailed-exitcode', 'Exit 0 with no changes, 2 with changes, 1 on error')
    .option('--replace-running', 'Plan to cancel and replace runs whose job is queued or running when their inputs changed')
    .option('--replace-moved', 'Plan runs whose folder moved (the ensemble was renamed or moved) as replacements, run afresh, instead of carrying their record over')
    .option('--prune', 'Plan the removal of run directories the configuration no longer has, as apply --prune (without it they are kept and only noted)')
    .option('--replace <batch/run>', 'Plan this run to run again although nothing changed (repeatable)')
    .example('mensemble plan')
    .example('mensemble plan ensemble.yaml --target sweep --json')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/plan/index.js').then((m) => m.planCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('apply [config]', 'Converge the ensemble: render, submit, wait, run tasks'))
    .option('-y, --yes', 'Apply without asking (required without a terminal)')
    .option('-q, --quiet', 'Print the plan\'s summary line, failures and warnings as they happen, and the result; no line per run')
    .option('--no-wait', 'Submit and return without waiting for jobs; if that would pass maxjobs, maxruns or the order of batches, the apply goes on in the background instead (as -d)')
    .option('--prune', 'Delete run directories the configuration no longer has')
    .option('--replace <batch/run>', 'Run this run again although nothing changed: re-rendered, its tasks and job run anew; earlier attempts and logs are kept (repeatable)')
    .option('--replace-running', 'Cancel and replace runs whose job is queued or running when their inputs changed')
    .option('--replace-moved', 'Run afresh the runs whose folder moved, instead of carrying their record over')
    .option('--no-checks', 'Skip check, jobs and quota tasks (model-ensembler -c)')
    .option('--poll-interval <seconds>', 'Seconds between scheduler queries, the safety net beside the jobs\' own start and end records (default: .mensemblerc, else 1 local, 60 slurm; backs off to 8x, at most 4 min, while nothing changes)')
    .option('--check-interval <seconds>', 'Seconds between tries of a failing check (default: .mensemblerc, else 30)')
    .option('-d, --detach', 'Confirm here, then apply in the background (log in .mensemble/; `status` shows it)')
    .option('--submit-rate <per-second>', 'Most job submissions per second (default: .mensemblerc, else 10 on slurm, unlimited on local)')
    .option('--array', 'Submit batches as SLURM job arrays unless a batch sets `array: false` (default: .mensemblerc `array`, else off)')
    .option('--max-core-hours <n>', 'Refuse a plan whose estimated cost is above n core-hours, and stop submitting once the jobs of this apply have used n (default: .mensemblerc `max_core_hours`, else no budget)')
    .example('mensemble apply examples/quickstart/mensemble.yaml --yes')
    .example('mensemble apply --target sweep/co2-400-s1')
    .example('mensemble apply --max-core-hours 500')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/apply/index.js').then((m) => m.applyCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('watch [config]', 'Re-plan on every save of the configuration, .mensemblerc or a template, and show what changed'))
    .option('--apply', 'Also render new and changed runs that no job has used yet (never submits, never touches jobs)')
    .option('--debounce <ms>', 'Milliseconds of quiet before re-planning (default 75)')
    .example('mensemble watch')
    .example('mensemble watch ensemble.yaml --apply')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/watch/index.js').then((m) => m.watchCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('status [config]', 'Where every run stands: counts by state per batch, what the runs used (core-hours, CPU and memory efficiency), and each run not completed'))
    .option('--all', 'List every run, completed ones too')
    .example('mensemble status')
    .example('mensemble status --all')
    .example('mensemble status ensemble.yaml --backend slurm --json')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/status/index.js').then((m) => m.statusCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('logs <run> [config]', "A run's job output and task logs, wherever the backend put them"))
    .option('-f, --follow', 'Keep printing new output until the job ends (Ctrl-C to stop)')
    .option('--attempt <n>', 'An earlier attempt (default: the latest)')
    .option('--poll-interval <seconds>', 'With --follow: seconds between job state queries (default: .mensemblerc, else the backend default)')
    .example('mensemble logs co2-280-s1')
    .example('mensemble logs sweep/co2-280-s1 ensemble.yaml --follow')
    .action((run: string, config: string | undefined, flags) => {
      exit = import('./commands/logs/index.js').then((m) => m.logsCommand(run, config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('report [config]', 'Write a self-contained HTML report: summary by batch and state, a timeline of every run, attempts'))
    .option('-o, --output <file>', 'Where to write it (default: mensemble-report.html)')
    .example('mensemble report -o report.html')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/report/index.js').then((m) => m.reportCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('cancel [config]', "Cancel the ensemble's queued and running jobs and record them as cancelled"))
    .example('mensemble cancel')
    .example('mensemble cancel ensemble.yaml --target sweep')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/cancel/index.js').then((m) => m.cancelCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('repair [config]', 'Rebuild the state of runs whose state file is damaged, from the scheduler and the run directories (the damaged file is kept)'))
    .example('mensemble repair')
    .example('mensemble repair --target sweep/co2-280')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/repair/index.js').then((m) => m.repairCommand(config, withColorFlag(flags, argv)));
    });

  withCommon(cli.command('validate [config]', 'Check the configuration and that every template renders'))
    .example('mensemble validate ensemble.yaml')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/validate/index.js').then((m) => m.validateCommand(config, withColorFlag(flags, argv)));
    });

  cli
    .command('init [dir]', 'Create a working ensemble to start from (configuration, templates, .mensemblerc)')
    .option('--json', 'Machine-readable output')
    .example('mensemble init my-ensemble')
    .action((dir: string | undefined, flags) => {
      exit = import('./commands/init/index.js').then((m) => m.initCommand(dir, withColorFlag(flags, argv)));
    });

  cli.command('schema', 'Print the configuration JSON Schema (for editors)').example('mensemble schema > mensemble.schema.json').action(() => {
    exit = import('./commands/schema/index.js').then((m) => m.schemaCommand());
  });

  cli
    .command('unlock [config]', "Remove the ensemble's lock, after naming its holder (for an apply on another login node that went away)")
    .option('-y, --yes', 'Remove it (without: only say whose it is)')
    .example('mensemble unlock')
    .example('mensemble unlock ensemble.yaml --yes')
    .action((config: string | undefined, flags) => {
      exit = import('./commands/unlock/index.js').then((m) => m.unlockCommand(config, flags));
    });

  cli
    .command('completion <shell>', 'Print shell completion for bash or zsh')
    .example('mensemble completion bash > ~/.local/share/bash-completion/completions/mensemble')
    .example('mensemble completion zsh    # in ~/.zshrc: source <(mensemble completion zsh)')
    .action((shell: string) => {
      const commands = cli.commands.map((c) => ({
        name: c.name,
        options: [...optionWords(c), ...optionWords(cli.globalCommand)],
      }));
      process.stdout.write(completionScript(shell, commands));
    });

  cli
    .command('help [command]', 'Show the help of mensemble or of one command')
    .example('mensemble help apply')
    .action((name: string | undefined) => {
      if (name !== undefined && !COMMANDS.includes(name)) {
        throw new UserError(`No command \`${name}\` to show help for.${didYouMean(name, COMMANDS)} Commands: ${COMMANDS.join(', ')}.`);
      }
      // As `mensemble <command> --help` (or `mensemble --help`) would print it.
      exit = main(name === undefined ? ['--help'] : [name, '--help']);
    });

  cli.help((sections) => tidyHelp(sections, cli.matchedCommand));
  cli.version(packageVersion());

  const verbose = argv.includes('--verbose');
  const json = argv.includes('--json');
  try {
    const parsed = cli.parse(['node', 'mensemble', ...spellBooleanFlags(argv, cli)], { run: false });
    if (!cli.matchedCommand) {
      if (parsed.options.help || parsed.options.version) return 0;
      const name = parsed.args[0];
      if (name === undefined) throw new UsageError(`No command given. Commands: ${COMMANDS.join(', ')}. Start with \`mensemble init\`, then \`mensemble plan\`; \`mensemble help\` shows them all.`);
      throw new UsageError(`Unknown command \`${name}\`.${didYouMean(String(name), COMMANDS)} Commands: ${COMMANDS.join(', ')}. See \`mensemble --help\`.`);
    }
    await cli.runMatchedCommand();
    return exit ? await exit : 0;
  } catch (err) {
    const command = cli.matchedCommand ?? cli.globalCommand;
    if (err instanceof Error && err.name === 'CACError' && /^Unknown option/.test(err.message)) {
      const typed = unknownOptionMessage(argv, { long: [...optionNames(command), ...optionNames(cli.globalCommand)], short: [...shortOptionNames(command), ...shortOptionNames(cli.globalCommand)] });
      if (typed) return report(new UsageError(typed), verbose, [], json);
    }
    return report(err, verbose, optionNames(command), json);
  }
}

/**
 * cac hands its parser the camel-cased name of a boolean option, so a
 * dashed one (`--detailed-exitcode`) was taken as expecting a value and ate
 * the next word: `plan --detailed-exitcode ens.yaml` planned the folder's
 * own mensemble.yaml, or said there was none. Each such flag is passed on
 * as the camel-cased spelling the parser knows as a boolean.
 */
function spellBooleanFlags(argv: string[], cli: ReturnType<typeof cac>): string[] {
  const spelled = new Map<string, string>();
  for (const command of [cli.globalCommand, ...cli.commands]) {
    for (const option of command.options) {
      if (!option.isBoolean || option.negated) continue;
      for (const long of option.rawName.match(/--[a-z][a-z0-9]*(?:-[a-z0-9]+)+/g) ?? []) {
        spelled.set(long, `--${long.slice(2).replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())}`);
      }
    }
  }
  const end = argv.indexOf('--');
  return argv.map((arg, i) => (end >= 0 && i > end ? arg : (spelled.get(arg) ?? arg)));
}

/**
 * `--color=always|never|auto`, as git and npm take it: the words the parser
 * knows (`--color`, `--no-color`, neither). Without this, cac took `never`
 * for the configuration's path.
 */
function colorWords(argv: readonly string[]): string[] {
  const end = argv.indexOf('--');
  const out: string[] = [];
  argv.forEach((arg, i) => {
    const m = (end < 0 || i < end) && /^--colou?r=(.*)$/.exec(arg);
    if (!m) return void out.push(arg);
    if (m[1] === 'always') out.push('--color');
    else if (m[1] === 'never') out.push('--no-color');
    else if (m[1] !== 'auto') throw new UsageError(`\`${arg}\`: the colour is \`always\`, \`never\` or \`auto\` (\`--color\` alone is always, \`--no-color\` never).`);
  });
  return out;
}

/**
 * cac gives `--color` and `--no-color` one key, true by default, so neither
 * typed looks like `--color`: the words themselves decide (the last wins).
 */
function withColorFlag<T extends object>(flags: T, argv: readonly string[]): T & { colorFlag: boolean | undefined } {
  const last = argv.filter((a) => a === '--color' || a === '--no-color').at(-1);
  return { ...flags, colorFlag: last === undefined ? undefined : last === '--color' };
}

/** Every option word a command accepts, `--long` and `-x`, without their value placeholders (`<name=value>`). */
function optionWords(command: { options: Array<{ rawName: string }> } | undefined): string[] {
  return (command?.options ?? []).flatMap((o) => o.rawName.replace(/<[^>]*>|\[[^\]]*\]/g, '').match(/--?[a-zA-Z][a-zA-Z-]*/g) ?? []);
}

/** Every `--long` option a command accepts (for "did you mean"). */
function optionNames(command: { options: Array<{ rawName: string }> } | undefined): string[] {
  return optionWords(command).filter((w) => w.startsWith('--'));
}

/**
 * cac's help, as people read it: the command's description under its usage;
 * no "(default: true)" on a `--no-*` flag (it reads as the flag being on);
 * examples indented like the rest; no trailing spaces.
 */
function tidyHelp(sections: Array<{ title?: string; body: string }>, command: { description: string } | undefined): Array<{ title?: string; body: string }> {
  const width = Math.max(60, Math.min(process.stdout.columns || 80, 100));
  const out: Array<{ title?: string; body: string }> = [];
  for (const section of sections) {
    let body = section.body;
    // The top level lists every command's --help: `mensemble help <command>` says it in one line.
    if (!command && section.body.includes('run any command with the `--help` flag')) continue;
    if (section.title === 'Options') body = body.replace(/^(\s*--no-\S.*?) \(default: true\)$/gm, '$1');
    if (section.title === 'Examples') body = body.split('\n').map((line) => (line ? `  ${line}` : line)).join('\n');
    if (section.title === 'Options' || section.title === 'Commands') body = wrapColumns(body, width);
    out.push({ ...section, body: body.replace(/[ \t]+$/gm, '') });
    if (section.title === 'Usage' && command?.description) out.push({ body: wrapColumns(`${command.description}.`, width) });
  }
  if (!command) {
    out.push(
      { title: 'Options every ensemble command takes', body: wrapColumns(COMMON_HELP, width) },
      { title: 'Exit codes', body: wrapColumns(EXIT_HELP, width) },
      { body: wrapColumns('`mensemble help <command>` shows a command\'s options. Documentation: README.md and docs/ in the package (`npm root -g`/mensemble/docs).', width) },
    );
  }
  return out;
}

const COMMON_HELP = [
  '  --target <batch[/run]>  only this batch or run (repeatable)',
  '  -x <name=value>         extra template variable, highest precedence (repeatable)',
  '  --backend <name>        local or slurm (default: .mensemblerc, else local)',
  '  --profile <name>        a section of .mensemblerc\'s profiles: (a cluster\'s settings)',
  '  --json                  machine-readable output (docs/json-output.md)',
  '  --color[=when]          always, never or auto; --no-color (also NO_COLOR)',
  '  --verbose               stack traces of internal errors',
].join('\n');

const EXIT_HELP = [
  '  0         done (plan shown; apply converged, no run failed)',
  '  1         an error: configuration, environment or a bug; the next apply resumes',
  '  2         a command line mensemble cannot take; plan --detailed-exitcode: changes to apply',
  '  3         apply ran and at least one run failed (mensemble status lists them)',
  '  130, 143  stopped by Ctrl-C or SIGTERM; 141 when the reader of the output went away',
].join('\n');

/** Lines of `  name   description` wrapped to `width`, continuation lines under the description. */
function wrapColumns(body: string, width: number): string {
  return body
    .split('\n')
    .flatMap((line) => {
      if (line.length <= width) return [line];
      const m = /^(\s*\S.*?\s{2,})(\S.*)$/.exec(line) ?? /^(\s*)(.*)$/.exec(line)!;
      const indent = m[1]!.length < width / 2 ? m[1]!.length : 4;
      const lines: string[] = [];
      let current = m[1]!;
      for (const word of m[2]!.split(' ')) {
        if (current.trim() && current.length + 1 + word.length > width && current.length > indent) {
          lines.push(current);
          current = `${' '.repeat(indent)}${word}`;
        } else current += current.length === 0 || /\s$/.test(current) ? word : ` ${word}`;
      }
      lines.push(current);
      return lines;
    })
    .join('\n');
}

/** The version in the package.json beside dist/ (or src/, or carried by the single file), so a release needs no edit here. */
function packageVersion(): string {
  const inside = embedded()?.version;
  if (inside) return inside;
  try {
    return (JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Every one-letter `-x` option a command accepts. */
function shortOptionNames(command: { options: Array<{ rawName: string }> } | undefined): string[] {
  return optionWords(command).filter((w) => /^-[a-zA-Z]$/.test(w));
}

/** Errors go to stderr as words, or under `--json` to stdout as one diagnostics document. */
export function report(err: unknown, verbose: boolean, options: string[] = [], json = false): number {
  if (json) process.stdout.write(errorJson(err, options));
  else process.stderr.write(errorText(err, verbose, options));
  const code = exitCodeOf(err);
  // Under `plan --detailed-exitcode` 2 means changes: every error is 1 there.
  return code === EXIT.usage && process.argv.includes('--detailed-exitcode') ? EXIT.error : code;
}

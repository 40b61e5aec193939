import { didYouMean } from '../util/suggest.js';

/**
 * Terraform's spellings of what mensemble does under another flag: users
 * coming from `terraform apply` type these first. Each maps to mensemble's.
 */
const TERRAFORM: Record<string, string> = {
  '-auto-approve': '--yes',
  '-detailed-exitcode': '--detailed-exitcode',
  '-json': '--json',
  '-no-color': '--no-color',
  '-target': '--target <batch[/run]>',
  '-var': '-x <name=value>',
  '-replace': '--replace-running (or --target <batch/run> for one run)',
};

/**
 * The option the user typed that the command does not know, named as typed
 * (cac reports `-auto-approve` as `-a`, the first letter it could not place,
 * and `--no-colour` as `--colour`), with what mensemble calls it: Terraform's
 * spelling, a long option given one dash, or the nearest known name.
 * Undefined when every option typed is known (cac's complaint is then
 * about something else).
 */
export function unknownOptionMessage(argv: readonly string[], known: { long: readonly string[]; short: readonly string[] }): string | undefined {
  const end = argv.indexOf('--');
  for (const arg of end >= 0 ? argv.slice(0, end) : argv) {
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) continue;
    const name = arg.split('=')[0]!;
    if (name.startsWith('--') ? known.long.includes(name) : known.short.includes(name)) continue;
    if (!name.startsWith('--') && name.length === 2) {
      // One letter is too little to guess from.
      return `Unknown option \`${arg}\`. See \`mensemble <command> --help\` for the options.`;
    }
    const terraform = TERRAFORM[name];
    if (terraform) return `Unknown option \`${arg}\`: that is Terraform's spelling; mensemble's is \`${terraform}\`. See \`mensemble <command> --help\` for the options.`;
    if (!name.startsWith('--') && known.long.includes(`-${name}`)) return `Unknown option \`${arg}\`: long options take two dashes, \`-${arg}\`. See \`mensemble <command> --help\` for the options.`;
    return `Unknown option \`${arg}\`.${didYouMean(name.startsWith('--') ? name : `-${name}`, known.long)} See \`mensemble <command> --help\` for the options.`;
  }
  return undefined;
}

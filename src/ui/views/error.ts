import { UsageError, UserError, UserErrors } from '../../util/errors.js';
import { displayPath } from '../../util/paths.js';
import { didYouMean } from '../../util/suggest.js';
import { jsonLine } from '../json.js';

/**
 * One problem, as `--json` reports it. Every message mensemble writes about
 * an input starts `file:line:column: key.path: `; those parts are taken out
 * into their fields (and stay in `message`, which is the whole text).
 */
export interface Diagnostic {
  severity: 'error';
  /** `usage` (the command line), `input` (configuration, templates, settings, the run), `environment` (disk, permissions) or `internal` (a bug). */
  category: 'usage' | 'input' | 'environment' | 'internal';
  message: string;
  file: string | null;
  line: number | null;
  column: number | null;
  /** The key in the document, `ensemble.batches[0].basedir`, when the message names one. */
  path: string | null;
  /** The message without its location and key path. */
  detail: string;
}

interface Described {
  category: Diagnostic['category'];
  problems: string[];
  stack?: string;
}

/** What went wrong, classified and in words; the exit code is the error's own, else 1. */
function describe(err: unknown, options: string[]): Described {
  if (err instanceof UserErrors) return { category: 'input', problems: err.problems };
  if (err instanceof UsageError) return { category: 'usage', problems: [err.message] };
  if (err instanceof UserError) return { category: 'input', problems: [err.message] };
  const environmental = fileSystemProblem(err);
  if (environmental) return { category: 'environment', problems: [environmental], stack: (err as Error).stack };
  const message = err instanceof Error ? err.message : String(err);
  // cac's own parse errors (unknown or malformed options) are the user's, not ours.
  if (err instanceof Error && err.name === 'CACError') {
    // The parser's own words for a missing argument or value, said as mensemble says things.
    const args = /^missing required args for command `(\S+) (.*?)`$/.exec(message);
    if (args) return { category: 'usage', problems: [`\`mensemble ${args[1]}\` needs ${args[2]!.split(' ').filter((a) => a.startsWith('<')).join(' ')}: \`mensemble ${args[1]} ${args[2]}\`. See \`mensemble help ${args[1]}\`.`] };
    const value = /^option `(\S+) (<[^>]+>)` value is missing$/.exec(message);
    if (value) return { category: 'usage', problems: [`${value[1]} needs a value: ${value[1]} ${value[2]}. See \`mensemble help\` for the command's options.`] };
    const unknown = /Unknown option `(.+)`/.exec(message);
    const suggestion = unknown ? didYouMean(unknown[1]!, options) : '';
    return { category: 'usage', problems: [`${message}.${suggestion}${unknown ? ' See `mensemble <command> --help` for the options.' : ''}`] };
  }
  return { category: 'internal', problems: [`internal error: ${message}`], stack: (err as Error)?.stack };
}

export function exitCodeOf(err: unknown): number {
  // cac's own parse errors (an unknown option, a missing argument) are usage errors too.
  if (err instanceof Error && err.name === 'CACError') return 2;
  return err instanceof UserError ? err.exitCode : 1;
}

/** The error for a person, on stderr: one paragraph per problem. */
export function errorText(err: unknown, verbose: boolean, options: string[] = []): string {
  const d = describe(err, options);
  if (err instanceof UserErrors) return `mensemble: ${d.problems.length} problem${d.problems.length > 1 ? 's' : ''}:\n${d.problems.map((p) => `  ${p}`).join('\n')}\n`;
  const stack = verbose && d.stack ? `\n${d.stack}` : d.category === 'internal' ? ' (run with --verbose for the stack trace)' : '';
  return `mensemble: ${d.problems[0]}${stack}\n`;
}

/** The error under `--json`: one document on stdout, `{"type": "error", "version", "diagnostics": [...]}` (docs/json-output.md). */
export function errorJson(err: unknown, options: string[] = []): string {
  const d = describe(err, options);
  return jsonLine('error', { exitCode: exitCodeOf(err), diagnostics: d.problems.map((p) => diagnostic(p, d.category)) });
}

const LOCATION = /^(?<file>[^\s:][^:\n]*?):(?<line>\d+)(?::(?<column>\d+))?: (?<rest>[\s\S]*)$/;
const KEY_PATH = /^(?<path>\(document\)|[A-Za-z_][\w-]*(?:\.[A-Za-z_<][\w<-]*|\[\d+\])*): (?<rest>[\s\S]*)$/;

export function diagnostic(message: string, category: Diagnostic['category']): Diagnostic {
  const at = LOCATION.exec(message)?.groups;
  const afterLocation = at ? at.rest! : message;
  const key = at ? KEY_PATH.exec(afterLocation)?.groups : undefined;
  return {
    severity: 'error',
    category,
    message,
    file: at ? at.file! : null,
    line: at ? Number(at.line) : null,
    column: at?.column ? Number(at.column) : null,
    path: key ? key.path! : null,
    detail: key ? key.rest! : afterLocation,
  };
}

/**
 * The file system refusing a write (full, over quota, read-only, no
 * permission) is the machine's state, not a bug: said plainly, with what to
 * do. State files are replaced atomically, so what was recorded before stays
 * readable and the next apply resumes.
 */
function fileSystemProblem(err: unknown): string | undefined {
  const e = err as NodeJS.ErrnoException;
  const where = e?.path ? ` (${displayPath(e.path)})` : '';
  const resume = 'Work finished so far is recorded; run the command again when this is fixed, and it resumes where it stopped.';
  switch (e?.code) {
    case 'ENOSPC':
      return `the disk is full: no space left on the device while writing${where}. ${resume}`;
    case 'EDQUOT':
      return `your disk quota is exceeded while writing${where}; \`quota -s\` shows it. ${resume}`;
    case 'EROFS':
      return `the file system is read-only${where}. ${resume}`;
    case 'EACCES':
    case 'EPERM':
      return `permission denied${where}: ${e.message}. ${resume}`;
    default:
      return undefined;
  }
}

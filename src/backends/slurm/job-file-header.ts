import fs from 'node:fs';

/**
 * The `#SBATCH` lines of a job file, as sbatch reads them: up to the first
 * command (blank lines and other comments are skipped). Empty when the file
 * cannot be read.
 */
export function sbatchHeaderLines(file: string): string[] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || (trimmed.startsWith('#') && !trimmed.startsWith('#SBATCH'))) continue;
    if (!trimmed.startsWith('#SBATCH')) break;
    lines.push(trimmed);
  }
  return lines;
}

/** sbatch refuses two of these at once (`--mem, --mem-per-cpu, and --mem-per-gpu are mutually exclusive`), even one from the command line. */
const ONE_OF = [['mem', 'mem-per-cpu', 'mem-per-gpu']];

/**
 * The header lines with those dropped whose option is mutually exclusive
 * with one the command line gives (`options`): a retry's `--mem` replaces
 * the job file's `#SBATCH --mem-per-cpu` rather than making sbatch refuse both.
 */
export function compatibleHeaderLines(lines: readonly string[], options: Readonly<Record<string, unknown>>): string[] {
  const dropped = new Set<string>();
  for (const group of ONE_OF) {
    const given = group.filter((key) => options[key] !== undefined);
    if (given.length > 0) for (const key of group) if (!given.includes(key)) dropped.add(key);
  }
  if (dropped.size === 0) return [...lines];
  return lines.filter((line) => {
    const key = parseHeaderLine(line)?.key;
    return key === undefined || !dropped.has(key);
  });
}

/** The option one `#SBATCH` line sets (`--key=value`, `--key value`, `-k value`), if it can be read. */
export function parseHeaderLine(line: string): { key: string; value: string } | undefined {
  const m = /^#SBATCH\s+(?:--([a-z-]+)(?:=|\s+)(\S+)|-([A-Za-z])\s*(\S+))/.exec(line);
  return m ? { key: m[1] ?? m[3]!, value: m[2] ?? m[4]! } : undefined;
}

/** The options of a job file's `#SBATCH` lines, by key. */
export function sbatchHeader(file: string): Map<string, string> {
  return headerOptions(sbatchHeaderLines(file));
}

/** The options set by `#SBATCH` lines, by key (a later line wins, as in sbatch). */
export function headerOptions(lines: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of lines) {
    const option = parseHeaderLine(line);
    if (option) out.set(option.key, option.value);
  }
  return out;
}

/**
 * An sbatch option as the job gets it: the batch's `slurm:` options (long
 * or one-letter key) win over the job file's `#SBATCH` lines.
 */
export function jobOption(options: Record<string, unknown>, header: ReadonlyMap<string, string>, long: string, short: string): string | undefined {
  const fromOptions = options[long] ?? options[short];
  if (typeof fromOptions === 'string') return fromOptions;
  return header.get(long) ?? header.get(short);
}

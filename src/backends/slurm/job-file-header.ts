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

/** The option one `#SBATCH` line sets (`--key=value`, `--key value`, `-k value`), if it can be read. */
export function parseHeaderLine(line: string): { key: string; value: string } | undefined {
  const m = /^#SBATCH\s+(?:--([a-z-]+)(?:=|\s+)(\S+)|-([A-Za-z])\s*(\S+))/.exec(line);
  return m ? { key: m[1] ?? m[3]!, value: m[2] ?? m[4]! } : undefined;
}

/** The options of a job file's `#SBATCH` lines, by key. */
export function sbatchHeader(file: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of sbatchHeaderLines(file)) {
    const option = parseHeaderLine(line);
    if (option) out.set(option.key, option.value);
  }
  return out;
}

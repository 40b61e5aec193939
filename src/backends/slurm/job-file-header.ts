import fs from 'node:fs';

/**
 * The options of a job file's `#SBATCH` lines (`--key=value`, `--key value`,
 * `-k value`), read as sbatch reads them: up to the first command. Empty
 * when the file cannot be read.
 */
export function sbatchHeader(file: string): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || (trimmed.startsWith('#') && !trimmed.startsWith('#SBATCH'))) continue;
    if (!trimmed.startsWith('#SBATCH')) break;
    const m = /^#SBATCH\s+(?:--([a-z-]+)(?:=|\s+)(\S+)|-([A-Za-z])\s*(\S+))/.exec(trimmed);
    if (m) out.set(m[1] ?? m[3]!, m[2] ?? m[4]!);
  }
  return out;
}

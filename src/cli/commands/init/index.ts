import path from 'node:path';
import { scaffold } from '../../../init/scaffold.js';
import { displayPath } from '../../../util/paths.js';
import { jsonLine } from '../../../ui/json.js';

/** `mensemble init [dir]`: a working ensemble to start from. */
export async function initCommand(dir: string | undefined, flags: { json?: boolean }): Promise<number> {
  const target = path.resolve(dir ?? '.');
  const written = scaffold(target);
  if (flags.json) {
    process.stdout.write(jsonLine('init', { dir: target, files: written }));
    return 0;
  }
  process.stdout.write(`Created ${written.map(displayPath).join(', ')}.\n\nNext:\n`);
  const cd = path.relative(process.cwd(), target);
  if (cd) process.stdout.write(`  cd ${cd}\n`);
  process.stdout.write('  mensemble plan      # 4 runs to create\n  mensemble apply     # render them and run their jobs on this machine\n');
  return 0;
}

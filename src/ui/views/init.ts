import path from 'node:path';
import { displayPath } from '../../util/paths.js';
import { jsonLine } from '../json.js';
import type { Output } from '../output.js';

/** What `mensemble init` shows: the files it wrote, and what to type next. */
export interface InitView {
  created(dir: string, files: readonly string[]): void;
}

export function initView(output: Output): InitView {
  if (output.json) return { created: (dir, files) => output.out(jsonLine('init', { dir, files })) };
  return {
    created(dir, files) {
      output.out(`Created ${files.map(displayPath).join(', ')}.\n\nNext:\n`);
      const cd = path.relative(process.cwd(), dir);
      if (cd) output.out(`  cd ${cd}\n`);
      output.out('  mensemble plan      # 4 runs to create\n  mensemble apply     # render them and run their jobs on this machine\n');
    },
  };
}

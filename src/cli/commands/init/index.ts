import path from 'node:path';
import { scaffold } from '../../../init/scaffold.js';
import { initView } from '../../../ui/views/init.js';
import { processOutput, type ColorFlag } from '../../output.js';

/** `mensemble init [dir]`: a working ensemble to start from. */
export async function initCommand(dir: string | undefined, flags: { json?: boolean; colorFlag?: ColorFlag }): Promise<number> {
  const target = path.resolve(dir ?? '.');
  initView(processOutput(flags)).created(target, scaffold(target));
  return 0;
}

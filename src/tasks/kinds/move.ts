import fs from 'node:fs';
import path from 'node:path';
import { STATE_DIR } from '../../state/run-state.js';
import { fastGlob } from '../../util/lazy-deps.js';
import { patternLeaves } from '../../util/paths.js';
import type { TaskRunner } from '../types.js';
import { TaskFailure } from '../types.js';
import { resolvePath } from '../where.js';

/** model-ensembler's `move`: copies the run directory to `<dest>/<run id>/` (model-ensembler rsyncs it), replacing an earlier copy whole. */
export const move: TaskRunner = async (task, ctx, { args }) => {
  if (!ctx.run) throw new TaskFailure(task.where, '`move` only works in pre_run and post_run tasks.');
  const dest = resolvePath(ctx, String(args.dest), `${task.where}.args.dest`);
  const asList = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.map(String) : [String(v)]);
  const include = asList(args.include);
  for (const pattern of [...include, ...asList(args.exclude)]) {
    // A pattern is a path inside the run directory: `../` or an absolute path would copy from outside it.
    if (patternLeaves(pattern)) {
      throw new TaskFailure(task.where, `the move pattern \`${pattern}\` leaves the run directory; include and exclude patterns are paths inside it.`);
    }
  }
  const files = await fastGlob()(include.length > 0 ? include : ['**'], {
    cwd: ctx.run.dir,
    dot: true,
    onlyFiles: true,
    followSymbolicLinks: false,
    ignore: [...asList(args.exclude), `${STATE_DIR}/**`],
  });
  const final = path.join(dest, ctx.run.id);
  const temp = path.join(dest, `.${ctx.run.id}.mensemble-partial`);
  fs.rmSync(temp, { recursive: true, force: true });
  fs.mkdirSync(temp, { recursive: true });
  for (const rel of files.sort()) {
    const to = path.join(temp, rel);
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.cpSync(path.join(ctx.run.dir, rel), to, { verbatimSymlinks: true, preserveTimestamps: true });
  }
  // Swap the finished copy in, so the destination never holds half a run.
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(temp, final);
};

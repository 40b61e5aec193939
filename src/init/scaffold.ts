import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../state/atomic-write.js';
import { loadSchema } from '../config/schema.js';
import { UserError } from '../util/errors.js';

/** The configuration's JSON Schema, beside it, for editors (as `mensemble schema` prints it; write it again after an upgrade). */
const SCHEMA_FILE = 'mensemble.schema.json';

/** The files `mensemble init` writes: a small sweep that `apply` runs as it is, on this machine. */
export const SCAFFOLD: ReadonlyArray<{ path: string; mode: number; content: string }> = [
  {
    path: 'mensemble.yaml',
    mode: 0o644,
    // The first line makes editors with the YAML language server (VS Code's YAML extension, Neovim, Emacs) check the file as it is typed.
    content: `# yaml-language-server: $schema=./mensemble.schema.json
# A mensemble ensemble: 2 parameters x 2 seeds = 4 runs.
#   mensemble plan          what would change, and why
#   mensemble apply         render every run directory and run its job
#   mensemble status        where every run stands
dialect: mensemble          # paths start from this file's folder; templates see {{ param }} as well as {{ run.param }}
ensemble:
  vars:                     # template variables shared by every run
    years: 10
  batches:
    - name: sweep
      basedir: ./runs       # run directories: runs/<run id>/
      templatedir: ../template   # relative to basedir, as in model-ensembler
      templates: [params.nml.j2, job.sh.j2]   # rendered: X.j2 -> X; other files are copied
      job_file: job.sh      # what the backend runs (sbatch on SLURM)
      maxruns: 4            # runs in flight at once
      maxjobs: 2            # jobs queued or running at once
      run_id: "p{{ param }}-s{{ seed }}"   # stable ids, so adding a value renames nothing
      matrix:               # every combination is a run
        param: [1, 2]
        seed: [1, 2]
      retry:
        max_attempts: 2     # a failed job is tried once more
      # slurm:              # sbatch options, for --backend slurm
      #   partition: short
      #   time: "00:10:00"
`,
  },
  {
    path: 'template/params.nml.j2',
    mode: 0o644,
    content: `&params
  param = {{ param }}
  seed = {{ seed }}
  years = {{ run.years }}
/
`,
  },
  {
    path: 'template/job.sh.j2',
    mode: 0o755,
    content: `#!/bin/sh
# The job of run {{ run.id }}; replace the lines below with your model.
#SBATCH --job-name={{ run.id }}
#SBATCH --time=00:10:00
set -eu
echo "run {{ run.id }} in $(pwd)"
cat params.nml
echo "result for param={{ param }} seed={{ seed }}" > result.txt
`,
  },
  {
    path: '.mensemblerc',
    mode: 0o644,
    content: `# Defaults for mensemble's command-line options (every key: .mensemblerc.example).
backend: local        # or slurm
poll_interval: 1      # seconds between job status queries
`,
  },
];

/**
 * Writes the scaffold into `dir` (created if needed). Refuses, writing
 * nothing, when any of its files already exists: init never overwrites.
 */
export function scaffold(dir: string): string[] {
  const stat = fs.lstatSync(dir, { throwIfNoEntry: false });
  if (stat?.isSymbolicLink() && !fs.existsSync(dir)) {
    throw new UserError(`Not initialising ${dir}: it is a symbolic link to ${fs.readlinkSync(dir)}, which does not exist. Make that folder first, or choose another one.`);
  }
  if (stat && !stat.isSymbolicLink() && !stat.isDirectory()) throw new UserError(`Not initialising ${dir}: it is a file, not a folder. Choose a folder, for example \`mensemble init my-ensemble\`.`);
  const existing = [...SCAFFOLD.map((f) => f.path), SCHEMA_FILE].map((f) => path.join(dir, f)).filter((f) => fs.existsSync(f));
  if (existing.length > 0) {
    throw new UserError(`Not initialising ${dir}: ${existing.map((f) => path.relative(dir, f)).join(', ')} already exist${existing.length === 1 ? 's' : ''}. mensemble init never overwrites files; choose an empty folder, for example \`mensemble init my-ensemble\`.`);
  }
  const written: string[] = [];
  const files = [...SCAFFOLD, { path: SCHEMA_FILE, mode: 0o644, content: `${JSON.stringify(loadSchema(), null, 2)}\n` }];
  for (const file of files) {
    const target = path.join(dir, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    writeFileAtomic(target, file.content, file.mode);
    written.push(target);
  }
  return written;
}

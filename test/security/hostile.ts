// An ensemble whose data is hostile to anything that would pass it through a
// shell: command substitutions, backticks, quotes, separators, spaces, `%`
// and line breaks in variables, run ids, basedir, a task's destination and
// log name. Had any reached a shell, a file named PWNED-* would appear.
import fs from 'node:fs';
import path from 'node:path';
import { writeTree } from '../helpers.js';

export const NOTE = '$(touch PWNED-var) `touch PWNED-tick` ${HOME}';

export const HOSTILE_RUNS: ReadonlyArray<{ id: string; text: string }> = [
  { id: 'a b $(touch PWNED-id1)', text: '$(touch PWNED-text1); rm -rf "$HOME"' },
  { id: `q'uo"te \`touch PWNED-id2\``, text: `line one\nline two 'single' "double" \`touch PWNED-text2\`` },
  { id: 'semi;colon & amp | pipe > gt : colon %j %%', text: '%x %A %a {{ not a template }} \\n \\' },
];

/** Writes the ensemble into `dir` (created) and returns `dir`. `rc` is the .mensemblerc. */
export function hostileEnsemble(dir: string, rc = 'backend: local\npoll_interval: 0.2\n', batchExtra = ''): string {
  const yamlString = (s: string) => JSON.stringify(s);
  const runs = HOSTILE_RUNS.map((r) => `        - {name: ${yamlString(r.id)}, text: ${yamlString(r.text)}}\n`).join('');
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:
  vars:
    note: ${yamlString(NOTE)}
  batches:
    - name: b
      basedir: ${yamlString("./runs $(touch PWNED-basedir) 'b'")}
      templatedir: ../tpl
      templates: [job.sh.j2, params.txt.j2]
      job_file: job.sh
      maxruns: 4
      maxjobs: 4
      run_id: "{{ name }}"
${batchExtra}      runs:
${runs}      post_run:
        - name: execute
          args: {cmd: "true", log: ${yamlString('log $(touch PWNED-log) `x`.txt')}}
        - name: move
          args: {dest: ${yamlString('../../archive $(touch PWNED-dest)')}}
`,
    // The job file renders no value: what a user's template does with values is the user's choice.
    'tpl/job.sh.j2*': '#!/bin/sh\ncat params.txt > seen.txt\n',
    'tpl/params.txt.j2': '{{ run.text }}\n{{ note }}\n',
    '.mensemblerc': rc,
  });
  return dir;
}

/** What a run's params.txt holds: its text and the note, as written. */
export function expectedParams(text: string): string {
  return `${text}\n${NOTE}`;
}

/** Files named PWNED-* anywhere under `root`. */
export function pwnedFiles(root: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name.startsWith('PWNED')) found.push(path.join(d, e.name));
      if (e.isDirectory()) walk(path.join(d, e.name));
    }
  };
  walk(root);
  return found;
}

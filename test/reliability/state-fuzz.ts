// A generated state-and-filesystem fuzzer (issue 31): random mutations of an
// applied ensemble's run folders, state files, locks, links, FIFOs and
// session files, then every command in a random order. The invariants:
// no internal error, no hang, nothing written or deleted outside the
// ensemble, and no run started twice. test/reliability/state-fuzz.test.ts
// runs it with a fixed seed; by hand, with more cases:
//
//   MENSEMBLE_STATE_FUZZ_SEED=7 MENSEMBLE_STATE_FUZZ_CASES=200 npm test -- --test-name-pattern=state-fuzz
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { batchYaml, runCli, writeTree, type CliResult } from '../helpers.js';
import { Random } from '../random.js';

export const RUN_IDS = ['r1', 'r2', 'r3'] as const;

/** The ensemble every case starts from: three runs, a template in a subfolder, jobs that say when they ran. */
export function writeEnsemble(dir: string): void {
  writeTree(dir, {
    'mensemble.yaml': `dialect: mensemble\nensemble:\n  batches:\n${batchYaml({ n: [1, 2, 3] }).replace('templates: [job.sh.j2]', 'templates: [job.sh.j2, data/input.nml.j2]')}`,
    'tpl/job.sh.j2*': '#!/bin/sh\necho "{{ run.id }}" >> ../../executions.log\necho done > output.txt\n',
    'tpl/data/input.nml.j2': '&nml n = {{ n }} /\n',
    '.mensemblerc': 'poll_interval: 0.1\ncheck_interval: 0.1\n',
  });
}

/** What stands outside the ensemble, where links made by the mutations lead: it must never change. */
export function writeOutside(outside: string): void {
  writeTree(outside, {
    'state.json': 'precious state\n',
    'job-1.pid': 'precious pid\n',
    'job-1.exit': 'precious exit\n',
    'input.nml': 'precious input\n',
    'lock': 'precious lock\n',
    'data/input.nml': 'precious data\n',
    'dotmensemble/state.json': 'precious dot\n',
    'dotmensemble/job-1.pid': 'precious dot pid\n',
  });
}

/** Every path under `dir` with its kind and content, to compare before and after. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    for (const name of fs.readdirSync(path.join(dir, rel)).sort()) {
      const child = rel ? `${rel}/${name}` : name;
      const full = path.join(dir, child);
      const stat = fs.lstatSync(full);
      if (stat.isSymbolicLink()) out[child] = `link ${fs.readlinkSync(full)}`;
      else if (stat.isDirectory()) {
        out[child] = 'folder';
        walk(child);
      } else if (stat.isFile()) out[child] = `file ${fs.readFileSync(full, 'utf8')}`;
      else out[child] = 'special';
    }
  };
  walk('');
  return out;
}

type Mutation = { name: string; apply: (ens: string, outside: string, graveyard: string, random: Random) => void };

const runDir = (ens: string, id: string) => path.join(ens, 'runs', id);
const stateFile = (ens: string, id: string) => path.join(runDir(ens, id), '.mensemble', 'state.json');

/** The ensemble of the case being made: a mutation never reaches outside it through a link an earlier one made. */
let ensembleRoot = '';

function insideEnsemble(place: string): boolean {
  const parent = fs.existsSync(path.dirname(place)) ? fs.realpathSync(path.dirname(place)) : path.dirname(place);
  return `${parent}/`.startsWith(`${fs.realpathSync(ensembleRoot)}/`);
}

/** Replaces whatever stands at `place` (a file, a folder, a link) with what `make` makes. */
function replace(place: string, make: () => void): void {
  if (!insideEnsemble(place)) throw new Error(`${place} lies outside the ensemble through a link`);
  fs.rmSync(place, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(place), { recursive: true });
  make();
}

function fifo(place: string): void {
  replace(place, () => {
    if (spawnSync('mkfifo', [place]).status !== 0) throw new Error(`mkfifo ${place} failed`);
  });
}

/** A state file made invalid (never a valid record that says something else: that would rightly change the plan). */
function damageState(file: string, random: Random): void {
  // Only a state file that is still a file (a FIFO made by another mutation would block this test's own read),
  // and inside the ensemble (an earlier mutation may have made its folder a link to outside).
  if (!fs.lstatSync(file, { throwIfNoEntry: false })?.isFile() || !insideEnsemble(file)) return;
  const text = fs.readFileSync(file, 'utf8');
  const state = JSON.parse(text);
  const wrong = random.pick<unknown>([null, 42, 'x', [], {}, true]);
  switch (random.int(6)) {
    case 0:
      fs.writeFileSync(file, text.slice(0, random.int(text.length)));
      break;
    case 1:
      state[random.pick(['version', 'id', 'batch', 'inputHash', 'files', 'attempts', 'tasks', 'vars', 'jobFile', 'options'])] = wrong === 'x' ? 7 : wrong;
      fs.writeFileSync(file, JSON.stringify(state));
      break;
    case 2:
      if (state.attempts?.[0]) state.attempts[0][random.pick(['attempt', 'state', 'inputHash', 'backend', 'exitCode', 'backendData', 'escalated'])] = random.pick([null, 'bogus', -1, { output: '/tmp/x' }]);
      else state.attempts = [null];
      fs.writeFileSync(file, JSON.stringify(state));
      break;
    case 3:
      if (state.attempts?.[0]) Object.assign(state.attempts[0], { state: 'running', backend: random.pick(['pbs', 'slurm-typo', '']) });
      fs.writeFileSync(file, JSON.stringify(state));
      break;
    case 4:
      fs.writeFileSync(file, random.pick(['', 'null', '[]', '{', '\u0000\u0001', '{"version": 2}']));
      break;
    default:
      state.completed = random.pick([null, 'yes', { outcome: 'bogus' }]);
      fs.writeFileSync(file, JSON.stringify(state));
  }
}

export const MUTATIONS: readonly Mutation[] = [
  { name: 'state damaged', apply: (ens, _o, _g, r) => damageState(stateFile(ens, r.pick(RUN_IDS)), r) },
  { name: 'state is a FIFO', apply: (ens, _o, _g, r) => fifo(stateFile(ens, r.pick(RUN_IDS))) },
  { name: 'state is a folder', apply: (ens, _o, _g, r) => { const file = stateFile(ens, r.pick(RUN_IDS)); replace(file, () => fs.mkdirSync(file)); } },
  { name: 'state links outside', apply: (ens, o, _g, r) => { const file = stateFile(ens, r.pick(RUN_IDS)); replace(file, () => fs.symlinkSync(path.join(o, 'state.json'), file)); } },
  { name: '.mensemble links outside', apply: (ens, o, g, r) => { const id = r.pick(RUN_IDS); const place = path.join(runDir(ens, id), '.mensemble'); if (fs.existsSync(place)) fs.renameSync(place, path.join(g, `${id}-dot-${r.int(1e9)}`)); fs.symlinkSync(path.join(o, 'dotmensemble'), place); } },
  { name: '.mensemble is a file', apply: (ens, _o, g, r) => { const id = r.pick(RUN_IDS); const place = path.join(runDir(ens, id), '.mensemble'); if (fs.existsSync(place)) fs.renameSync(place, path.join(g, `${id}-dot-${r.int(1e9)}`)); fs.writeFileSync(place, 'x'); } },
  { name: 'run folder is a dangling link', apply: (ens, _o, g, r) => { const id = r.pick(RUN_IDS); const place = runDir(ens, id); if (fs.existsSync(place)) fs.renameSync(place, path.join(g, `${id}-${r.int(1e9)}`)); fs.symlinkSync(path.join(g, 'purged', id), place); } },
  { name: 'run folder is a file', apply: (ens, _o, g, r) => { const id = r.pick(RUN_IDS); const place = runDir(ens, id); if (fs.existsSync(place)) fs.renameSync(place, path.join(g, `${id}-${r.int(1e9)}`)); fs.writeFileSync(place, 'x'); } },
  { name: 'data/ links outside', apply: (ens, o, _g, r) => { const place = path.join(runDir(ens, r.pick(RUN_IDS)), 'data'); if (fs.lstatSync(path.dirname(place), { throwIfNoEntry: false })?.isDirectory()) replace(place, () => fs.symlinkSync(path.join(o, 'data'), place)); } },
  { name: 'rendered file links outside', apply: (ens, o, _g, r) => { const id = r.pick(RUN_IDS); const place = path.join(runDir(ens, id), 'data', 'input.nml'); if (fs.lstatSync(path.dirname(place), { throwIfNoEntry: false })?.isDirectory()) replace(place, () => fs.symlinkSync(path.join(o, 'input.nml'), place)); } },
  { name: 'job files damaged', apply: (ens, o, _g, r) => { const dot = path.join(runDir(ens, r.pick(RUN_IDS)), '.mensemble'); if (!fs.lstatSync(dot, { throwIfNoEntry: false })?.isDirectory()) return; const file = path.join(dot, r.pick(['job-1.pid', 'job-1.exit', 'attempt-1.ended'])); const how = r.int(3); if (how === 0) fifo(file); else if (how === 1) replace(file, () => fs.symlinkSync(path.join(o, 'job-1.pid'), file)); else replace(file, () => fs.writeFileSync(file, r.pick(['', 'garbage', '99999999 1@x', '0\n']))); } },
  { name: 'lock is odd', apply: (ens, o, _g, r) => { const lock = path.join(ens, '.mensemble', 'mensemble.yaml.lock'); const how = r.int(6); if (how === 0) replace(lock, () => fs.mkdirSync(lock)); else if (how === 1) replace(lock, () => fs.symlinkSync(path.join(ens, 'nowhere'), lock)); else if (how === 2) fifo(lock); else if (how === 3) replace(lock, () => fs.writeFileSync(lock, '{not json')); else if (how === 4) replace(lock, () => fs.writeFileSync(lock, JSON.stringify({ pid: 999999, host: 'here', command: 'mensemble apply' }))); else replace(lock, () => fs.symlinkSync(path.join(o, 'lock'), lock)); } },
  { name: 'session damaged', apply: (ens, _o, _g, r) => { const dir = path.join(ens, '.mensemble'); for (const f of fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.startsWith('session-')) : []) { const file = path.join(dir, f); if (r.int(2)) fifo(file); else replace(file, () => fs.writeFileSync(file, r.pick(['', 'null', '{"version": 2, "id": 1}']))); } } },
  { name: 'notices folder is a file', apply: (ens) => replace(path.join(ens, 'runs', '.mensemble', 'notices'), () => fs.writeFileSync(path.join(ens, 'runs', '.mensemble', 'notices'), 'x')) },
  { name: 'caches damaged', apply: (ens, _o, _g, r) => { const file = path.join(ens, '.mensemble', r.pick(['hash-cache.json', 'render-memo.json'])); if (r.int(2)) fifo(file); else replace(file, () => fs.writeFileSync(file, r.pick(['', '[1]', '{"x": null']))); } },
];

export const COMMANDS: readonly string[][] = [['plan'], ['plan', '--json'], ['status'], ['status', '--json'], ['apply', '--yes'], ['report', '-o', 'report.html'], ['repair'], ['validate'], ['logs', 'r1'], ['cancel'], ['unlock', '--yes']];

export interface CaseResult {
  seed: number;
  mutations: string[];
  problems: string[];
}

/** One case: an applied ensemble, 1-3 mutations, 3-6 commands; what broke an invariant. */
export async function runCase(root: string, seed: number): Promise<CaseResult> {
  const random = new Random(seed);
  const ens = path.join(root, 'ens');
  const outside = path.join(root, 'outside');
  const graveyard = path.join(root, 'graveyard');
  fs.mkdirSync(graveyard, { recursive: true });
  writeEnsemble(ens);
  writeOutside(outside);
  ensembleRoot = ens;
  const problems: string[] = [];
  const first = await runCli(['apply', '--yes'], ens);
  if (first.code !== 0) return { seed, mutations: [], problems: [`the first apply failed: ${first.stdout}${first.stderr}`] };
  const before = snapshot(outside);
  const mutations: string[] = [];
  for (let i = 1 + random.int(3); i > 0; i--) {
    const m = random.pick(MUTATIONS);
    try {
      m.apply(ens, outside, graveyard, random);
      mutations.push(m.name);
    } catch (err) {
      mutations.push(`${m.name} (not made: ${(err as Error).message})`);
    }
  }
  const check = (args: string[], r: CliResult) => {
    const said = `${r.stdout}\n${r.stderr}`;
    if (![0, 1, 2, 3].includes(r.code)) problems.push(`\`${args.join(' ')}\` exited ${r.code}${r.code === 137 ? ' (killed after 60 s: it hung)' : ''}: ${said.slice(-600)}`);
    if (/internal error|^\s+at .+:\d+:\d+\)?$/m.test(said)) problems.push(`\`${args.join(' ')}\` had an internal error: ${said.slice(-800)}`);
  };
  for (let i = 3 + random.int(4); i > 0; i--) {
    const args = random.pick(COMMANDS);
    check(args, await runCli(args, ens, {}, 60_000));
  }
  const last = ['plan'];
  check(last, await runCli(last, ens, {}, 60_000));
  const after = snapshot(outside);
  if (JSON.stringify(after) !== JSON.stringify(before)) problems.push(`something outside the ensemble changed: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
  const log = path.join(ens, 'executions.log');
  const ran = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  for (const id of RUN_IDS) {
    const times = ran.filter((r) => r === id).length;
    if (times > 1) problems.push(`run ${id} started ${times} times`);
  }
  return { seed, mutations, problems };
}

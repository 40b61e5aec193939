import { maxOf } from '../../util/numbers.js';
import { costText } from '../usage-words.js';
import { changeCount, type PendingTask, type Plan, type PlanAction, type PlanEntry, type PlanSummary } from '../../plan/types.js';
import { displayPath } from '../../util/paths.js';
import type { Colors } from '../color.js';
import type { Output } from '../output.js';
import { describeNote, describeReason, noteJson, reasonJson } from '../plan-reasons.js';
import { envelope } from '../json.js';

const SYMBOLS: Record<PlanAction, string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  retry: '↻',
  resume: '>',
  moved: '↪',
  remove: '-',
  inflight: '…',
  none: '!',
};

const ORDER: PlanAction[] = ['create', 'update', 'replace', 'retry', 'resume', 'moved', 'remove', 'inflight', 'none'];

function paint(action: PlanAction, c: Colors): (s: string) => string {
  switch (action) {
    case 'create':
      return c.green;
    case 'update':
      return c.yellow;
    case 'replace':
    case 'remove':
      return c.red;
    case 'retry':
      return c.cyan;
    case 'resume':
    case 'moved':
      return c.blue;
    default:
      return c.dim;
  }
}

/** Terraform-style plan text: one line per run that needs work, its reasons, then the summary line. */
export function renderPlan(plan: Plan, c: Colors): string {
  const shown = plan.entries.filter((e) => e.action !== 'none' && e.action !== 'inflight' || e.notes.length > 0);
  const lines: string[] = [];
  for (const w of plan.warnings) lines.push(`${c.yellow('Warning:')} ${w}`, '');
  if (shown.length > 0) {
    lines.push('mensemble will perform the following actions:', '');
    const sorted = [...shown].sort((a, b) => ORDER.indexOf(a.action) - ORDER.indexOf(b.action));
    const width = Math.min(48, maxOf(sorted.map((e) => label(e).length)));
    for (const e of sorted) {
      const color = paint(e.action, c);
      const symbol = SYMBOLS[e.action].padStart(3);
      const [first, ...rest] = e.reasons.map(describeReason);
      lines.push(`${color(symbol)} ${color(e.action === 'none' ? 'note' : e.action).padEnd(c.enabled ? 7 + 10 : 7)} ${label(e).padEnd(width)}  ${first ?? ''}`.trimEnd());
      for (const r of rest) lines.push(`${' '.repeat(12 + width + 2)}${r}`);
      for (const n of e.notes) lines.push(`${' '.repeat(12)}${c.yellow('!')} ${describeNote(n)}`);
    }
    lines.push('');
  }
  if (plan.tasks.length > 0) {
    lines.push('Tasks owed by the unfinished apply (its runs are settled):', '');
    for (const t of plan.tasks) lines.push(`${c.cyan('  ↻')} ${c.cyan('task'.padEnd(7))} ${t.batch ? `${t.batch} ` : ''}${t.phase} ${t.name}  ${taskReason(t)}`);
    lines.push('');
  }
  lines.push(...baseFolders(plan, c), summaryLine(plan.summary, c));
  const cost = plan.cost && costText(plan.cost);
  if (cost) lines.push(cost);
  return lines.join('\n');
}

/**
 * How the file is read and where each batch's run directories are: the
 * dialect names what templates see and, unless `.mensemblerc` sets it, which
 * folder relative paths start from.
 */
function baseFolders(plan: Plan, c: Colors): string[] {
  if (plan.batches.length === 0) return [];
  const lines: string[] = [];
  if (plan.profile) lines.push(c.dim(`Settings: profile ${plan.profile.name} of ${displayPath(plan.profile.file)}.`));
  if (plan.dialect) {
    const sees = plan.dialect.name === 'mensemble' ? 'every run variable by name and as `run`' : 'only `run`, as in model-ensembler';
    lines.push(c.dim(`Dialect ${plan.dialect.name}${plan.dialect.declared ? '' : ' (the default: the file declares no `dialect`)'}: templates see ${sees}.`));
  }
  const from = plan.pathsFrom;
  const start = from?.rule === 'working-directory' ? `the working directory ${displayPath(from.dir)}` : `the configuration's folder${from ? ` ${displayPath(from.dir)}` : ''}`;
  const why = from?.by === 'rc' ? ', as .mensemblerc `paths_from` says' : from?.rule === 'working-directory' ? ', as model-ensembler' : '';
  const width = maxOf(plan.batches.map((b) => b.name.length));
  lines.push(c.dim(`Base folders (relative paths from ${start}${why}):`), ...plan.batches.map((b) => c.dim(`  ${b.name.padEnd(width)}  ${displayPath(b.basedir)}`)), '');
  return lines;
}

function taskReason(t: PendingTask): string {
  switch (t.status) {
    case 'failed':
      return `failed${t.exitCode !== undefined ? ` with exit code ${t.exitCode}` : ''}; runs again`;
    case 'interrupted':
      return 'was interrupted (its apply stopped); resumes';
    case 'edited':
      return 'its definition changed since it ran; runs again';
    default:
      return 'has not run yet';
  }
}

function label(e: PlanEntry): string {
  return e.batch ? `${e.batch}/${e.id}` : e.id;
}

export function summaryLine(s: PlanSummary, c: Colors): string {
  const changes = changeCount(s);
  const damaged =
    (s.damaged > 0 ? ` ${c.bold(`${s.damaged} damaged`)} (state unreadable; see the notes above and \`mensemble repair\`).` : '') +
    (s.blocked > 0 ? ` ${c.bold(`${s.blocked} blocked`)} (a file stands where the run directory should be; see the notes above).` : '');
  // Runs dropped from the configuration are not work unless the plan is for --prune: a note, not a change.
  const kept = s.kept > 0 ? ` ${s.kept} run${s.kept === 1 ? '' : 's'} no longer in the configuration ${s.kept === 1 ? 'is' : 'are'} kept (\`mensemble apply --prune\` removes ${s.kept === 1 ? 'it' : 'them'}).` : '';
  if (changes === 0) {
    return `${c.bold('No changes.')} ${s.unchanged} run${s.unchanged === 1 ? '' : 's'} up to date, ${s.inflight} in flight.${damaged}${kept}`;
  }
  const resume = (s.resume > 0 ? `, ${s.resume} to resume` : '') + (s.moved > 0 ? `, ${s.moved} moved` : '') + (s.tasks > 0 ? `, ${s.tasks} ensemble task${s.tasks === 1 ? '' : 's'} to run` : '');
  return `${c.bold('Plan:')} ${s.create} to create, ${s.update} to update, ${s.replace} to replace, ${s.retry} to retry, ${s.remove} to remove${resume}; ${s.unchanged} unchanged, ${s.inflight} in flight.${damaged}${kept}`;
}

/** The `--json` document: versioned, documented in docs/json-output.md. */
export function planJson(plan: Plan): object {
  return envelope('plan', {
    summary: plan.summary,
    warnings: plan.warnings,
    pathsFrom: plan.pathsFrom ?? null,
    dialect: plan.dialect ?? null,
    profile: plan.profile ?? null,
    cost: plan.cost ?? null,
    batches: plan.batches,
    tasks: plan.tasks,
    runs: plan.entries.map((e) => ({
      id: e.id,
      batch: e.batch,
      dir: e.dir,
      action: e.action,
      reason: e.reasons.map(describeReason).join('; '),
      reasons: e.reasons.map(reasonJson),
      notes: e.notes.map(noteJson),
    })),
  });
}

/** What `mensemble plan` shows: the plan, as text or as one JSON document. */
export interface PlanView {
  plan(plan: Plan): void;
}

export function planView(output: Output): PlanView {
  return output.json ? { plan: (plan) => output.out(`${JSON.stringify(planJson(plan), null, 2)}\n`) } : { plan: (plan) => output.out(`${renderPlan(plan, output.colors)}\n`) };
}

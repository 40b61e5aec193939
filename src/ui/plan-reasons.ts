import type { Blocked, Drift, PlanNote, PlanReason } from '../plan/types.js';
import { escalationText, limitText, usedText } from './retry-words.js';
import { describeOutcome } from './outcome.js';

/** A plan reason in words, as `plan` prints it and `--json` carries it beside the fields. */
export function describeReason(r: PlanReason): string {
  switch (r.kind) {
    case 'new-run':
      return 'new run';
    case 'directory-without-state':
      return 'directory exists without mensemble state; templates will be rendered into it';
    case 'var-added':
      return `variable ${r.key} added (= ${r.after})`;
    case 'var-removed':
      return `variable ${r.key} removed (was ${r.before})`;
    case 'var-changed':
      return `variable ${r.key}: ${r.before} → ${r.after}`;
    case 'file-added':
      return `${r.path} added to the template folder`;
    case 'file-removed':
      return `${r.path} no longer in the template folder`;
    case 'file-changed':
      return r.template !== undefined ? `${r.path} changed (template ${r.template})` : `${r.path} changed`;
    case 'file-mode-changed':
      return `${r.path} mode ${r.before} → ${r.after}`;
    case 'job-file-changed':
      return `job file ${r.before} → ${r.after}`;
    case 'options-changed':
      return `scheduler options ${r.before} → ${r.after}`;
    case 'inputs-changed':
      return 'inputs changed';
    case 'will-cancel':
      return `job ${r.jobId ?? '(submitting)'} will be cancelled`;
    case 'drift':
      return `${describeDrift(r)} by hand since it was rendered`;
    case 'submit-unrecorded':
      return 'submitted but the job id was not recorded; the job will be found and adopted, or submitted';
    case 'job-active':
      return `job ${r.jobId} ${r.state}`;
    case 'not-submitted':
      return 'rendered, not yet submitted';
    case 'asked':
      return 'asked for (--replace): rendered and run again; earlier attempts and their logs are kept';
    case 'task-failed':
      return `${r.task} failed${r.exitCode !== undefined ? ` with exit code ${r.exitCode}` : ''} (${r.failedAt}); runs again`;
    case 'attempt-failed':
      if (r.free) return `${describeOutcome(r)}: the cluster's doing, retried as it was without spending an attempt (free retry ${r.freeRetry?.used ?? 1} of ${r.freeRetry?.of ?? 1})`;
      return `attempt ${r.attempt} of ${r.maxAttempts} ${describeOutcome(r)}${usedText(r.state, r.used)}${escalationText(r.escalations)}`;
    case 'post-run-pending':
      return `job ${r.state}${r.state === 'completed' ? '' : ` (${describeOutcome(r)})`}; post_run tasks pending`;
    case 'moved': {
      const rendering = r.rerender.length > 0 ? `re-renders ${r.rerender.join(', ')} (${r.rerender.length === 1 ? 'it uses' : 'they use'} run.dir)` : 'nothing to re-render';
      return `moved from ${r.from}; ${rendering}`;
    }
    case 'moved-not-rerun':
      return 'its jobs are not run again (use --replace-moved to run it afresh)';
    case 'orphan':
      return 'no longer in the configuration';
  }
}

export function describeNote(n: PlanNote): string {
  switch (n.kind) {
    case 'blocked':
      return describeBlocked(n);
    case 'damaged':
      return `${n.error} mensemble will not touch this run until it is repaired: \`mensemble repair --target ${n.target}\` rebuilds its state from the scheduler and the run directory (and keeps the damaged file).`;
    case 'changed-in-flight':
      return `inputs changed (${n.changes.map(describeReason).join('; ')}) but job ${n.jobId ?? ''} is ${n.state}; it is left alone (use --replace-running to cancel and replace it)`;
    case 'drift-after-run':
      return `drift: ${n.drift.map(describeDrift).join(', ')} since it was rendered (the job already ran; left as it is)`;
    case 'no-attempts-left':
      return `${describeOutcome(n)} on attempt ${n.attempt} of ${n.maxAttempts}; no attempts left`;
    case 'not-retried':
      return `${describeOutcome(n)}; not retried: retry.when lists ${n.when.join(', ')}`;
    case 'at-limit':
      return `${describeOutcome(n)}; not retried: its ${limitText(n.resource, n.value, n.limit)}, so another attempt would end the same way`;
    case 'cannot-escalate':
      return `${describeOutcome(n)}; not retried: its ${n.resource === 'mem' ? 'memory request' : 'time limit'} is not known (no accounting, and no slurm.${n.resource} to grow from), so the escalation cannot be applied; set slurm.${n.resource}`;
    case 'moved-while-submitting':
      return `moved from ${n.from} while attempt ${n.attempt} was being submitted; mensemble cannot tell from here whether that job exists, so it leaves this run alone. Check \`squeue --me\`, then run it afresh with \`--replace-moved\`, or plan it from its old place.`;
    case 'orphan-job-active':
      return 'its job is still queued or running';
    case 'kept':
      return 'kept: only `mensemble apply --prune` removes its folder';
  }
}

export function describeDrift(d: Drift): string {
  switch (d.change) {
    case 'deleted':
      return `${d.path} was deleted`;
    case 'link-changed':
      return `${d.path} (a link) was changed`;
    case 'modified':
      return `${d.path} was modified`;
  }
}

export function describeBlocked(b: Blocked): string {
  const what = b.what === 'run-directory' ? 'the run directory' : "the run directory's .mensemble folder";
  if (b.link !== undefined) {
    return `${b.place} is a symbolic link (to ${b.link}${b.dangling ? ', which does not exist' : ''}) where ${what} should be; mensemble will not write or delete anything through it. Remove the link (what it points to is not touched), then apply again.`;
  }
  return `${b.place} is a file, not a folder, where ${what} should be; mensemble will not overwrite or delete it. Move it away (or delete it), then apply again.`;
}

/** A reason or note as `--json` carries it: its typed fields and, for people, `text`. */
export function reasonJson(r: PlanReason): PlanReason & { text: string } {
  return { ...r, text: describeReason(r) };
}

export function noteJson(n: PlanNote): PlanNote & { text: string } {
  return { ...n, text: describeNote(n) };
}

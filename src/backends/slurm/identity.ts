import type { SubmitRequest } from '../types.js';

/**
 * Every job mensemble submits carries `--comment=mensemble:<ensemble>:<attempt>:<run id>`
 * (the run id percent-encoded).
 * With it a job can be found again in `squeue` and `scontrol` after a crash,
 * even when job ids were reused. The user's own comment, if any, follows it.
 * (sacct does not store comments on most sites, so accounting lookups match
 * the working directory and submit time instead.)
 */
export function jobIdentity(request: Pick<SubmitRequest, 'ensembleKey' | 'attempt' | 'runId'>): string {
  return `mensemble:${request.ensembleKey}:${request.attempt}:${identityText(request.runId)}`;
}

/**
 * A run id as its identity holds it: percent-encoded, so that it has no
 * space (the user's comment follows one) and one id is never the start of
 * another's identity (`r` and `r x`). Ids of letters, digits and `-_.!~*'()`
 * read as they are, as they did before ids were encoded.
 */
function identityText(runId: string): string {
  return encodeURIComponent(runId);
}

/** The identity of a job array: every task carries it. */
export function arrayIdentity(ensembleKey: string, arrayKey: string): string {
  return `mensemble:${ensembleKey}:array:${arrayKey}`;
}

export function commentFor(request: SubmitRequest): string {
  return withOwnComment(jobIdentity(request), request.options);
}

/** mensemble's identity, then the user's own `comment:` option if any. */
export function withOwnComment(identity: string, options: SubmitRequest['options']): string {
  const own = options.comment;
  return own === undefined || own === false || own === '' ? identity : `${identity} ${String(own)}`;
}

/** True when a job (as squeue or scontrol describe it) was submitted for this attempt. */
export function hasIdentity(job: { comment?: string; raw?: string }, identity: string): boolean {
  const { comment, raw } = job;
  if (comment !== undefined && (comment === identity || comment.startsWith(`${identity} `))) return true;
  // scontrol's one-line output cannot always be split exactly; look for the field itself.
  return raw !== undefined && (raw.includes(` Comment=${identity} `) || raw.endsWith(` Comment=${identity}`));
}

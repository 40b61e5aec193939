import path from 'node:path';
import { displayPath } from '../util/paths.js';
import { canonicalJson } from '../config/python-values.js';
import type { BatchSpec, EnsembleSpec, RunInput } from '../config/types.js';
import { TEMPLATE_ENGINE_VERSION, compileInline } from '../render/jinja/environment.js';
import { renderRun, type DesiredFile } from '../render/render-run.js';
import { loadTemplateSet, type TemplateSet } from '../render/template-set.js';
import type { HashCache } from '../state/hash-cache.js';
import { ensembleOwner } from '../state/ensemble-folder.js';
import type { RunOwner } from '../state/run-state.js';
import { UserError, UserErrors, formatLocation } from '../util/errors.js';
import { hash64 } from '../util/hash.js';
import type { RenderMemo } from './render-memo.js';
import { ModelEnsemblerFields, contextKey, templateContext, type RunFields } from './run-context.js';
import type { DesiredRun } from './types.js';
import { targetFilter, type Target } from './targets.js';

export interface DesiredState {
  runs: DesiredRun[];
  /** Every run id of every batch (targeted or not), to tell removed runs from untargeted ones. */
  allDirs: Set<string>;
  templateSets: Map<number, TemplateSet>;
}

interface RunIdentity {
  batch: BatchSpec;
  input: RunInput;
  id: string;
  dir: string;
  base: Record<string, unknown>;
}

/**
 * config -> desired state: every run's id, directory, variables, rendered
 * files (in memory) and input hash. Reads templates, writes nothing. With a
 * memo, runs rendered before with the same render key take their input hash
 * from it and render only when their files are asked for. `meanwhile` is
 * called every 1,000 runs (plan/read-ahead.ts collects what it read).
 */
export function buildDesiredState(spec: EnsembleSpec, targets: readonly Target[], cache: HashCache, memo?: RenderMemo, meanwhile?: () => void): DesiredState {
  const templateSets = new Map<number, TemplateSet>();
  const identities: RunIdentity[] = [];
  for (const batch of spec.batches) {
    const set = loadTemplateSet(batch, cache);
    templateSets.set(batch.index, set);
    const idTemplate = batch.runIdTemplate ? compileInline(set.env, batch.runIdTemplate, `${batch.where}.run_id`, batch.runIdLocation) : undefined;
    for (const input of batch.runs) {
      const base: Record<string, unknown> = { ...batch.batchVars, ...input.vars, idx: input.idx, batch_idx: 1 };
      const id = idTemplate ? idTemplate({ ...base, ...spec.extraVars, run: { ...base, ...spec.extraVars } }).trim() : `${batch.name}-${input.idx}`;
      identities.push({ batch, input, id, dir: path.join(batch.basedir, id), base });
    }
  }
  checkIdentities(identities);

  const idsByBatch = new Map<string, Set<string>>();
  for (const b of spec.batches) idsByBatch.set(b.name, new Set());
  for (const r of identities) idsByBatch.get(r.batch.name)!.add(r.id);
  const wanted = targetFilter(targets, idsByBatch);

  const runs: DesiredRun[] = [];
  const shared = new SharedCanonical();
  const sharedCanonical = (value: unknown) => shared.canonical(value);
  const optionsByBatch = new Map(spec.batches.map((b) => [b.index, canonicalJson(b.schedulerOptions.slurm)]));
  const owner = ensembleOwner(spec);
  // model-ensembler's `run` depends on every run before it (plan/run-context.ts): replayed over all of them, targeted or not.
  const fieldsOf = spec.dialect === 'model-ensembler' ? new ModelEnsemblerFields(spec) : undefined;
  let batch: BatchSpec | undefined;
  let seen = 0;
  for (const r of identities) {
    if (++seen % 1000 === 0) meanwhile?.();
    if (r.batch !== batch) fieldsOf?.startBatch((batch = r.batch));
    const targeted = wanted(r.batch.name, r.id);
    // An untargeted run's variables are needed only for the replay of model-ensembler's shared dict.
    if (!targeted && !fieldsOf) continue;
    const vars: Record<string, unknown> = { ...r.base, id: r.id, dir: r.dir, ...spec.extraVars };
    const fields = fieldsOf?.next(r.input, vars);
    if (!targeted) continue;
    const set = templateSets.get(r.batch.index)!;
    const options = optionsByBatch.get(r.batch.index)!;
    const varsText = canonicalVarsText(canonicalVars(vars, sharedCanonical));
    const renderKey = hash64(`${TEMPLATE_ENGINE_VERSION}\0${set.fingerprint}\0${r.batch.jobFile}\0${options}\0${varsText}\0${contextKey(fields, sharedCanonical)}`);
    const run = new PlannedRun(r, vars, options, set, owner, fields);
    const known = memo?.get(renderKey);
    if (known !== undefined) run.inputHash = known;
    else {
      run.inputHash = hash64(hashInput(varsText, run.files, r.batch.jobFile, options));
      memo?.set(renderKey, run.inputHash);
    }
    runs.push(run);
  }
  return { runs, allDirs: new Set(identities.map((r) => r.dir)), templateSets };
}

/**
 * One desired run. A class, not an object literal with a getter: a literal's
 * per-run getter and method closures gave every run its own hidden class,
 * which at 100,000 runs cost about 1 KB and a slow property store per run.
 * Rendered files stay unrendered until someone asks (apply, a changed run's
 * reasons) when the memo knew the input hash.
 */
class PlannedRun implements DesiredRun {
  readonly id: string;
  readonly batch: BatchSpec;
  readonly idx: number;
  readonly dir: string;
  readonly where: string;
  inputHash = '';
  private rendered: DesiredFile[] | undefined;
  private canonical: Record<string, string> | undefined;

  constructor(
    identity: RunIdentity,
    readonly vars: Record<string, unknown>,
    readonly options: string,
    private readonly set: TemplateSet,
    readonly owner: RunOwner,
    /** model-ensembler's `run` fields; undefined under `dialect: mensemble` (plan/run-context.ts). */
    private readonly fields: RunFields | undefined,
  ) {
    this.id = identity.id;
    this.batch = identity.batch;
    this.idx = identity.input.idx;
    this.dir = identity.dir;
    this.where = identity.input.where;
  }

  /**
   * Computed again when first asked for (apply, a changed run's reasons,
   * the report), not kept from the input hash's computation: at 100,000
   * runs keeping them all held about 25 MB that a no-op plan never reads.
   */
  get varsCanonical(): Record<string, string> {
    return (this.canonical ??= canonicalVars(this.vars));
  }

  get files(): DesiredFile[] {
    return (this.rendered ??= renderRun(this.set, templateContext(this.vars, this.fields)));
  }

  hashAt(otherDir: string): string {
    const moved = { ...this.vars, dir: otherDir };
    const text = canonicalVarsText({ ...this.varsCanonical, dir: canonicalJson(otherDir) });
    return hash64(hashInput(text, renderRun(this.set, templateContext(moved, this.fields)), this.batch.jobFile, this.options));
  }
}

/**
 * Canonical JSON of the values runs share (batch variables, matrix values:
 * the same value, or the same object, in every run), computed once: 100,000
 * runs of 15 variables were 1.5 million canonicalJson calls, and as many
 * strings held. Values are never changed once read, so an object's text is
 * its identity's. Bounded: runs written out one by one have values of their own.
 */
class SharedCanonical {
  private readonly known = new Map<unknown, string>();

  canonical(value: unknown): string {
    let text = this.known.get(value);
    if (text === undefined) {
      text = canonicalJson(value);
      if (this.known.size >= 50_000) this.known.clear();
      this.known.set(value, text);
    }
    return text;
  }
}

/**
 * The text a run's input hash is taken of. It is, byte for byte,
 * canonicalJson({ vars, files, jobFile, options }) (keys in sorted order),
 * written out directly because this runs once per run on every plan; the
 * bytes must never change, or every run of every ensemble would be planned
 * for replacement.
 */
export function hashInput(varsText: string, files: DesiredRun['files'], jobFile: string, options: string): string {
  const tuples = JSON.stringify(files.map((f) => [f.path, f.kind, 'mode' in f && f.mode !== undefined ? f.mode : null, f.hash]));
  return `{"files":${tuples},"jobFile":${JSON.stringify(jobFile)},"options":${JSON.stringify(options)},"vars":{${varsText}}}`;
}

/** Canonical JSON of each variable, in sorted key order; `canonical` may memoise values that runs share. */
function canonicalVars(vars: Record<string, unknown>, canonical: (value: unknown) => string = canonicalJson): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(vars).sort()) out[key] = key === 'id' || key === 'dir' ? canonicalJson(vars[key]) : canonical(vars[key]);
  return out;
}

/** The variables part of the hash input: `"key":"<canonical JSON>"` pairs in sorted key order. */
export function canonicalVarsText(varsCanonical: Record<string, string>): string {
  let vars = '';
  for (const key of Object.keys(varsCanonical).sort()) vars += `${vars ? ',' : ''}${JSON.stringify(key)}:${JSON.stringify(varsCanonical[key])}`;
  return vars;
}

// Control characters, path separators and NUL make ids unsafe as directory names.
// eslint-disable-next-line no-control-regex
/** Control characters (C0, DEL, C1), bidirectional overrides and isolates, and path separators. */
const UNSAFE_ID = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069/\\]/;

function checkIdentities(identities: RunIdentity[]): void {
  const problems: string[] = [];
  const byId = new Map<string, RunIdentity>();
  const byDir = new Map<string, RunIdentity>();
  for (const r of identities) {
    // Words only for a problem: finding a run's line may mean parsing the configuration (it came from its cache).
    const at = () => `${formatLocation(r.input.location)}: ${r.input.where} (batch \`${r.batch.name}\`)`;
    if (r.id === '') problems.push(`${at()}: the run id is empty; check the batch's run_id template.`);
    else if (UNSAFE_ID.test(r.id) || r.id.includes('..') || r.id.startsWith('.') || r.id.startsWith('-')) {
      problems.push(`${at()}: the run id ${JSON.stringify(r.id)} is not safe as a directory name (no /, \\, .., control characters or bidirectional overrides, and no leading . or -).`);
    } else if (Buffer.byteLength(r.id) > 200) {
      // File systems limit a name to 255 bytes, not characters.
      problems.push(`${at()}: the run id is ${Buffer.byteLength(r.id)} bytes long in UTF-8; 200 is the limit.`);
    }
    // Both paths are absolute and normalised, so a prefix says what path.relative would (100,000 runs: 0.1 s less).
    if (r.batch.templatedir === r.dir || r.batch.templatedir.startsWith(`${r.dir}${path.sep}`)) {
      problems.push(`${at()}: the run directory ${displayPath(r.dir)} is the template folder or holds it (${displayPath(r.batch.templatedir)}); rendering the run would overwrite its own templates.`);
    }
    const clash = byId.get(r.id) ?? byDir.get(r.dir);
    if (clash) {
      problems.push(`${at()}: the run id \`${r.id}\` is also the id of ${clash.input.where} (batch \`${clash.batch.name}\`, ${formatLocation(clash.input.location)}); run ids must be unique.`);
    } else {
      byId.set(r.id, r);
      byDir.set(r.dir, r);
    }
    if (problems.length >= 20) break;
  }
  if (problems.length === 1) throw new UserError(problems[0]!);
  if (problems.length > 1) throw new UserErrors(problems);
}

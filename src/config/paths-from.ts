/**
 * How a configuration is read: its dialect, and from it which folder its
 * relative paths start from and which names its templates see.
 *
 * model-ensembler resolves a relative `basedir` against the folder it was
 * started from, runs `pre_process`/`post_process` there, and renders each
 * template with `run` alone; its own sanity check only works run from its
 * repository root. That is the default, whatever other keys a file uses:
 * adding `retry:` to a model-ensembler configuration changes retries and
 * nothing else. `dialect: mensemble`, written at the top of the file, is the
 * one key that changes the reading: paths start from the file's folder (an
 * ensemble is then the same wherever it is planned from) and templates see
 * every run variable by its name as well as `run`. `.mensemblerc`
 * `paths_from` may set the paths rule of a file that declares no dialect.
 * `plan` names the dialect, the rule and every batch's base folder.
 */
export type PathsFrom = 'configuration' | 'working-directory';
export type PathsFromSetting = PathsFrom | 'auto';
export type Dialect = 'model-ensembler' | 'mensemble';

/** The dialect a file declares, or model-ensembler's when it declares none. */
export interface DialectChoice {
  dialect: Dialect;
  declared: boolean;
}

export function dialectOf(document: Record<string, unknown>): DialectChoice {
  const written = document.dialect;
  return written === 'mensemble' || written === 'model-ensembler' ? { dialect: written, declared: true } : { dialect: 'model-ensembler', declared: false };
}

/** Where relative paths start, and what set it (for plan's words). */
export interface PathsRule {
  rule: PathsFrom;
  /** `dialect`: the file's dialect (declared or the default); `rc`: `.mensemblerc` `paths_from` for a file that declares none. */
  by: 'dialect' | 'rc';
}

export function decidePathsFrom(choice: DialectChoice, setting: PathsFromSetting = 'auto'): PathsRule {
  if (!choice.declared && setting !== 'auto') return { rule: setting, by: 'rc' };
  return { rule: choice.dialect === 'mensemble' ? 'configuration' : 'working-directory', by: 'dialect' };
}

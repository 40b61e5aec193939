/**
 * mensemble as a library: `import { loadEnsemble, plan, apply, status } from 'mensemble'`.
 * The commands are thin users of these functions (src/cli/commands/); what
 * they return is the engine's own typed data, from which the commands'
 * `--json` documents are made. docs/library.md shows an example.
 */
export { loadEnsemble, type Ensemble, type LoadOptions } from './ensemble.js';
export { plan, type PlanOptions } from './plan.js';
export { apply, type ApplyOptions, type ApplyOutcome } from './apply.js';
export { status, type EnsembleStatus } from './status.js';
export type { ApplySettings, SettingOverrides } from './settings.js';
export type { ApplyResult } from '../apply/executor.js';
export type { ApplyEvent, ApplyWarning } from '../apply/events.js';
export type { Plan, PlanAction, PlanEntry, PlanNote, PlanReason, PlanSummary } from '../plan/types.js';
export type { StatusRow } from '../ui/views/status.js';
export type { AttemptUsage, UsageTotals } from '../state/usage.js';
export { hasChanges } from '../plan/types.js';
/** Thrown for bad input and refusals (a message for a person, naming file, line and key); anything else is a bug. */
export { UserError } from '../util/errors.js';
/** The words the commands print for a reason, a note, an event or a warning. */
export { describeNote, describeReason } from '../ui/plan-reasons.js';
export { describeEvent, describeWarning } from '../ui/apply-events.js';

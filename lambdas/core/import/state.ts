// What an import accumulates while it walks the checklist, before the template is assembled from it.

import type {
  DeploymentStep,
  EscalationLevel,
  MonitoringWindow,
  PhaseKind,
  RollbackTrigger,
  SignoffRequirement,
  SourceMapping,
  SourceRef,
  SuccessMetric,
  TemplateSection,
} from '../template/template.ts';
import type { ListEntry } from './outline.ts';
import type { ImportWarning } from './report.ts';
import { uniqueSlugs } from './text.ts';

/** Minutes an escalation level has to acknowledge before the next is paged, when the checklist names no interval. */
export const DEFAULT_ESCALATION_INTERVAL_MINUTES = 15;

/** A phase before phases are ordered and given ids and gates. */
export interface DraftPhase {
  name: string;
  kind: PhaseKind;
  sections: TemplateSection[];
  signoffs: SignoffRequirement[];
  steps?: DeploymentStep[];
  windows?: MonitoringWindow[];
  source?: SourceRef;
}

/**
 * A sign-off read from the checklist. Sign-off sections may come before the phases they gate, so a sign-off waits
 * here until every phase is known.
 */
export interface PendingSignoff {
  readonly target: PhaseKind | undefined;
  readonly requirement: SignoffRequirement;
  /** The heading the sign-off sits under: it names the confirmation phase if one has to be created for it. */
  readonly region: { readonly name: string; readonly source: SourceRef };
  /** Mappings of the lines grouping this sign-off, whose ref is the id of the gate it ends up on. */
  readonly groupMappings: SourceMapping[];
}

export interface RoleLabel {
  readonly role: string;
  readonly label: string;
}

export interface ImportState {
  /** Source lines; `lines[n - 1]` is line n. */
  readonly lines: readonly string[];
  // One id namespace per kind of thing, each handed out in document order.
  readonly itemId: (base: string) => string;
  readonly sectionId: (base: string) => string;
  readonly triggerId: (base: string) => string;
  readonly metricId: (base: string) => string;
  readonly mappings: SourceMapping[];
  readonly metadata: Record<string, string>;
  /** Paragraphs of the template's description. */
  readonly description: string[];
  readonly phases: DraftPhase[];
  readonly triggers: RollbackTrigger[];
  readonly procedure: TemplateSection[];
  readonly validation: TemplateSection[];
  readonly successMetrics: SuccessMetric[];
  readonly levels: EscalationLevel[];
  /** Every person named on an escalation level, so each becomes a role. */
  readonly escalationLabels: RoleLabel[];
  readonly onCall: RoleLabel[];
  intervalMinutes: number;
  readonly pendingSignoffs: PendingSignoff[];
  /** The phase the last top-level part was read into: a following part of the same kind joins it. */
  lastPart: DraftPhase | undefined;
  readonly warnings: ImportWarning[];
}

export function createState(lines: readonly string[]): ImportState {
  return {
    lines,
    itemId: uniqueSlugs(),
    sectionId: uniqueSlugs(),
    triggerId: uniqueSlugs(),
    metricId: uniqueSlugs(),
    mappings: [],
    metadata: {},
    description: [],
    phases: [],
    triggers: [],
    procedure: [],
    validation: [],
    successMetrics: [],
    levels: [],
    escalationLabels: [],
    onCall: [],
    intervalMinutes: DEFAULT_ESCALATION_INTERVAL_MINUTES,
    pendingSignoffs: [],
    lastPart: undefined,
    warnings: [],
  };
}

/**
 * Records where a checkbox line that is not an item went (see `SourceMapping`); plain list lines need no record.
 * Returns the mapping so a caller can fill in a ref that is only known later.
 */
export function mapEntry(
  state: ImportState,
  entry: ListEntry,
  as: SourceMapping['as'],
  target: string,
): SourceMapping | undefined {
  if (entry.checkbox === null) return undefined;
  const mapping: SourceMapping = { line: entry.line, text: entry.text, as, ref: target };
  state.mappings.push(mapping);
  return mapping;
}

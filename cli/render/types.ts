// The API's answers as the CLI renders them: every type comes from the OpenAPI document (client/schema.d.ts).
import type { components } from '../../client/schema.d.ts';

type Schemas = components['schemas'];

export type ReleaseView = Schemas['ReleaseView'];
export type ReleaseSummary = Schemas['ReleasePage']['items'][number];
export type ReleaseStatus = Schemas['ReleaseStatus'];
export type PhaseView = ReleaseView['phases'][number];
export type SectionView = PhaseView['sections'][number];
export type ItemView = Schemas['ItemView'];
export type ItemStatus = Schemas['ItemStatus'];
export type WaitingFor = NonNullable<ReleaseView['waitingFor']>;
export type GateStatus = Schemas['SignoffOutcome']['gate'];
export type SignoffOutcome = Schemas['SignoffOutcome'];
export type MetricCondition = NonNullable<ItemView['metric']>;
export type AuditEvent = Schemas['EventPage']['items'][number];
export type MetricsOutcome = Schemas['MetricsOutcome'];
export type ReleaseReport = Schemas['ReleaseReport'];
export type NotificationView = Schemas['NotificationPage']['items'][number];
export type Contact = Schemas['ContactAnswer'];
export type TemplateList = Schemas['TemplateList'];
export type TemplateDocument = Schemas['TemplateDocument'];
export type ImportOutcome = Schemas['ImportOutcome'];
export type MetricUnit = Schemas['MetricUnit'];

/**
 * The children of an item. The OpenAPI document types them `unknown[]` (its generator does not follow the recursive
 * item schema); the API sends items of the same shape as their parent.
 */
export const childrenOf = (item: ItemView): readonly ItemView[] => (item.children ?? []) as ItemView[];

/** Every release status, in the order a release moves; `satisfies` and the check below keep it equal to the API's. */
export const RELEASE_STATUSES = [
  'PRE_RELEASE',
  'STAGING',
  'DEPLOYING',
  'MONITORING',
  'CONFIRMING',
  'COMPLETED',
  'ROLLBACK_REQUESTED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
  'CANCELLED',
] as const satisfies readonly ReleaseStatus[];
const everyStatus: Exclude<ReleaseStatus, (typeof RELEASE_STATUSES)[number]> extends never ? true : false = true;
void everyStatus;

/** Where a release ends. */
export const TERMINAL_STATUSES: ReadonlySet<ReleaseStatus> = new Set([
  'COMPLETED',
  'CANCELLED',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
]);

/** A rollback requested or under way, or ended. */
export const ROLLBACK_STATUSES: ReadonlySet<ReleaseStatus> = new Set([
  'ROLLBACK_REQUESTED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'ROLLBACK_FAILED',
]);

export const ITEM_STATUSES = [
  'pending',
  'done',
  'skipped',
  'blocked',
  'failed',
] as const satisfies readonly ItemStatus[];
const everyItemStatus: Exclude<ItemStatus, (typeof ITEM_STATUSES)[number]> extends never ? true : false = true;
void everyItemStatus;

export type AuditEventType = Schemas['AuditEventType'];
export type WindowReport = ReleaseReport['windows'][number];
export type MetricReport = WindowReport['metrics'][number];
export type MonitoringWindow = NonNullable<PhaseView['windows']>[number];
export type ContactEvent = NonNullable<Contact['events']>[number];

/** Every audit event type the API records; the check below keeps it equal to the API's. */
export const AUDIT_EVENT_TYPES = [
  'release.created',
  'workflow.started',
  'workflow.resume-requested',
  'workflow.failed',
  'phase.entered',
  'gate.opened',
  'gate.overdue',
  'gate.passed',
  'item.updated',
  'signoff.recorded',
  'signoff.withdrawn',
  'step.started',
  'step.completed',
  'window.started',
  'window.passed',
  'alarm.received',
  'rollback.proposed',
  'rollback.dismissed',
  'rollback.agreed',
  'rollback.requested',
  'rollback.started',
  'rollback.completed',
  'rollback.failed',
  'escalation.started',
  'escalation.paged',
  'escalation.acknowledged',
  'escalation.exhausted',
  'release.cancelled',
  'release.completed',
] as const satisfies readonly AuditEventType[];
const everyEventType: Exclude<AuditEventType, (typeof AUDIT_EVENT_TYPES)[number]> extends never ? true : false = true;
void everyEventType;

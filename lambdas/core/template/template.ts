// The release template: the structured form of a Markdown release checklist, and the snapshot a release is created from.
import { z } from 'zod';

/** Where a piece of the template came from in its Markdown source (1-based line number and the raw line text). */
export const SourceRef = z.object({
  line: z.number().int().positive(),
  text: z.string(),
});
export type SourceRef = z.infer<typeof SourceRef>;

/** Identifiers are lowercase slugs, stable across imports, unique within their kind in one template. */
export const Slug = z
  .string()
  .min(1)
  .max(120)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug (a-z, 0-9, single hyphens)');

export const Comparison = z.enum(['<', '<=', '>', '>=']);
export type Comparison = z.infer<typeof Comparison>;

/** Units follow CloudWatch's StandardUnit names so a condition maps 1:1 onto a CloudWatch alarm. */
export const MetricUnit = z.enum(['Milliseconds', 'Seconds', 'Percent', 'Count', 'None']);
export type MetricUnit = z.infer<typeof MetricUnit>;

/**
 * A measurable condition read from checklist text such as "API response time >500ms p95" or "Memory usage >2x normal".
 * `metric` is a canonical dotted name (e.g. `api.latency.p95`, `api.error_rate`, `system.availability`).
 * With `relativeToBaseline`, `threshold` is a multiple of the baseline captured before production deployment.
 * `sustainedMinutes` is set when the text says "sustained" (the breach must hold for that long).
 */
export const MetricCondition = z
  .object({
    metric: z.string().regex(/^[a-z0-9_]+(?:\.[a-z0-9_]+)*$/),
    comparison: Comparison,
    threshold: z.number(),
    unit: MetricUnit,
    relativeToBaseline: z.boolean().optional(),
    sustainedMinutes: z.number().int().positive().optional(),
    // How the condition is evaluated, as a CloudWatch alarm (docs/metrics.md); each defaults as documented there.
    /** Seconds per datapoint: a multiple of 60 (the finest period of a standard-resolution custom metric). */
    periodSeconds: z.number().int().positive().multipleOf(60).optional(),
    /** N: how many of the most recent periods are evaluated. */
    evaluationPeriods: z.number().int().positive().optional(),
    /** M: how many breaching datapoints among the last N put the trigger in ALARM ("3 of 5"). */
    datapointsToAlarm: z.number().int().positive().optional(),
    /** How periods without a sample count: CloudWatch's `TreatMissingData`. */
    treatMissingData: z.enum(['missing', 'notBreaching', 'breaching', 'ignore']).optional(),
  })
  .refine(
    (condition) =>
      condition.datapointsToAlarm === undefined ||
      (condition.evaluationPeriods !== undefined && condition.datapointsToAlarm <= condition.evaluationPeriods),
    {
      message: 'datapointsToAlarm (M) needs evaluationPeriods (N), and must not exceed it',
      path: ['datapointsToAlarm'],
    },
  )
  .refine(
    // CloudWatch: an alarm's evaluation range (period x N) is at most one day.
    (condition) => (condition.periodSeconds ?? 60) * (condition.evaluationPeriods ?? 1) <= 86_400,
    { message: 'periodSeconds x evaluationPeriods must not exceed one day (86400 s)', path: ['evaluationPeriods'] },
  );
export type MetricCondition = z.infer<typeof MetricCondition>;

/**
 * `manual`: a person ticks it. `automated`: CI verifies it (a machine client may tick it).
 * `metric`: backed by a metric condition, evaluated from samples during monitoring.
 */
export const ItemKind = z.enum(['manual', 'automated', 'metric']);
export type ItemKind = z.infer<typeof ItemKind>;

export interface TemplateItem {
  id: string;
  title: string;
  required: boolean;
  kind: ItemKind;
  metric?: MetricCondition | undefined;
  /** Markdown that explains the step (code, quotes, tables, notes the author wrote under it), as written. */
  description?: string | undefined;
  /** Nested checklist lines. An item with children is a group: its state is derived from them. */
  children: TemplateItem[];
  source: SourceRef;
}
export const TemplateItem: z.ZodType<TemplateItem> = z.lazy(() =>
  z.object({
    id: Slug,
    title: z.string().min(1),
    required: z.boolean(),
    kind: ItemKind,
    metric: MetricCondition.optional(),
    description: z.string().optional(),
    children: z.array(TemplateItem),
    source: SourceRef,
  }),
);

export const TemplateSection = z.object({
  id: Slug,
  title: z.string().min(1),
  /** Markdown that introduces the section (its prose, code or quotes outside any step), as written. */
  description: z.string().optional(),
  items: z.array(TemplateItem),
  source: SourceRef,
});
export type TemplateSection = z.infer<typeof TemplateSection>;

/** What a sign-off attests, e.g. "Code review completed" under "### Technical Lead". */
export const SignoffCriterion = z.object({ text: z.string().min(1), source: SourceRef });

export const SignoffRequirement = z.object({
  /** Role id (slug), e.g. `qa-lead`; the caller must hold it to sign. */
  role: Slug,
  /** The label the checklist used, e.g. "QA Team Lead". */
  label: z.string().min(1),
  required: z.boolean(),
  criteria: z.array(SignoffCriterion),
  source: SourceRef,
});
export type SignoffRequirement = z.infer<typeof SignoffRequirement>;

/** A gate closes a phase: every required item of the phase done (or skipped with a reason) and every required sign-off approved. */
export const Gate = z.object({
  id: Slug,
  name: z.string().min(1),
  signoffs: z.array(SignoffRequirement),
  /** Optional deadline after the phase starts, ISO-8601 duration (e.g. `P2D`). */
  deadline: z.string().optional(),
});
export type Gate = z.infer<typeof Gate>;

/** A production deployment step: one item (usually a group) that is worked in order. */
export const DeploymentStep = z.object({
  id: Slug,
  name: z.string().min(1),
  itemId: Slug,
});
export type DeploymentStep = z.infer<typeof DeploymentStep>;

/** A post-release monitoring window: its duration and the section whose items (metric-backed ones are its thresholds) apply during it. */
export const MonitoringWindow = z.object({
  id: Slug,
  name: z.string().min(1),
  /** ISO-8601 duration: `PT2H`, `PT24H`, `P7D`. */
  duration: z.string().regex(/^P(?:\d+D)?(?:T(?:\d+H)?(?:\d+M)?(?:\d+S)?)?$/),
  sectionId: Slug,
  /** What a breach during this window does: roll back at once, or ask the release manager. */
  rollbackPolicy: z.enum(['automatic', 'approval']),
});
export type MonitoringWindow = z.infer<typeof MonitoringWindow>;

export const PhaseKind = z.enum(['pre-release', 'staging', 'deployment', 'monitoring', 'confirmation', 'follow-up']);
export type PhaseKind = z.infer<typeof PhaseKind>;

export const Phase = z.object({
  id: Slug,
  name: z.string().min(1),
  kind: PhaseKind,
  sections: z.array(TemplateSection),
  /** Null for a phase that never blocks progress (follow-up work tracked after completion). */
  gate: Gate.nullable(),
  /** Deployment phases: the ordered production deployment steps. */
  steps: z.array(DeploymentStep).optional(),
  /** Monitoring phases: the ordered monitoring windows. */
  windows: z.array(MonitoringWindow).optional(),
  /** Set when the phase heading came from the source; absent for a phase the importer composed. */
  source: SourceRef.optional(),
});
export type Phase = z.infer<typeof Phase>;

/** A condition that calls for a rollback. Without `condition` it is qualitative: a person declares it. */
export const RollbackTrigger = z.object({
  id: Slug,
  title: z.string().min(1),
  category: z.string().min(1),
  condition: MetricCondition.optional(),
  source: SourceRef,
});
export type RollbackTrigger = z.infer<typeof RollbackTrigger>;

export const SuccessMetric = z.object({
  id: Slug,
  title: z.string().min(1),
  category: z.string().min(1),
  condition: MetricCondition.optional(),
  source: SourceRef,
});
export type SuccessMetric = z.infer<typeof SuccessMetric>;

export const EscalationLevel = z.object({
  level: z.number().int().min(1),
  label: z.string().min(1),
  roles: z.array(Slug).min(1),
  source: SourceRef,
});
export type EscalationLevel = z.infer<typeof EscalationLevel>;

/**
 * A checkbox line that is not an item of the checklist, and what it became instead. The import test proves every
 * checkbox line of the source is either an item or one of these.
 */
export const SourceMapping = z.object({
  line: z.number().int().positive(),
  text: z.string(),
  as: z.enum([
    'signoff',
    'signoff-criterion',
    'signoff-group',
    'rollback-trigger',
    'rollback-trigger-group',
    'rollback-step',
    'success-metric',
    'success-metric-group',
  ]),
  /** Id of what the line became (role, trigger id, metric id, section id). */
  ref: z.string(),
});
export type SourceMapping = z.infer<typeof SourceMapping>;

export const Template = z.object({
  id: Slug,
  name: z.string().min(1),
  description: z.string(),
  /** The file the template was imported from, e.g. `toolboxai-v1.1.0-release-checklist.md`. */
  sourceFile: z.string(),
  /** Free-form header facts of the checklist ("Release Type", "Previous Version", …). */
  metadata: z.record(z.string(), z.string()),
  /** Every role the template names (sign-off roles, escalation roles, on-call roles). */
  roles: z.array(z.object({ id: Slug, label: z.string().min(1) })),
  phases: z.array(Phase).min(1),
  rollback: z.object({
    triggers: z.array(RollbackTrigger),
    /** The rollback procedure in order; becomes the active checklist when a rollback starts. */
    procedure: z.array(TemplateSection),
    /** What must hold after a rollback. */
    validation: z.array(TemplateSection),
  }),
  successMetrics: z.array(SuccessMetric),
  escalation: z.object({
    levels: z.array(EscalationLevel),
    /** Minutes to wait for an acknowledgement before paging the next level. */
    intervalMinutes: z.number().int().positive(),
  }),
  /** On-call roles named by the checklist (for contacts and paging). */
  onCall: z.array(z.object({ role: Slug, label: z.string().min(1) })),
  /** Separation of duties: who may not sign what. */
  separationOfDuties: z.object({
    /** One person may not fill two roles of the same gate. */
    distinctSignersPerGate: z.boolean(),
    /** The release's creator may not be the only approver of a gate. */
    creatorNotSoleApprover: z.boolean(),
  }),
  mappings: z.array(SourceMapping),
});
export type Template = z.infer<typeof Template>;

/** Every item of a list of items, depth first, parents before children. */
export function* walkItems(items: readonly TemplateItem[]): Generator<TemplateItem> {
  for (const item of items) {
    yield item;
    yield* walkItems(item.children);
  }
}

/** Every item of every phase of a template, with the phase it belongs to. */
export function* phaseItems(template: Template): Generator<{ phase: Phase; item: TemplateItem }> {
  for (const phase of template.phases) {
    for (const section of phase.sections) {
      for (const item of walkItems(section.items)) yield { phase, item };
    }
  }
}

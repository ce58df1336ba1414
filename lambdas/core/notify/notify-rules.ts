// Which notifications an audit event causes, for whom and how severe, and their text per protocol (email, SMS and
// the default). Pure: the same event and release give the same notifications, under the same ids.

import { DEVOPS_LEAD, RELEASE_MANAGER, STAKEHOLDER } from '../auth/roles.ts';
import type { MetricReport, ReportTrigger, WindowReport } from '../monitoring/metrics.ts';
import { formatNumber } from '../monitoring/metrics.ts';
import type { AuditEvent, GateStatus, ReleaseAggregate } from '../release/release.ts';
import { findPhase, gateStatus, itemIndex, itemStatus, ROLLBACK_CONFIRMER, ROLLBACK_GATE } from '../release/release.ts';
import { releaseView } from '../release/view.ts';
import type { Gate, MetricUnit, Phase, SignoffRequirement, Template, TemplateItem } from '../template/template.ts';
import { walkItems } from '../template/template.ts';
import { durationMs, rollbackItems } from '../workflow/workflow.ts';
import type { Notification, NotificationType, Severity } from './notification.ts';

/** The escalation level rollback notifications page, besides that level's roles. */
export const ROLLBACK_PAGED_LEVEL = 1;
/** SNS: an email subject is "less than 100 characters long". */
export const SUBJECT_MAX_LENGTH = 99;
/** One SMS: at most 160 characters (counted as UTF-16 code units, so never more code points either). */
export const SMS_MAX_LENGTH = 160;

export interface NotifyOptions {
  /** Base URL of the Shipgate API (or a UI in front of it); links and API calls in messages start with it. */
  readonly publicUrl?: string | undefined;
  /**
   * How the release did over the window a `window.passed` event ends, computed by the caller from the stored samples
   * (`windowReport`); the notification then carries its figures. Ignored for other events and for another window.
   */
  readonly report?: WindowReport | undefined;
}

/**
 * The notifications an audit event causes. `agg` is the release as it stands when the event is handled (after the
 * event). Each notification's id is `${event.id}.${n}`, where n is fixed by the event and the recipient (for
 * sign-off requests, the role's place among the gate's sign-offs), so handling an event again gives the same ids,
 * or a subset of them if some sign-offs came in meanwhile.
 *
 * | audit event | notification | severity | roles |
 * | --- | --- | --- | --- |
 * | `release.created` | `release.created` | info | every role of the template |
 * | `gate.opened` | `signoff.requested`, one per required role still missing (n = its place in the gate) | info | that role |
 * | `signoff.recorded` (approve) | `signoff.recorded` | info | release-manager |
 * | `signoff.recorded` (reject) | `signoff.rejected` | warning | release-manager and the roles of that gate |
 * | `gate.overdue` | `gate.overdue` | warning | the roles still missing and release-manager |
 * | `phase.entered` | `phase.advanced` | info | release-manager (and devops-lead when entering deployment) |
 * | `step.started`, `step.completed` | the same type | info | release-manager and devops-lead |
 * | `window.started` | the same type | info | release-manager and the template's on-call roles |
 * | `window.passed` | the same type, with the window's report | info; warning if a target missed or a trigger breached | as `window.started` |
 * | `rollback.requested` | `rollback.triggered` | critical | release-manager, the level-1 roles, on-call roles; pages level 1 |
 * | `rollback.completed` | `rollback.completed` | info | release-manager and the level-1 roles; level 1 |
 * | `rollback.failed` | `rollback.failed` | critical | release-manager and the level-1 roles; pages level 1 |
 * | `release.completed` | `release.completed` (n = 1) and `release.announced` (n = 2) | info | release-manager; every role of the template and `stakeholder` |
 * | any other event | none | | |
 *
 * Texts: `subject` at most 99 characters (`[Shipgate] <release>: <what>`, `CRITICAL` after the tag when critical);
 * `email` says what happened, what is needed from the reader (for a sign-off: the gate, the criteria and the exact
 * API call), the release's status and, with `publicUrl`, its link; `sms` is at most 160 characters, cutting the
 * release name (and any detail) but never the call to action; `default` is one paragraph.
 *
 * With `report`, `window.passed` says how the release did: the email lists per metric its count / min / avg / max /
 * p95, each target (met, not met, no data) and each trigger (breached, with its breaching datapoints, or not), then
 * the success metrics, and where the full report is (`GET <base>/releases/<id>/report`); the SMS sums it up
 * ("2h window passed: 4 metrics, 0 breaches, targets 3/4 met": metrics with samples, triggers breached, targets met
 * of those with data) and points at the report. A window that passed with a target missed or a trigger breached (an
 * approval window whose rollback was not approved) is a warning, and its subject says so.
 */
export function notificationsFor(
  event: AuditEvent,
  agg: ReleaseAggregate,
  options: NotifyOptions = {},
): Notification[] {
  const base = (options.publicUrl ?? '').trim().replace(/\/+$/, '');
  const ctx: Context = {
    event,
    agg,
    template: agg.template,
    base,
    releasePath: `/releases/${agg.release.id}`,
    report: options.report,
  };
  const drafts = plan(ctx);
  if (drafts.length === 0) return [];
  const status = releaseStatus(ctx);
  return drafts.map((draft) => render(ctx, draft, status));
}

interface Context {
  readonly event: AuditEvent;
  readonly agg: ReleaseAggregate;
  readonly template: Template;
  /** `publicUrl` without a trailing slash; empty when there is none. */
  readonly base: string;
  /** `/releases/{id}`. */
  readonly releasePath: string;
  readonly report?: WindowReport | undefined;
}

/** The call to action of an SMS: a label and the API request it points at. */
interface Action {
  readonly label: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
}

interface Message {
  /** What happened, after the release name in the subject and the SMS: "sign-off needed from qa-lead at pre-release". */
  readonly summary: string;
  /** The email's opening: what happened, in sentences. */
  readonly happened: string;
  /** What the reader is asked to do, one line each; empty when nothing is. */
  readonly needed: readonly string[];
  /** More facts for the email. */
  readonly details: readonly string[];
  /** An SMS detail (a reason, a comment, an end time), cut or left out before the release name is. */
  readonly smsDetail?: string | undefined;
  /** What happened, for the SMS only, when it says more than the subject's `summary` (a window's figures). */
  readonly smsSummary?: string | undefined;
  readonly action: Action;
}

interface Draft {
  readonly n: number;
  readonly type: NotificationType;
  readonly severity: Severity;
  readonly roles: readonly string[];
  readonly phase?: string | undefined;
  readonly escalationLevel?: number | undefined;
  readonly message: Message;
}

function plan(ctx: Context): Draft[] {
  const { event, template } = ctx;
  const phaseId = str(event, 'phase');
  const everyone = template.roles.map((role) => role.id);
  const level1 = template.escalation.levels.find((level) => level.level === ROLLBACK_PAGED_LEVEL)?.roles ?? [];
  const onCall = template.onCall.map((entry) => entry.role);
  const one = (
    type: NotificationType,
    severity: Severity,
    roles: readonly string[],
    message: Message,
    extra: { readonly escalationLevel?: number } = {},
  ): Draft[] => [{ n: 1, type, severity, roles: unique(roles), phase: phaseId, message, ...extra }];
  switch (event.type) {
    case 'release.created':
      return one('release.created', 'info', everyone, releaseCreated(ctx));
    case 'gate.opened':
      return gateOpened(ctx);
    case 'signoff.recorded':
      return signoffRecorded(ctx);
    case 'gate.overdue': {
      const phase = findPhase(template, phaseId ?? '');
      const status = phase && gateStatus(ctx.agg, phase);
      const missing = status?.missingSignoffs ?? [];
      return one('gate.overdue', 'warning', [...missing, RELEASE_MANAGER], gateOverdue(ctx, phase, status));
    }
    case 'phase.entered': {
      const deployment = findPhase(template, phaseId ?? '')?.kind === 'deployment';
      const roles = deployment ? [RELEASE_MANAGER, DEVOPS_LEAD] : [RELEASE_MANAGER];
      return one('phase.advanced', 'info', roles, phaseEntered(ctx));
    }
    case 'step.started':
    case 'step.completed':
      return one(event.type, 'info', [RELEASE_MANAGER, DEVOPS_LEAD], step(ctx, event.type === 'step.started'));
    case 'window.started':
      return one(event.type, 'info', [RELEASE_MANAGER, ...onCall], monitoringWindow(ctx, true));
    case 'window.passed': {
      const passed = windowPassed(ctx);
      return one(event.type, passed.severity, [RELEASE_MANAGER, ...onCall], passed.message);
    }
    case 'rollback.requested':
      return one('rollback.triggered', 'critical', [RELEASE_MANAGER, ...level1, ...onCall], rollbackTriggered(ctx), {
        escalationLevel: ROLLBACK_PAGED_LEVEL,
      });
    case 'rollback.proposed':
      return one('rollback.triggered', 'critical', [RELEASE_MANAGER], rollbackProposed(ctx));
    case 'rollback.completed':
      return one('rollback.completed', 'info', [RELEASE_MANAGER, ...level1], rollbackCompleted(ctx), {
        escalationLevel: ROLLBACK_PAGED_LEVEL,
      });
    case 'rollback.failed':
      return one('rollback.failed', 'critical', [RELEASE_MANAGER, ...level1], rollbackFailed(ctx), {
        escalationLevel: ROLLBACK_PAGED_LEVEL,
      });
    case 'escalation.paged': {
      // A page goes to the level's roles and to whoever is on call at that level, whatever their roles.
      const level = Number(event.data.level);
      const roles = template.escalation.levels.find((candidate) => candidate.level === level)?.roles ?? [];
      return one('escalation', 'critical', roles, escalationPaged(ctx, level), { escalationLevel: level });
    }
    case 'release.completed':
      return [
        ...one('release.completed', 'info', [RELEASE_MANAGER], releaseCompleted(ctx)),
        releaseAnnounced(ctx, [...everyone, STAKEHOLDER]),
      ];
    default:
      return [];
  }
}

// ---- what each event says -------------------------------------------------------------------------------------

const look = (ctx: Context): Action => ({ label: 'Status:', method: 'GET', path: ctx.releasePath });

function releaseCreated(ctx: Context): Message {
  const { agg, template, event } = ctx;
  const gated = template.phases.filter((phase) => phase.gate && phase.gate.signoffs.length > 0);
  const first = gated[0]?.gate;
  return {
    summary: 'release created',
    happened:
      `${event.actor.name} created release ${name(ctx)} (version ${oneLine(agg.release.version)}) from the ` +
      `template ${oneLine(agg.release.templateName)}.`,
    needed: [
      first
        ? `Nothing yet. You will be asked for your sign-off when your gate opens; the first is '${first.id}', ` +
          `signed by ${first.signoffs.map((signoff) => signoff.role).join(', ')}.`
        : 'Nothing yet.',
    ],
    details: [
      'Its phases, and who signs each gate:',
      ...bullets(
        template.phases.map((phase) => {
          const roles = phase.gate?.signoffs.map((signoff) => signoff.role) ?? [];
          return `${phase.name} (${phase.id})${roles.length > 0 ? `: signed by ${roles.join(', ')}` : ''}`;
        }),
      ),
    ],
    action: { ...look(ctx), label: 'Checklist:' },
  };
}

function gateOpened(ctx: Context): Draft[] {
  const phase = findPhase(ctx.template, str(ctx.event, 'phase') ?? '');
  const gate = phase?.gate;
  if (!phase || !gate) return [];
  const status = gateStatus(ctx.agg, phase);
  // The roles missing when the gate opened (recorded with the event), so a fast signer is still asked.
  const recorded = ctx.event.data.missingSignoffs;
  const missing = new Set(Array.isArray(recorded) ? recorded.map(String) : (status?.missingSignoffs ?? []));
  return gate.signoffs.flatMap((requirement, index) =>
    requirement.required && missing.has(requirement.role)
      ? [
          {
            n: index + 1,
            type: 'signoff.requested' as const,
            severity: 'info' as const,
            roles: [requirement.role],
            phase: phase.id,
            message: signoffRequested(ctx, phase, gate, requirement, status),
          },
        ]
      : [],
  );
}

/** The exact API call that signs a gate, as lines of an email; `role` may be a placeholder such as `<your role>`. */
function signoffCall(ctx: Context, gate: string, role: string): string[] {
  const body = JSON.stringify({ gate, role, decision: 'approve', comment: 'what you checked' });
  return [
    `With a token of a person holding the role ${role} (authorization: Bearer <token>), send:`,
    `    POST ${ctx.base}${ctx.releasePath}/signoffs`,
    '    content-type: application/json',
    `    ${body}`,
    'To reject, send "decision": "reject" with a comment that says what is missing: a rejection blocks the gate ' +
      'until it is lifted.',
  ];
}

function signoffRequested(
  ctx: Context,
  phase: Phase,
  gate: Gate,
  requirement: SignoffRequirement,
  status: GateStatus | undefined,
): Message {
  const criteria = requirement.criteria.map((criterion) => oneLine(criterion.text));
  const others = (status?.missingSignoffs ?? []).filter((role) => role !== requirement.role);
  return {
    summary: `sign-off needed from ${requirement.role} at ${gate.id}`,
    happened:
      `Gate '${gate.name}' (${gate.id}) of phase '${phase.name}' is open and needs the sign-off of ` +
      `${oneLine(requirement.label)} (${requirement.role}).`,
    needed: [
      `Check what your sign-off attests, then approve or reject gate '${gate.id}' as ${requirement.role}.`,
      ...(criteria.length > 0
        ? ['Your sign-off attests:', ...bullets(criteria, 20)]
        : ["The template names no criteria for this sign-off: it attests the phase's checklist."]),
      ...signoffCall(ctx, gate.id, requirement.role),
    ],
    details: gateDetails(status, others),
    action: { label: 'Sign off:', method: 'POST', path: `${ctx.releasePath}/signoffs` },
  };
}

/** What a gate still needs, as lines of an email. */
function gateDetails(status: GateStatus | undefined, otherSignoffs: readonly string[] = []): string[] {
  if (!status) return [];
  if (status.satisfied) return [`Gate '${status.gate}' is satisfied: the release moves on.`];
  const lines: string[] = [];
  if (status.missingItems.length > 0) {
    lines.push(
      `The gate also needs ${count(status.missingItems.length, 'required item')} done (or skipped with a reason):`,
      ...bullets(status.missingItems.map((item) => `${oneLine(item.title)} (${item.id}): ${item.status}`)),
    );
  }
  if (otherSignoffs.length > 0) lines.push(`Sign-offs still missing: ${otherSignoffs.join(', ')}.`);
  for (const rejection of status.rejections) {
    lines.push(
      `Rejected by ${oneLine(rejection.by.name)} as ${rejection.role}` +
        `${rejection.comment ? `: "${oneLine(rejection.comment)}"` : ''}; this blocks the gate.`,
    );
  }
  lines.push(...status.blockers.map((blocker) => `Also: ${blocker}.`));
  return lines;
}

function signoffRecorded(ctx: Context): Draft[] {
  const { event, agg, template } = ctx;
  const gateId = str(event, 'gate') ?? '';
  const role = str(event, 'role') ?? '';
  const comment = str(event, 'comment');
  const decision = str(event, 'decision');
  const phase = template.phases.find((candidate) => candidate.gate?.id === gateId);
  const status = phase ? gateStatus(agg, phase) : undefined;
  const said = comment ? `: "${oneLine(comment)}"` : '.';
  const base = { n: 1, phase: phase?.id };
  if (decision === 'approve') {
    return [
      {
        ...base,
        type: 'signoff.recorded',
        severity: 'info',
        roles: [RELEASE_MANAGER],
        message: {
          summary: `${role} approved ${gateId}`,
          happened: `${oneLine(event.actor.name)} approved gate '${gateId}' as ${role}${said}`,
          needed: [],
          details: gateDetails(status, status?.missingSignoffs ?? []),
          action: look(ctx),
        },
      },
    ];
  }
  if (decision !== 'reject') return [];
  const gateRoles =
    gateId === ROLLBACK_GATE ? [ROLLBACK_CONFIRMER] : (phase?.gate?.signoffs.map((signoff) => signoff.role) ?? []);
  return [
    {
      ...base,
      type: 'signoff.rejected',
      severity: 'warning',
      roles: unique([RELEASE_MANAGER, ...gateRoles]),
      message: {
        summary: `${role} rejected ${gateId}`,
        happened: `${oneLine(event.actor.name)} rejected gate '${gateId}' as ${role}${said}`,
        needed: [
          `The gate is blocked until the rejection is lifted: resolve what it names, then either its signer ` +
            `withdraws it (DELETE ${ctx.base}${ctx.releasePath}/signoffs/${gateId}/${role}) or someone holding ` +
            `${role} approves.`,
          'Release manager: agree with the team how to resolve it.',
        ],
        details: gateDetails(status, status?.missingSignoffs.filter((missing) => missing !== role) ?? []),
        smsDetail: comment ? `"${oneLine(comment)}"` : undefined,
        action: { ...look(ctx), label: 'Review:' },
      },
    },
  ];
}

function gateOverdue(ctx: Context, phase: Phase | undefined, status: GateStatus | undefined): Message {
  const gateId = str(ctx.event, 'gate') ?? phase?.gate?.id ?? '';
  const deadline = str(ctx.event, 'deadline');
  const since = str(ctx.event, 'since');
  const missing = status?.missingSignoffs ?? [];
  return {
    summary: `gate ${gateId} is overdue`,
    happened:
      `Gate '${phase?.gate?.name ?? gateId}' (${gateId}) is past its deadline` +
      `${deadline ? ` of ${humanDuration(deadline)}` : ''}${since ? `: it opened at ${since}` : ''}.`,
    needed: [
      ...(missing.length > 0
        ? [`Sign-offs still missing: ${missing.join(', ')}. Holders of those roles: sign off now.`]
        : []),
      ...(missing.length > 0
        ? signoffCall(ctx, gateId, missing.length === 1 ? (missing[0] ?? '') : '<your role>')
        : []),
      'Release manager: chase what is missing, or agree a new plan with the team.',
    ],
    details: gateDetails(status),
    action:
      missing.length > 0
        ? { label: 'Sign off:', method: 'POST', path: `${ctx.releasePath}/signoffs` }
        : { ...look(ctx), label: 'Review:' },
  };
}

function phaseEntered(ctx: Context): Message {
  const phase = findPhase(ctx.template, str(ctx.event, 'phase') ?? '');
  const phaseId = phase?.id ?? str(ctx.event, 'phase') ?? '';
  const needed: string[] = [];
  const details: string[] = [];
  if (phase?.kind === 'deployment' && phase.steps?.length) {
    needed.push(
      'Work the production deployment steps in order; each waits for its checklist:',
      ...bullets(phase.steps.map((entry, index) => `${index + 1}. ${entry.name} (${entry.id})`)),
    );
  } else if (phase?.kind === 'monitoring' && phase.windows?.length) {
    details.push(
      'Its monitoring windows, in order:',
      ...bullets(phase.windows.map((window) => `${window.name}: ${humanDuration(window.duration)}`)),
    );
  }
  if (phase?.gate && phase.gate.signoffs.length > 0) {
    details.push(
      `It ends at gate '${phase.gate.id}', signed by ${phase.gate.signoffs.map((entry) => entry.role).join(', ')}.`,
    );
  }
  return {
    summary: `entered phase ${phaseId}`,
    happened: `The release entered phase '${phase?.name ?? phaseId}'.`,
    needed,
    details,
    action: look(ctx),
  };
}

function step(ctx: Context, started: boolean): Message {
  const phase = findPhase(ctx.template, str(ctx.event, 'phase') ?? '');
  const stepId = str(ctx.event, 'step') ?? '';
  const steps = phase?.steps ?? [];
  const index = steps.findIndex((candidate) => candidate.id === stepId);
  const current = steps[index];
  const label = `'${current?.name ?? stepId}'${index >= 0 ? ` (step ${index + 1} of ${steps.length})` : ''}`;
  if (!started) {
    const next = steps[index + 1];
    return {
      summary: `deployment step ${stepId} done`,
      happened: `Production deployment step ${label} is done.`,
      needed: [],
      details: [next ? `Next: ${next.name} (${next.id}).` : 'That was the last deployment step.'],
      action: look(ctx),
    };
  }
  const item = current && itemIndex(ctx.template).get(current.itemId)?.item;
  const leaves = item ? [...walkItems([item])].filter((entry) => entry.children.length === 0) : [];
  return {
    summary: `deployment step ${stepId} started`,
    happened: `Production deployment step ${label} has started.`,
    needed: [
      'Do its checklist and record each item with its evidence:',
      ...bullets(
        leaves.map((leaf) => itemLine(ctx, leaf)),
        20,
      ),
      `    PATCH ${ctx.base}${ctx.releasePath}/items/<itemId>`,
      '    content-type: application/json',
      `    ${JSON.stringify({ status: 'done', evidence: { url: 'https://…', note: 'what you did' } })}`,
    ],
    details: [],
    action: { ...look(ctx), label: 'Checklist:' },
  };
}

const itemLine = (ctx: Context, item: TemplateItem): string =>
  `${oneLine(item.title)} (${item.id})${item.required ? '' : ', optional'}: ${itemStatus(ctx.agg, item)}`;

function monitoringWindow(ctx: Context, started: boolean): Message {
  const phase = findPhase(ctx.template, str(ctx.event, 'phase') ?? '');
  const windowId = str(ctx.event, 'window') ?? '';
  const windows = phase?.windows ?? [];
  const index = windows.findIndex((candidate) => candidate.id === windowId);
  const window = windows[index];
  const title = oneLine(window?.name ?? str(ctx.event, 'name') ?? windowId);
  if (!started) {
    const next = windows[index + 1];
    return {
      summary: `monitoring window ${windowId} passed`,
      happened: `Monitoring window '${title}' passed with no rollback.`,
      needed: [],
      details: [
        next ? `Next: ${next.name} (${humanDuration(next.duration)}).` : 'That was the last monitoring window.',
      ],
      action: look(ctx),
    };
  }
  const endsAt = str(ctx.event, 'endsAt');
  const duration = str(ctx.event, 'duration') ?? window?.duration;
  const triggers = ctx.template.rollback.triggers.map((trigger) => oneLine(trigger.title));
  return {
    summary: `monitoring window ${windowId} started`,
    happened:
      `Monitoring window '${title}'${duration ? ` (${humanDuration(duration)})` : ''} has started` +
      `${endsAt ? `; it passes at ${endsAt}` : ''} unless a rollback is triggered first.`,
    needed: [
      "Watch the release's metrics. If a rollback trigger fires, the release manager requests a rollback:",
      `    POST ${ctx.base}${ctx.releasePath}/rollback`,
      '    content-type: application/json',
      `    ${JSON.stringify({ reason: 'which trigger fired, and what you saw' })}`,
      window?.rollbackPolicy === 'automatic'
        ? 'During this window a breach of a rollback trigger rolls the release back at once.'
        : 'During this window a breach asks the release manager to approve a rollback.',
    ],
    details: triggers.length > 0 ? ['Rollback triggers:', ...bullets(triggers)] : [],
    smsDetail: endsAt ? `Ends ${endsAt.replace(/:\d\d(\.\d+)?Z$/, 'Z')}.` : undefined,
    action: { ...look(ctx), label: 'Monitor:' },
  };
}

/** What a window's report adds up to: the counts its SMS, subject and opening give. */
interface Tally {
  /** Metrics with at least one sample in the window, of all the report names. */
  readonly measured: number;
  readonly metrics: number;
  /** Targets (window items and success metrics) met, missed, and without data. */
  readonly met: number;
  readonly missed: number;
  readonly noData: number;
  /** Rollback triggers with at least one breaching datapoint in the window. */
  readonly breached: number;
}

function tally(report: WindowReport): Tally {
  const targets = report.metrics.flatMap((metric) => metric.targets);
  return {
    measured: report.metrics.filter((metric) => metric.count > 0).length,
    metrics: report.metrics.length,
    met: targets.filter((target) => target.met === true).length,
    missed: targets.filter((target) => target.met === false).length,
    noData: targets.filter((target) => target.met === null).length,
    breached: new Set(report.breachedTriggers).size,
  };
}

/** The most metrics, and success metrics, an email lists one by one (a metric name is whatever a sample said). */
const REPORT_MAX_LINES = 30;

/**
 * `window.passed`: the window passed with no rollback. With the window's report, the figures: a warning when a target
 * was missed or a trigger breached while it still passed; without one, only that it passed.
 */
function windowPassed(ctx: Context): { severity: Severity; message: Message } {
  const plain = monitoringWindow(ctx, false);
  const windowId = str(ctx.event, 'window') ?? '';
  const report = ctx.report;
  if (!report || report.windowId !== windowId) return { severity: 'info', message: plain };
  const window = findPhase(ctx.template, str(ctx.event, 'phase') ?? '')?.windows?.find(
    (candidate) => candidate.id === windowId,
  );
  const t = tally(report);
  const judged = t.met + t.missed;
  const warning = t.missed > 0 || t.breached > 0;
  const title = oneLine(window?.name ?? str(ctx.event, 'name') ?? windowId);
  const length = window ? shortDuration(window.duration) : undefined;
  const targets = judged > 0 ? `${t.met} of ${count(judged, 'target')} with data met` : 'no target had data';
  const figures =
    `${t.measured} of ${count(t.metrics, 'metric')} had samples, ` +
    `${count(t.breached, 'rollback trigger')} breached, ${targets}`;
  const problems = [
    ...(t.missed > 0 ? [`${count(t.missed, 'target')} missed`] : []),
    ...(t.breached > 0 ? [`${count(t.breached, 'trigger')} breached`] : []),
  ];
  // In an approval window a breach only proposes a rollback: the release manager did not approve it.
  const why =
    window?.rollbackPolicy === 'approval' ? ': this window asks before rolling back, and no rollback was approved' : '';
  const caveat = warning ? ` It passed with ${problems.join(' and ')}${why}.` : '';
  const sms = [
    `${length ? `${length} window` : `window ${windowId}`} passed: ${count(t.measured, 'metric')}`,
    count(t.breached, 'breach', 'breaches'),
    judged > 0 ? `targets ${t.met}/${judged} met` : 'no target measured',
  ];
  return {
    severity: warning ? 'warning' : 'info',
    message: {
      summary: warning ? `window ${windowId} passed with ${problems.join(' and ')}` : plain.summary,
      smsSummary: sms.join(', '),
      happened:
        `Monitoring window '${title}' passed with no rollback. ` +
        `From ${report.from} to ${report.to}, ${figures}.${caveat}`,
      needed: warning
        ? [
            'Release manager: review the figures below and decide whether the release stays.',
            'To roll it back, send:',
            `    POST ${ctx.base}${ctx.releasePath}/rollback`,
            '    content-type: application/json',
            `    ${JSON.stringify({ reason: 'what the report shows' })}`,
          ]
        : [],
      details: [...plain.details, '', ...reportLines(ctx, report)],
      action: { label: 'Report:', method: 'GET', path: `${ctx.releasePath}/report` },
    },
  };
}

/** A window's report as lines of an email: per metric its figures, targets and triggers; then the success metrics. */
function reportLines(ctx: Context, report: WindowReport): string[] {
  const lines = [
    `How the release did from ${report.from} to ${report.to}, per metric (count / min / avg / max / p95):`,
  ];
  for (const metric of report.metrics.slice(0, REPORT_MAX_LINES)) lines.push(...metricLines(metric));
  if (report.metrics.length > REPORT_MAX_LINES) {
    lines.push(`  - … and ${count(report.metrics.length - REPORT_MAX_LINES, 'more metric')} in the full report`);
  }
  if (report.metrics.length === 0) lines.push('  - no metric is named or was sent');
  const status = { met: 'met', 'not-met': 'NOT MET', 'no-data': 'no data', 'not-measured': 'not measured' } as const;
  const success = report.successMetrics;
  if (success.length > 0) {
    const tallies = (['met', 'not-met', 'no-data', 'not-measured'] as const)
      .map((state) => [status[state], success.filter((metric) => metric.status === state).length] as const)
      .filter(([, n]) => n > 0)
      .map(([label, n]) => `${n} ${label}`);
    lines.push(
      '',
      `Success metrics: ${tallies.join(', ')}.`,
      ...bullets(
        success.map(
          (metric) =>
            `${status[metric.status]}: ${oneLine(metric.title)}` +
            `${metric.status === 'not-measured' ? '' : `; ${oneLine(metric.evidence)}`}`,
        ),
        REPORT_MAX_LINES,
      ),
    );
  }
  lines.push('', `Full report: GET ${ctx.base}${ctx.releasePath}/report`);
  return lines;
}

function metricLines(metric: MetricReport): string[] {
  const value = (figure: number | null) => (figure === null ? '-' : withUnit(figure, metric.unit));
  const figures =
    metric.count === 0
      ? 'no samples'
      : `${count(metric.count, 'sample')}, min ${value(metric.min)}, avg ${value(metric.avg)}, ` +
        `max ${value(metric.max)}, p95 ${value(metric.p95)}`;
  const verdict = (met: boolean | null) => (met === null ? 'no data' : met ? 'met' : 'NOT MET');
  return [
    `  - ${oneLine(metric.metric)}: ${figures}`,
    ...metric.targets.map(
      (target) =>
        `      target ${oneLine(target.title)}` +
        ` (${target.source === 'item' ? 'checklist item' : 'success metric'}): ` +
        `${verdict(target.met)}; ${oneLine(target.evidence)}`,
    ),
    ...metric.triggers.map(
      (trigger) => `      trigger ${oneLine(trigger.title)} (${limit(trigger)}): ${triggerVerdict(trigger)}`,
    ),
  ];
}

function triggerVerdict(trigger: ReportTrigger): string {
  if (trigger.threshold === null) return 'not evaluated, no baseline';
  if (trigger.breaches.length === 0) return 'not breached';
  const values = trigger.breaches.map((breach) => breach.value);
  // The worst datapoint is the furthest on the bad side the condition states.
  const bad = trigger.condition.comparison.startsWith('>');
  const worst = bad ? Math.max(...values) : Math.min(...values);
  return (
    `BREACHED, ${count(trigger.breaches.length, 'breaching datapoint')} ` +
    `(worst ${withUnit(worst, trigger.condition.unit)}, first in the period from ${trigger.breaches[0]?.periodStart})`
  );
}

/** A trigger's limit: "> 500 ms", or "> 2x baseline (1024)" for a baseline-relative one. */
function limit(trigger: ReportTrigger): string {
  const { condition, threshold } = trigger;
  const { comparison } = condition;
  if (!condition.relativeToBaseline) return `${comparison} ${withUnit(condition.threshold, condition.unit)}`;
  const effective = threshold === null ? '' : ` = ${formatNumber(threshold)}`;
  return `${comparison} ${formatNumber(condition.threshold)}x baseline${effective}`;
}

const UNIT_SUFFIX: Readonly<Record<MetricUnit, string>> = {
  Milliseconds: ' ms',
  Seconds: ' s',
  Percent: ' %',
  Count: '',
  None: '',
};

const withUnit = (value: number, unit: MetricUnit): string => `${formatNumber(value)}${UNIT_SUFFIX[unit]}`;

function rollbackSteps(ctx: Context): string[] {
  const leaves = [...rollbackItems(ctx.template)].filter((item) => item.children.length === 0);
  return bullets(
    leaves.map((leaf) => itemLine(ctx, leaf)),
    40,
  );
}

function rollbackTriggered(ctx: Context): Message {
  const reason = str(ctx.event, 'reason');
  const triggerId = str(ctx.event, 'trigger');
  const trigger = ctx.template.rollback.triggers.find((candidate) => candidate.id === triggerId);
  return {
    summary: 'rollback triggered',
    happened:
      `${oneLine(ctx.event.actor.name)} requested a rollback of ${name(ctx)}` +
      `${reason ? `: "${oneLine(reason)}"` : '.'}${triggerId ? ` Trigger: ${oneLine(trigger?.title ?? triggerId)}.` : ''}`,
    needed: [
      'Work the rollback procedure in order, recording each step (status "done", or "failed" if it fails):',
      ...rollbackSteps(ctx),
      `    PATCH ${ctx.base}${ctx.releasePath}/items/<itemId>`,
      '    content-type: application/json',
      `    ${JSON.stringify({ status: 'done' })}`,
      'When it is done and service is restored, the release manager confirms:',
      `    POST ${ctx.base}${ctx.releasePath}/signoffs`,
      '    content-type: application/json',
      `    ${JSON.stringify({ gate: ROLLBACK_GATE, role: ROLLBACK_CONFIRMER, decision: 'approve' })}`,
    ],
    details: escalationChain(ctx),
    smsDetail: reason ? `Reason: ${oneLine(reason)}` : undefined,
    action: { ...look(ctx), label: 'Roll back:' },
  };
}

function rollbackProposed(ctx: Context): Message {
  const reason = str(ctx.event, 'reason');
  return {
    summary: 'rollback proposed, approval needed',
    happened: `A rollback trigger fired for ${name(ctx)}${reason ? `: ${oneLine(reason)}` : ''}. This monitoring window asks the release manager before rolling back.`,
    needed: [
      'To roll back now:',
      `    POST ${ctx.base}${ctx.releasePath}/rollback`,
      '    content-type: application/json',
      `    ${JSON.stringify({ reason: reason ?? 'trigger fired' })}`,
      'To keep the release, do nothing: the window goes on, and the proposal stays in the audit trail.',
    ],
    details: [],
    smsDetail: reason ? oneLine(reason) : undefined,
    action: { label: 'Approve:', method: 'POST', path: `${ctx.releasePath}/rollback` },
  };
}

function escalationPaged(ctx: Context, level: number): Message {
  const cause = str(ctx.event, 'cause');
  const why =
    str(ctx.event, 'reason') === 'gate-overdue' ? `gate ${cause ?? ''} is overdue` : `rollback: ${cause ?? ''}`;
  return {
    summary: `escalation level ${level}, ${oneLine(why)}`,
    happened:
      `Nobody has acknowledged the alert for ${name(ctx)} yet, so Shipgate pages escalation level ${level}` +
      ` (${oneLine(String(ctx.event.data.label ?? ''))}). Cause: ${oneLine(why)}.`,
    needed: [
      'Acknowledge, so the escalation stops here:',
      `    POST ${ctx.base}${ctx.releasePath}/acknowledge`,
      '    content-type: application/json',
      `    ${JSON.stringify({ note: 'on it' })}`,
    ],
    details: escalationChain(ctx),
    action: { label: 'Ack:', method: 'POST', path: `${ctx.releasePath}/acknowledge` },
  };
}

function escalationChain(ctx: Context): string[] {
  const { levels, intervalMinutes } = ctx.template.escalation;
  if (levels.length === 0) return [];
  return [
    `Escalation, every ${intervalMinutes} minutes without an answer:`,
    ...bullets(levels.map((level) => `${oneLine(level.label)}: ${level.roles.join(', ')}`)),
  ];
}

function rollbackCompleted(ctx: Context): Message {
  const checks = ctx.template.rollback.validation.flatMap((section) =>
    [...walkItems(section.items)].filter((item) => item.children.length === 0).map((item) => itemLine(ctx, item)),
  );
  return {
    summary: 'rolled back',
    happened: 'The rollback is complete and confirmed by the release manager: the release is ROLLED_BACK.',
    needed: [],
    details: checks.length > 0 ? ['What must hold after the rollback:', ...bullets(checks)] : [],
    action: look(ctx),
  };
}

function rollbackFailed(ctx: Context): Message {
  const cause = str(ctx.event, 'cause');
  return {
    summary: 'rollback failed',
    happened: `The rollback cannot finish${cause ? `: ${oneLine(cause)}` : ''}. The release is ROLLBACK_FAILED.`,
    needed: [
      'Restore service by hand now; Shipgate cannot finish this rollback.',
      'If level 1 cannot restore service, escalate along the chain below.',
    ],
    details: escalationChain(ctx),
    smsDetail: cause ? `Cause: ${oneLine(cause)}` : undefined,
    action: { ...look(ctx), label: 'Act now:' },
  };
}

function releaseCompleted(ctx: Context): Message {
  const followUp = ctx.template.phases.find((phase) => phase.kind === 'follow-up');
  const work = followUp ? [...phaseLeaves(followUp)].map((item) => itemLine(ctx, item)) : [];
  return {
    summary: 'release completed',
    happened: 'The release passed its last gate and is COMPLETED.',
    needed:
      followUp && work.length > 0 ? [`Follow-up work is tracked in phase '${followUp.name}':`, ...bullets(work)] : [],
    details: [],
    action: look(ctx),
  };
}

function* phaseLeaves(phase: Phase): Generator<TemplateItem> {
  for (const section of phase.sections) {
    for (const item of walkItems(section.items)) if (item.children.length === 0) yield item;
  }
}

function releaseAnnounced(ctx: Context, roles: readonly string[]): Draft {
  const metrics = ctx.template.successMetrics.map((metric) => oneLine(metric.title));
  return {
    n: 2,
    type: 'release.announced',
    severity: 'info',
    roles: unique(roles),
    message: {
      summary: 'released',
      happened:
        `${name(ctx)} (version ${oneLine(ctx.agg.release.version)}) is released: it passed every gate, its ` +
        'production deployment and its monitoring.',
      needed: [],
      details: metrics.length > 0 ? ['How its success is measured:', ...bullets(metrics)] : [],
      action: { ...look(ctx), label: 'Details:' },
    },
  };
}

// ---- rendering -------------------------------------------------------------------------------------------------

/** One notification of a draft; `status` is the release's status line. */
function render(ctx: Context, draft: Draft, status: string): Notification {
  const { agg, event, base } = ctx;
  const critical = draft.severity === 'critical';
  const { message } = draft;
  const releaseName = name(ctx);
  const link = base ? `${base}${ctx.releasePath}` : undefined;
  const audience =
    `Sent to the roles ${draft.roles.join(', ')}` +
    `${draft.escalationLevel !== undefined ? ` and escalation level ${draft.escalationLevel}` : ''}.`;
  const email = [
    ...(critical ? ['CRITICAL', ''] : []),
    message.happened,
    '',
    'What is needed from you:',
    ...(message.needed.length > 0 ? message.needed.map(indent) : ['  Nothing: this is for your information.']),
    ...(message.details.length > 0 ? ['', ...message.details] : []),
    '',
    `Status: ${status}`,
    `Release: ${releaseName}, version ${oneLine(agg.release.version)} (id ${agg.release.id}), from the template ` +
      `${oneLine(agg.release.templateName)}.`,
    ...(link ? [`Link: ${link}`] : []),
    '',
    audience,
    '-- Shipgate',
  ].join('\n');
  const defaultText = [
    `[Shipgate]${critical ? ' CRITICAL' : ''} ${releaseName}:`,
    message.happened,
    message.needed[0] ?? '',
    `Status: ${status}`,
    link ?? '',
  ]
    .filter(Boolean)
    .map(oneLine)
    .join(' ');
  return {
    id: `${event.id}.${draft.n}`,
    releaseId: agg.release.id,
    eventId: event.id,
    type: draft.type,
    severity: draft.severity,
    phase: draft.phase,
    roles: draft.roles,
    escalationLevel: draft.escalationLevel,
    subject: subjectLine(critical, releaseName, message.summary),
    text: { default: defaultText, email, sms: smsText(ctx, critical, releaseName, message) },
    createdAt: event.at,
  };
}

const indent = (line: string): string => `  ${line}`;

/** Where the release stands and what it waits for, in one line. */
function releaseStatus(ctx: Context): string {
  const { release } = ctx.agg;
  const waiting = releaseView(ctx.agg).waitingFor?.summary;
  return `${release.status}, phase ${release.currentPhase}${waiting ? `; ${oneLine(waiting)}` : ''}.`;
}

/** The fewest characters of a release name worth showing; below this it is left out. */
const MIN_NAME = 6;

/** `[Shipgate] <name>: <summary>`, the name cut to fit 99 characters (the summary too, if it alone is too long). */
export function subjectLine(critical: boolean, releaseName: string, summary: string): string {
  const lead = `[Shipgate] ${critical ? 'CRITICAL ' : ''}`;
  const tail = `: ${oneLine(summary)}`;
  const room = SUBJECT_MAX_LENGTH - lead.length - tail.length;
  if (room >= MIN_NAME) return `${lead}${clip(oneLine(releaseName), room, '…')}${tail}`;
  return clip(`${lead}${clip(oneLine(releaseName), MIN_NAME, '…')}${tail}`, SUBJECT_MAX_LENGTH, '…');
}

/** How much of a name an SMS keeps before it gives room to a detail. */
const SMS_NAME_SHARE = 24;
/** The shortest detail worth sending. */
const SMS_MIN_DETAIL = 12;
/** The shortest summary an SMS is sent with when the call to action leaves little room. */
const SMS_MIN_SUMMARY = 16;

function smsText(ctx: Context, critical: boolean, releaseName: string, message: Message): string {
  const lead = critical ? 'CRITICAL Shipgate: ' : 'Shipgate: ';
  const { label, method, path } = message.action;
  // With a public URL the action is a link (GET) or the request with its URL; without one, the request's path.
  const actions = [
    ...(ctx.base ? [`${label} ${method === 'GET' ? '' : `${method} `}${ctx.base}${path}`] : []),
    `${label} ${method} ${path}`,
  ];
  return fitSms({
    lead,
    name: oneLine(releaseName),
    summary: oneLine(message.smsSummary ?? message.summary),
    detail: message.smsDetail,
    actions,
  });
}

/** The fewest characters of the release name an SMS prefers to show (fewer only if nothing else fits). */
const SMS_MIN_NAME = 12;

/**
 * An SMS of at most 160 characters: `<lead><name> - <summary>. <detail> <action>`. The action is never cut. The
 * first action (a full URL) is used when the whole summary and at least 12 characters of the name fit beside it,
 * else the next (the path alone). Then the detail is cut or left out, then the name; only when no action leaves
 * room for a few characters of summary is the summary cut, and only when even that fails is the text cut.
 */
export function fitSms(parts: {
  readonly lead: string;
  readonly name: string;
  readonly summary: string;
  readonly detail?: string | undefined;
  readonly actions: readonly string[];
}): string {
  for (const strict of [true, false]) {
    for (const action of parts.actions) {
      const text = composeSms(parts, action, strict);
      if (text !== undefined) return text;
    }
  }
  return clip(`${parts.lead}${parts.summary}. ${parts.actions.at(-1) ?? ''}`, SMS_MAX_LENGTH, '...');
}

function composeSms(
  parts: {
    readonly lead: string;
    readonly name: string;
    readonly summary: string;
    readonly detail?: string | undefined;
  },
  action: string,
  strict: boolean,
): string | undefined {
  const { lead, name: releaseName, summary } = parts;
  const detailText = parts.detail ? oneLine(parts.detail) : '';
  const detail = detailText && !/[.!?…"')]$/.test(detailText) ? `${detailText}.` : detailText;
  const tail = ` ${action}`;
  let room = SMS_MAX_LENGTH - lead.length - summary.length - 1 - tail.length;
  if (strict && room - 3 < Math.min(releaseName.length, SMS_MIN_NAME)) return undefined;
  if (room < 0) {
    const summaryRoom = SMS_MAX_LENGTH - lead.length - 1 - tail.length;
    return summaryRoom < SMS_MIN_SUMMARY ? undefined : `${lead}${clip(summary, summaryRoom, '...')}.${tail}`;
  }
  let namePart = releaseName ? `${releaseName} - ` : '';
  let detailPart = detail ? ` ${detail}` : '';
  if (namePart.length + detailPart.length > room) {
    // The name keeps a share before the detail gets room; whatever the detail leaves goes back to the name.
    const share = Math.min(releaseName.length, SMS_NAME_SHARE) + 3;
    const nameRoom =
      detail && room - share >= SMS_MIN_DETAIL + 1
        ? Math.min(releaseName.length + 3, Math.max(share, room - detail.length - 1))
        : room;
    namePart = nameRoom - 3 >= MIN_NAME ? `${clip(releaseName, nameRoom - 3, '...')} - ` : '';
    room -= namePart.length;
    detailPart = detail && room >= SMS_MIN_DETAIL + 1 ? ` ${clip(detail, room - 1, '...')}` : '';
  }
  return `${lead}${namePart}${summary}.${detailPart}${tail}`;
}

// ---- small helpers ---------------------------------------------------------------------------------------------

const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * The text cut to at most `max` UTF-16 code units, whole graphemes only (an emoji or an accented letter is never
 * split), with `ellipsis` appended when cut.
 */
export function clip(text: string, max: number, ellipsis: string): string {
  if (text.length <= max) return text;
  if (max < ellipsis.length) return '';
  let kept = '';
  for (const { segment } of segmenter.segment(text)) {
    if (kept.length + segment.length + ellipsis.length > max) break;
    kept += segment;
  }
  return `${kept.trimEnd()}${ellipsis}`;
}

/**
 * User text on one line: no line breaks or control characters (SNS refuses them in a subject), no bidirectional
 * overrides, lone surrogates replaced (SNS needs valid UTF-8), runs of white space collapsed.
 */
export function oneLine(text: string): string {
  return text
    .replace(/\p{Cs}/gu, '\uFFFD')
    .replace(/[\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/[\p{Cc}\p{Zl}\p{Zp}\s]+/gu, ' ')
    .trim();
}

/** The release's name for messages, on one line; its id when the name is empty. */
const name = (ctx: Context): string => oneLine(ctx.agg.release.name) || ctx.agg.release.id;

/** A string field of an event's data. */
const str = (event: AuditEvent, key: string): string | undefined => {
  const value = event.data[key];
  return typeof value === 'string' ? value : undefined;
};

const unique = (values: readonly string[]): string[] => [...new Set(values)];

const count = (n: number, what: string, plural = `${what}s`): string => `${n} ${n === 1 ? what : plural}`;

/** Indented list lines, at most `max` of them (then "… and N more"). */
function bullets(lines: readonly string[], max = 10): string[] {
  const shown = lines.slice(0, max).map((line) => `  - ${line}`);
  return lines.length > max ? [...shown, `  - … and ${lines.length - max} more`] : shown;
}

/**
 * An ISO-8601 duration in the largest whole unit: days from two days on, else hours, else minutes; undefined for an
 * unparsable or sub-minute one.
 */
function wholeUnits(iso: string): { amount: number; unit: 'day' | 'hour' | 'minute' } | undefined {
  let ms: number;
  try {
    ms = durationMs(iso);
  } catch {
    return undefined;
  }
  const minutes = Math.round(ms / 60_000);
  if (minutes >= 2880 && minutes % 1440 === 0) return { amount: minutes / 1440, unit: 'day' };
  if (minutes > 0 && minutes % 60 === 0) return { amount: minutes / 60, unit: 'hour' };
  return minutes > 0 ? { amount: minutes, unit: 'minute' } : undefined;
}

/** `PT2H` as "2 hours", `P7D` as "7 days"; anything else as given. */
function humanDuration(iso: string): string {
  const whole = wholeUnits(iso);
  return whole ? count(whole.amount, whole.unit) : iso;
}

/** `PT2H` as "2h", `P7D` as "7d", `PT90M` as "90m": a window's length in an SMS; anything else as given. */
function shortDuration(iso: string): string {
  const whole = wholeUnits(iso);
  return whole ? `${whole.amount}${whole.unit.charAt(0)}` : iso;
}

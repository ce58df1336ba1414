// Which notifications an audit event causes, for whom and how severe: the entry point of the notification rules.

import { DEVOPS_LEAD, ON_CALL, RELEASE_MANAGER, STAKEHOLDER } from '../auth/roles.ts';
import type { WindowReport } from '../monitoring/report.ts';
import { gateStatus, ROLLBACK_CONFIRMER, ROLLBACK_GATE } from '../release/gates.ts';
import { findPhase } from '../release/items.ts';
import type { AuditEvent, AuditEventType, ReleaseAggregate } from '../release/release.ts';
import { inProduction } from '../release/status.ts';
import { dataString } from './context.ts';
import type { Context, Draft, Message } from './draft.ts';
import { gateOverdue, signoffApproved, signoffRejected, signoffRequested } from './gate-messages.ts';
import type { Notification, NotificationType, Severity } from './notification.ts';
import {
  deploymentStep,
  phaseEntered,
  releaseAnnounced,
  releaseCompleted,
  releaseCreated,
} from './release-messages.ts';
import { releaseStatus, render } from './render.ts';
import {
  escalationPaged,
  rollbackCompleted,
  rollbackFailed,
  rollbackProposed,
  rollbackTriggered,
} from './rollback-messages.ts';
import { unique } from './text.ts';
import { monitoringWindow, windowPassed } from './window-messages.ts';
import { workflowFailed } from './workflow-messages.ts';

/** The escalation level rollback notifications page, besides that level's roles. */
export const ROLLBACK_PAGED_LEVEL = 1;

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
 * | `window.passed` | the same type, with the window's report | the report's `attention`: warning if a target missed, a trigger breached or its metric had no data; critical for an automatic window with no trigger data | as `window.started` |
 * | `rollback.requested` (by a person, a trigger or an alarm) | `rollback.triggered` | critical | release-manager, the level-1 roles, on call; pages level 1 |
 * | `rollback.proposed` (a trigger or an alarm in an approval window) | `rollback.triggered` | critical | release-manager and on call |
 * | `rollback.completed` | `rollback.completed` | info | release-manager, the level-1 roles, on call; level 1 |
 * | `rollback.failed` | `rollback.failed` | critical | release-manager, the level-1 roles, on call; pages level 1 |
 * | `release.completed` | `release.completed` (n = 1) and `release.announced` (n = 2) | info | release-manager; every role of the template and `stakeholder` |
 * | `workflow.failed` | the same type | critical once production deployment has started or when escalation paging stopped; warning before | release-manager |
 * | any other event | none | | |
 *
 * On call, for rollbacks, is the `on-call` role (a contact on call for every template) and the template's on-call
 * roles (its on-call section). A template that names no on-call role leaves the release manager on call: its rollback
 * emails say so, and how to name on-call roles.
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
 * of those with data) and points at the report. A window that passed with a target missed, a trigger breached (an
 * approval window whose rollback was not approved) or "no data for X" is a warning, and its subject says so; an
 * automatic window whose triggers got no sample at all is critical (docs/metrics.md, "Missing data in a window").
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

/** The groups of roles the template names, and the phase the event is about: what the routes pick recipients from. */
interface Audience {
  readonly phaseId: string | undefined;
  /** Every role of the template. */
  readonly everyone: readonly string[];
  /** The roles of the escalation level rollbacks page. */
  readonly level1: readonly string[];
  /** The template's on-call roles (its on-call section); may be empty. */
  readonly onCall: readonly string[];
}

/** How one type of audit event becomes drafts. */
type Route = (ctx: Context, who: Audience) => Draft[];

/** The single draft most events cause, about the event's phase. */
const one = (
  who: Audience,
  type: NotificationType,
  severity: Severity,
  roles: readonly string[],
  message: Message,
  extra: { readonly escalationLevel?: number } = {},
): Draft[] => [{ n: 1, type, severity, roles: unique(roles), phase: who.phaseId, message, ...extra }];

/** One request per required sign-off still missing, numbered by the sign-off's place in the gate. */
function gateOpened(ctx: Context): Draft[] {
  const phase = findPhase(ctx.template, dataString(ctx.event, 'phase') ?? '');
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

/** An approval tells the release manager; a rejection warns the gate's signers too. */
function signoffRecorded(ctx: Context): Draft[] {
  const gateId = dataString(ctx.event, 'gate') ?? '';
  const decision = dataString(ctx.event, 'decision');
  const phase = ctx.template.phases.find((candidate) => candidate.gate?.id === gateId);
  const status = phase ? gateStatus(ctx.agg, phase) : undefined;
  const base = { n: 1, phase: phase?.id };
  if (decision === 'approve') {
    const message = signoffApproved(ctx, status);
    return [{ ...base, type: 'signoff.recorded', severity: 'info', roles: [RELEASE_MANAGER], message }];
  }
  if (decision !== 'reject') return [];
  const gateRoles =
    gateId === ROLLBACK_GATE ? [ROLLBACK_CONFIRMER] : (phase?.gate?.signoffs.map((signoff) => signoff.role) ?? []);
  const roles = unique([RELEASE_MANAGER, ...gateRoles]);
  return [{ ...base, type: 'signoff.rejected', severity: 'warning', roles, message: signoffRejected(ctx, status) }];
}

function gateOverdueDrafts(ctx: Context, who: Audience): Draft[] {
  const phase = findPhase(ctx.template, who.phaseId ?? '');
  const status = phase && gateStatus(ctx.agg, phase);
  const missing = status?.missingSignoffs ?? [];
  return one(who, 'gate.overdue', 'warning', [...missing, RELEASE_MANAGER], gateOverdue(ctx, phase, status));
}

function phaseEnteredDrafts(ctx: Context, who: Audience): Draft[] {
  const deployment = findPhase(ctx.template, who.phaseId ?? '')?.kind === 'deployment';
  const roles = deployment ? [RELEASE_MANAGER, DEVOPS_LEAD] : [RELEASE_MANAGER];
  return one(who, 'phase.advanced', 'info', roles, phaseEntered(ctx));
}

/** A page goes to the level's roles and to whoever is on call at that level, whatever their roles. */
function escalationPagedDrafts(ctx: Context, who: Audience): Draft[] {
  const level = Number(ctx.event.data.level);
  const roles = ctx.template.escalation.levels.find((candidate) => candidate.level === level)?.roles ?? [];
  return one(who, 'escalation', 'critical', roles, escalationPaged(ctx, level), { escalationLevel: level });
}

/** The team hears the release is completed; everyone, stakeholders included, that it is released. */
function releaseCompletedDrafts(ctx: Context, who: Audience): Draft[] {
  const announced: Draft = {
    n: 2,
    type: 'release.announced',
    severity: 'info',
    roles: unique([...who.everyone, STAKEHOLDER]),
    message: releaseAnnounced(ctx),
  };
  return [...one(who, 'release.completed', 'info', [RELEASE_MANAGER], releaseCompleted(ctx)), announced];
}

/**
 * A stalled workflow tells the release manager, who resumes it. Once production is touched (or when paging stopped)
 * nothing watches the release any more, so it is critical; before that it only delays the release.
 */
function workflowFailedDrafts(ctx: Context, who: Audience): Draft[] {
  const urgent = inProduction(ctx.agg.release.status) || dataString(ctx.event, 'escalationId') !== undefined;
  return one(who, 'workflow.failed', urgent ? 'critical' : 'warning', [RELEASE_MANAGER], workflowFailed(ctx));
}

/** Rollback notifications page the level the escalation starts at. */
const paged = { escalationLevel: ROLLBACK_PAGED_LEVEL } as const;

/** What a rollback email adds when the template names no on-call role, so the reader knows why they alone hear. */
const NO_ON_CALL_NOTE =
  `The template names no on-call role, so the release manager is told instead (with any contact holding the role ` +
  `${ON_CALL}). To name who is on call for later releases, add an "On-Call" section to the checklist, one role per ` +
  `line ("- **DevOps Engineer**: name, phone"), and import it again.`;

/**
 * A rollback notification: to the release manager, the `on-call` role and the template's on-call roles, plus
 * `paging` (the level-1 roles, when it pages level 1). Without on-call roles in the template the release manager is
 * on call, and the email says so.
 */
function rollbackDrafts(
  who: Audience,
  type: NotificationType,
  severity: Severity,
  message: Message,
  paging: boolean,
): Draft[] {
  const roles = [RELEASE_MANAGER, ...(paging ? who.level1 : []), ...who.onCall, ON_CALL];
  const told = who.onCall.length > 0 ? message : { ...message, details: [...message.details, '', NO_ON_CALL_NOTE] };
  return one(who, type, severity, roles, told, paging ? paged : {});
}

/** The events that cause notifications; any other causes none. */
// A Map rather than an object literal, so that a stored event of an unknown type such as `constructor` finds nothing.
const ROUTES: ReadonlyMap<AuditEventType, Route> = new Map<AuditEventType, Route>([
  ['release.created', (ctx, who) => one(who, 'release.created', 'info', who.everyone, releaseCreated(ctx))],
  ['gate.opened', gateOpened],
  ['signoff.recorded', signoffRecorded],
  ['gate.overdue', gateOverdueDrafts],
  ['phase.entered', phaseEnteredDrafts],
  [
    'step.started',
    (ctx, who) => one(who, 'step.started', 'info', [RELEASE_MANAGER, DEVOPS_LEAD], deploymentStep(ctx, true)),
  ],
  [
    'step.completed',
    (ctx, who) => one(who, 'step.completed', 'info', [RELEASE_MANAGER, DEVOPS_LEAD], deploymentStep(ctx, false)),
  ],
  [
    'window.started',
    (ctx, who) => one(who, 'window.started', 'info', [RELEASE_MANAGER, ...who.onCall], monitoringWindow(ctx, true)),
  ],
  [
    'window.passed',
    (ctx, who) => {
      const passed = windowPassed(ctx);
      return one(who, 'window.passed', passed.severity, [RELEASE_MANAGER, ...who.onCall], passed.message);
    },
  ],
  [
    'rollback.requested',
    (ctx, who) => rollbackDrafts(who, 'rollback.triggered', 'critical', rollbackTriggered(ctx), true),
  ],
  // A proposal waits for the release manager's decision: on call hears of it, nobody is paged yet.
  [
    'rollback.proposed',
    (ctx, who) => rollbackDrafts(who, 'rollback.triggered', 'critical', rollbackProposed(ctx), false),
  ],
  ['rollback.completed', (ctx, who) => rollbackDrafts(who, 'rollback.completed', 'info', rollbackCompleted(ctx), true)],
  ['rollback.failed', (ctx, who) => rollbackDrafts(who, 'rollback.failed', 'critical', rollbackFailed(ctx), true)],
  ['escalation.paged', escalationPagedDrafts],
  ['release.completed', releaseCompletedDrafts],
  ['workflow.failed', workflowFailedDrafts],
]);

function plan(ctx: Context): Draft[] {
  const { template } = ctx;
  const who: Audience = {
    phaseId: dataString(ctx.event, 'phase'),
    everyone: template.roles.map((role) => role.id),
    level1: template.escalation.levels.find((level) => level.level === ROLLBACK_PAGED_LEVEL)?.roles ?? [],
    onCall: template.onCall.map((entry) => entry.role),
  };
  return ROUTES.get(ctx.event.type)?.(ctx, who) ?? [];
}

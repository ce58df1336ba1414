// The use cases of releases: authorize, load, decide with the rules, write atomically, tell the workflow. This file
// holds creating and reading releases, their checklist items, sign-offs and audit events, and composes the rest:
// the workflow's tasks (release-workflow.ts), escalation paging (release-escalation.ts), and monitoring and
// rollback (release-monitoring.ts), all built on the shared internals of release-kernel.ts.
import type { Actor } from '../auth/actor.ts';
import { actorRef } from '../auth/actor.ts';
import { authorize } from '../auth/permissions.ts';
import { NotFound } from '../errors.ts';
import { makeMonitoringUseCases } from '../monitoring/use-cases.ts';
import type { Page, PageQuery } from '../ports.ts';
import type { Template } from '../template/template.ts';
import { makeEscalationUseCases } from '../workflow/escalation-use-cases.ts';
import { makeWorkflowUseCases } from '../workflow/use-cases.ts';
import { transition, waitStatus } from '../workflow/workflow.ts';
import type { ReleasesServiceDeps } from './context.ts';
import { makeReleaseKernel, SYSTEM } from './context.ts';
import type {
  AuditEvent,
  AuditEventType,
  ItemUpdate,
  Release,
  ReleaseAggregate,
  ReleaseStatus,
  Signoff,
  SignoffInput,
} from './release.ts';
import {
  decideItemUpdate,
  decideSignoff,
  decideWithdrawal,
  findGate,
  gateStatus,
  itemIndex,
  STATUS_OF_PHASE,
  signoffKey,
} from './release.ts';
import type { ItemView, ReleaseView } from './view.ts';
import { itemView, releaseView } from './view.ts';

export type { MetricsOutcome } from '../monitoring/use-cases.ts';
export type { ReleasesServiceDeps } from './context.ts';

export interface CreateReleaseInput {
  /** CloudWatch alarms to watch: one going into ALARM after production deployment starts rolls the release back. */
  readonly alarmNames?: readonly string[] | undefined;
  readonly templateId: string;
  readonly name: string;
  readonly version: string;
  readonly description?: string | undefined;
  readonly plannedAt?: string | undefined;
}

export function makeReleasesService(deps: ReleasesServiceDeps) {
  const kernel = makeReleaseKernel(deps);
  const { store, templates, clock, ids, workflow, timeScale, reportWorkflowError } = kernel;
  const { now, event, events, load, retrying, respond } = kernel;

  function template(templateId: string): Template {
    const found = templates.get(templateId);
    if (!found) throw new NotFound('template', templateId);
    return found;
  }

  async function nudge(releaseId: string): Promise<void> {
    try {
      const agg = await store.load(releaseId);
      if (agg) await respond(agg);
    } catch (error) {
      // The change is saved; the workflow looks again when its wait is next re-checked or on POST /advance.
      reportWorkflowError(error, { releaseId });
    }
  }

  async function saveSignoff(agg: ReleaseAggregate, signoff: Signoff, actor: Actor, type: AuditEventType) {
    await store.saveSignoff(
      agg.release,
      signoff,
      event(agg.release.id, type, actorRef(actor), signoff.at, {
        gate: signoff.gate,
        role: signoff.role,
        decision: signoff.decision,
        ...(signoff.comment ? { comment: signoff.comment } : {}),
        revision: agg.release.revision + 1,
      }),
    );
    const signoffs = new Map(agg.signoffs).set(signoffKey(signoff.gate, signoff.role), signoff);
    const release = { ...agg.release, revision: agg.release.revision + 1, updatedAt: signoff.at };
    const { phase } = findGate(agg.template, signoff.gate);
    const after = { ...agg, release, signoffs };
    return {
      signoff,
      release: { id: release.id, revision: release.revision, status: release.status },
      gate: phase ? gateStatus(after, phase) : waitStatus(after)?.gate,
    };
  }

  return {
    async createRelease(actor: Actor, input: CreateReleaseInput): Promise<ReleaseView> {
      authorize(actor, { kind: 'create-release' });
      const snapshot = template(input.templateId);
      const first = snapshot.phases[0];
      if (!first) throw new NotFound('template phase', input.templateId);
      const at = now();
      const draft: Release = {
        id: ids.id(),
        templateId: snapshot.id,
        templateName: snapshot.name,
        name: input.name,
        version: input.version,
        description: input.description,
        plannedAt: input.plannedAt,
        ...(input.alarmNames?.length ? { alarmNames: [...new Set(input.alarmNames)] } : {}),
        status: STATUS_OF_PHASE[first.kind],
        currentPhase: first.id,
        stepIndex: 0,
        windowIndex: 0,
        revision: 1,
        createdAt: at,
        createdBy: actorRef(actor),
        updatedAt: at,
      };
      // The first wait is decided here, so the release says what it waits for from its first read on.
      const empty = { template: snapshot, items: new Map(), signoffs: new Map() };
      const first_ = transition({ ...empty, release: draft }, { kind: 'start' }, clock.now(), { timeScale });
      const release = { ...first_.release, revision: 1 };
      await store.create(release, snapshot, [
        event(release.id, 'release.created', actorRef(actor), at, {
          templateId: snapshot.id,
          name: release.name,
          version: release.version,
          status: release.status,
          phase: release.currentPhase,
        }),
        ...events(release.id, first_.events, SYSTEM, at),
      ]);
      // Named after the release, the execution cannot be started twice; if this fails, POST /advance starts it.
      try {
        await workflow.start(release.id);
      } catch (error) {
        reportWorkflowError(error, { releaseId: release.id, during: 'start' });
      }
      return releaseView({ ...empty, release });
    },

    async getRelease(actor: Actor, releaseId: string): Promise<ReleaseView> {
      authorize(actor, { kind: 'read' });
      return releaseView(await load(releaseId));
    },

    async listReleases(
      actor: Actor,
      query: PageQuery & { status?: ReleaseStatus | undefined },
    ): Promise<Page<Release>> {
      authorize(actor, { kind: 'read' });
      return store.list(query);
    },

    async updateItem(actor: Actor, releaseId: string, itemId: string, update: ItemUpdate): Promise<ItemView> {
      // Refused before anything is read, a caller who may not write items learns nothing of which releases exist.
      authorize(actor, { kind: 'update-item', itemId });
      const view = await retrying(async () => {
        const agg = await load(releaseId);
        const entry = itemIndex(agg.template).get(itemId);
        if (!entry) throw new NotFound('item', itemId);
        authorize(actor, {
          kind: 'update-item',
          itemId,
          item: entry.item,
          teamRoles: agg.template.roles.map((r) => r.id),
        });
        const at = now();
        const { previous, next } = decideItemUpdate(agg, itemId, update, actorRef(actor), at);
        await store.saveItem(
          releaseId,
          next,
          previous.version,
          event(releaseId, 'item.updated', actorRef(actor), at, {
            itemId,
            from: previous.status,
            to: next.status,
            version: next.version,
            ...(next.evidence ? { evidence: next.evidence } : {}),
            ...(next.reason ? { reason: next.reason } : {}),
          }),
        );
        const items = new Map(agg.items).set(itemId, next);
        return itemView({ ...agg, items }, entry.item);
      });
      await nudge(releaseId);
      return view;
    },

    async recordSignoff(actor: Actor, releaseId: string, input: SignoffInput) {
      authorize(actor, { kind: 'sign', role: input.role });
      const result = await retrying(async () => {
        const agg = await load(releaseId);
        const signoff = decideSignoff(agg, input, actorRef(actor), now());
        return saveSignoff(agg, signoff, actor, 'signoff.recorded');
      });
      await nudge(releaseId);
      return result;
    },

    async withdrawSignoff(actor: Actor, releaseId: string, gate: string, role: string) {
      authorize(actor, { kind: 'withdraw-signoff', role });
      return retrying(async () => {
        const agg = await load(releaseId);
        const signoff = decideWithdrawal(agg, gate, role, actorRef(actor), now());
        return saveSignoff(agg, signoff, actor, 'signoff.withdrawn');
      });
    },

    async listEvents(actor: Actor, releaseId: string, query: PageQuery): Promise<Page<AuditEvent>> {
      authorize(actor, { kind: 'read' });
      const page = await store.listEvents(releaseId, query);
      // Every release has its creation event, so an empty page may mean the release does not exist.
      if (page.items.length === 0 && !(await store.getHeader(releaseId))) {
        throw new NotFound('release', releaseId);
      }
      return page;
    },
    ...makeWorkflowUseCases(kernel),
    ...makeEscalationUseCases(kernel),
    ...makeMonitoringUseCases(kernel),
  };
}

export type ReleasesService = ReturnType<typeof makeReleasesService>;
